package io.swarmnet.agent.desired;

import static io.swarmnet.agent.ClusterObjects.address;
import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.node;
import static io.swarmnet.agent.ClusterObjects.service;
import static io.swarmnet.agent.ClusterObjects.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.agent.cluster.CachedPod;
import io.swarmnet.agent.cluster.CachedService;
import io.swarmnet.agent.cluster.ClusterSnapshot;
import io.swarmnet.agent.cluster.PodParser;
import io.swarmnet.agent.cluster.ServiceParser;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.SwarmService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cost of one reconcile round's pure part at the scale: 1,000 services × 10 tasks on one network over
 * 3 nodes (≈3,333 local pods, each with 1,000 VIP rules). Prints parse, compute and compare times.
 * Run: mvn -pl node-daemonset test -Dtest=DesiredDatapathBenchmark -Dgroups=benchmark -DexcludedGroups=none
 */
@Tag("benchmark")
class DesiredDatapathBenchmark {

    @Test
    void thousandServicesTimesTenTasks() {
        List<Node> nodes = List.of(node("n1", "192.0.2.1"), node("n2", "192.0.2.2"), node("n3", "192.0.2.3"));
        List<OverlayNetwork> networks = List.of(network("net").allocated("10.0.0.0/16", "10.0.0.1", 4097).build());
        List<SwarmService> services = new ArrayList<>();
        List<Pod> pods = new ArrayList<>();
        int next = 2;
        for (int s = 0; s < 1000; s++) {
            services.add(service("svc-" + s).network("net").vip("net", address(next++)).build());
            for (int t = 0; t < 10; t++) {
                pods.add(task("svc-" + s + "-" + t, "svc-" + s).on("n" + (1 + (s * 10 + t) % 3)).address("net", address(next++))
                        .ready().build());
            }
        }
        NodeFacts n1 = new NodeFacts("n1", IpAddress.parse("192.0.2.1"), 1500);
        long[] parse = new long[15];
        long[] compute = new long[15];
        long[] compare = new long[15];
        NodeDatapath previous = null;
        // as the agent's informer stores keep them: each pod and service read once, as it arrives
        long read = System.nanoTime();
        PodParser parser = new PodParser("n1");
        List<CachedPod> cachedPods = pods.stream().map(parser::read).toList();
        List<CachedService> cachedServices = services.stream().map(ServiceParser::read).toList();
        long readNanos = System.nanoTime() - read;
        ClusterSnapshot.Reader reader = ClusterSnapshot.reader(); // one per agent, remembering the previous order
        for (int round = 0; round < parse.length; round++) {
            long t0 = System.nanoTime();
            ClusterSnapshot snapshot = reader.read(cachedPods, cachedServices, networks, nodes);
            long t1 = System.nanoTime();
            DesiredState state = DesiredDatapath.compute(snapshot, n1, previous);
            long t2 = System.nanoTime();
            boolean same = state.datapath().equals(previous);
            long t3 = System.nanoTime();
            parse[round] = t1 - t0;
            compute[round] = t2 - t1;
            compare[round] = t3 - t2;
            assertThat(state.datapath().pods()).hasSize(3334);
            assertThat(state.datapath().pods().get(0).vips()).hasSize(1000);
            assertThat(same).isEqualTo(previous != null);
            previous = state.datapath();
        }
        System.out.println("compute per round (ms): " + Arrays.stream(compute).mapToObj(n -> String.format("%.0f", ms(n))).toList());
        System.out.printf("1,000 services x 10 tasks, 3 nodes, one node's view (3,334 local pods x 1,000 VIP rules):%n"
                + "  objects read into the stores' form once: %.1f ms%n"
                + "  snapshot parse  median %.1f ms (first %.1f ms)%n  desired compute median %.1f ms (first %.1f ms)%n"
                + "  equality check  median %.1f ms%n", ms(readNanos), ms(median(parse)), ms(parse[0]), ms(median(compute)), ms(compute[0]),
                ms(median(compare)));
    }

    static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}

package io.swarmnet.agent;

import static io.swarmnet.agent.ClusterObjects.address;
import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.node;
import static io.swarmnet.agent.ClusterObjects.service;
import static io.swarmnet.agent.ClusterObjects.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.NodeFacts;
import io.swarmnet.agent.desired.VipRule;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cluster half of "backend change → kernel rules": from a task's readiness changing in the API to the agent
 * handing the datapath a desired state without (or with) it, at 300 services × 10 tasks over 3 nodes, with the
 * recording datapath in place of the kernel. Also the time from agent start to the first complete state and to
 * every local pod's attached condition being published.
 * Run: mvn -pl node-daemonset test -Dtest=AgentLoopBenchmark -Dgroups=benchmark -DexcludedGroups=none
 */
@Tag("benchmark")
class AgentLoopBenchmark {

    static final int SERVICES = 300;
    static final int TASKS = 10;
    static final int CHANGES = 20;

    @Test
    void backendChangeToDesiredStateLatency() throws Exception {
        try (SandboxApiServer api = SandboxApiServer.start()) {
            KubernetesClient client = api.client();
            for (int n = 1; n <= 3; n++) {
                client.resource(node("n" + n, "192.0.2." + n)).create();
            }
            ClusterObjects.createWithStatus(client, network("net").allocated("10.0.0.0/16", "10.0.0.1", 4097).build());
            List<Pod> pods = new ArrayList<>();
            int next = 2;
            for (int s = 0; s < SERVICES; s++) {
                ClusterObjects.createWithStatus(client, service("svc-" + s).network("net").vip("net", address(next++)).build());
                for (int t = 0; t < TASKS; t++) {
                    pods.add(task("svc-" + s + "-" + t, "svc-" + s).on("n" + (1 + (s * TASKS + t) % 3))
                            .address("net", address(next++)).ready().build());
                }
            }
            long setup = System.nanoTime();
            ExecutorService writers = Executors.newFixedThreadPool(8);
            List<Future<?>> writes = new ArrayList<>();
            for (Pod pod : pods) {
                writes.add(writers.submit(() -> ClusterObjects.createPod(client, pod)));
            }
            for (Future<?> write : writes) {
                write.get();
            }
            writers.shutdown();
            System.out.printf("setup: %d pods written in %d ms%n", pods.size(), (System.nanoTime() - setup) / 1_000_000);

            RecordingDatapath datapath = new RecordingDatapath();
            long start = System.nanoTime();
            try (NodeAgent agent = NodeAgent.start(client, AgentConfig.forNode(new NodeFacts("n1", IpAddress.parse("192.0.2.1"), 1500)),
                    datapath, pod -> Optional.empty())) {
                int local = (int) pods.stream().filter(p -> "n1".equals(p.getSpec().getNodeName())).count();
                datapath.awaitLast(d -> d.pods().size() == local, Duration.ofMinutes(2)).orElseThrow();
                long firstState = System.nanoTime() - start;
                awaitAllAttached(client, local, Duration.ofMinutes(3));
                long allAttached = System.nanoTime() - start;
                System.out.printf("agent start -> first complete desired state (%d local pods x %d VIP rules): %d ms%n", local,
                        SERVICES, firstState / 1_000_000);
                System.out.printf("agent start -> every local pod's %s condition published: %d ms%n",
                        SwarmnetKeys.CONDITION_ATTACHED, allAttached / 1_000_000);

                long[] latencies = new long[CHANGES * 2];
                for (int i = 0; i < CHANGES; i++) {
                    int s = (i * 37) % SERVICES;
                    String name = "svc-" + s + "-" + (1 + i % (TASKS - 1));
                    Pod pod = client.pods().inNamespace(ClusterObjects.NS).withName(name).get();
                    IpAddress address = IpAddress.parse(pod.getMetadata().getAnnotations().get(SwarmnetKeys.ANNOTATION_ADDRESSES)
                            .replaceAll(".*\"([0-9.]+)\".*", "$1"));
                    String service = "svc-" + s;
                    latencies[2 * i] = change(client, datapath, name, false, d -> !backends(d, service).contains(address));
                    latencies[2 * i + 1] = change(client, datapath, name, true, d -> backends(d, service).contains(address));
                }
                java.util.Arrays.sort(latencies);
                System.out.printf("backend readiness change -> desired state (%d changes): median %d ms, p99 %d ms, max %d ms%n",
                        latencies.length, latencies[latencies.length / 2] / 1_000_000,
                        latencies[(int) Math.ceil(latencies.length * 0.99) - 1] / 1_000_000, latencies[latencies.length - 1] / 1_000_000);
                assertThat(latencies[latencies.length / 2]).isPositive();
            }
        }
    }

    private static long change(KubernetesClient client, RecordingDatapath datapath, String pod, boolean ready,
            java.util.function.Predicate<NodeDatapath> reached) throws InterruptedException {
        java.time.Instant t0 = java.time.Instant.now();
        client.pods().inNamespace(ClusterObjects.NS).withName(pod).editStatus(p -> {
            p.getStatus().getConditions().stream().filter(c -> c.getType().equals("ContainersReady"))
                    .forEach(c -> c.setStatus(ready ? "True" : "False"));
            return p;
        });
        RecordingDatapath.Applied applied = datapath.awaitLast(reached, Duration.ofSeconds(30))
                .orElseThrow(() -> new AssertionError("change of " + pod + " not seen"));
        return Duration.between(t0, applied.at()).toNanos(); // both wall-clock instants of this JVM
    }

    private static List<IpAddress> backends(NodeDatapath datapath, String service) {
        return datapath.pods().isEmpty() ? List.of() : datapath.pods().get(0).vips().stream()
                .filter(v -> v.service().equals(service)).findFirst().map(VipRule::backends).orElse(List.of());
    }

    private static void awaitAllAttached(KubernetesClient client, int local, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long attached = client.pods().inNamespace(ClusterObjects.NS).list().getItems().stream()
                    .filter(p -> "n1".equals(p.getSpec().getNodeName()))
                    .filter(p -> p.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals(SwarmnetKeys.CONDITION_ATTACHED)
                            && c.getReason() != null && c.getReason().equals("Attached")))
                    .count();
            if (attached == local) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not every local pod was attached within " + timeout);
    }

}

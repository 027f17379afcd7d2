package io.swarmnet.agent.e2e;

import static io.swarmnet.agent.ClusterObjects.network;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.api.network.OverlayNetwork;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * spec.internal end to end: two simulated nodes with real node agents watching the embedded API. The network is
 * created internal; a task on node 2 routes (forwarding on, a link into an "outside" namespace standing for its pod
 * network) and a task on node 1 has a route to the outside through it. Editing the OverlayNetwork's spec.internal
 * opens and closes that way out on the running tasks, while the two tasks keep reaching each other.
 */
@Tag("e2e")
class InternalNetworkEndToEndTest {

    private static final String OUTSIDE = "198.18.79.1";
    private static final String ROUTER_OUTSIDE = "198.18.79.2";

    private final KernelTools tools = new KernelTools();
    private AgentCluster stage;
    private String outside;

    @AfterEach
    void stop() {
        try {
            if (outside != null) {
                tools.run(List.of("ip", "netns", "del", outside), null);
            }
        } finally {
            if (stage != null) {
                stage.close();
            }
        }
    }

    @Test
    void editingSpecInternalOpensAndClosesTheWayOutThroughARoutingTaskWhileTasksKeepReachingEachOther() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        for (String tool : List.of("ip", "nft", "busybox", "sysctl")) {
            assumeTrue(AgentCluster.onPath(tool), "needs '" + tool + "' on PATH (scripts/install-deps.sh installs it)");
        }
        stage = AgentCluster.start(2);
        stage.createWithStatus(network("inner").allocated("10.232.0.0/24", "10.232.0.1", 4711).internal(true).build());
        stage.createTasklessService("app", "inner");
        stage.runAgents(new DnsSettings(Optional.empty(), Duration.ofSeconds(1)));
        stage.runTask("client-1", "app", 1, Map.of("inner", "10.232.0.10"));
        stage.runTask("router-1", "app", 2, Map.of("inner", "10.232.0.30"));
        stage.awaitAttached("client-1", "router-1");

        outside = "zin" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 24), 36) + "-out";
        must(tools.run(List.of("ip", "netns", "add", outside), null));
        must(tools.run(List.of("ip", "-n", outside, "link", "add", "name", "r0", "type", "veth", "peer", "name", "up0", "netns",
                stage.pod("router-1").namespace()), null));
        must(tools.run(List.of("ip", "-n", outside, "addr", "add", OUTSIDE + "/24", "dev", "r0"), null));
        must(tools.run(List.of("ip", "-n", outside, "link", "set", "dev", "r0", "up"), null));
        must(tools.run(List.of("ip", "-n", outside, "route", "add", "10.232.0.0/24", "via", ROUTER_OUTSIDE), null));
        must(stage.exec("router-1", "ip", "addr", "add", ROUTER_OUTSIDE + "/24", "dev", "up0"));
        must(stage.exec("router-1", "ip", "link", "set", "dev", "up0", "up"));
        must(stage.exec("router-1", "sysctl", "-qw", "net.ipv4.ip_forward=1"));
        must(stage.exec("client-1", "ip", "route", "add", OUTSIDE + "/32", "via", "10.232.0.30", "dev", "swn0"));

        stage.awaitReach("the tasks reach each other across nodes", "client-1", "10.232.0.30");
        assertThat(ping("client-1", OUTSIDE)).as("internal: the outside through the routing task").isFalse();

        setInternal(false);
        AgentCluster.await("the agents open the way out once spec.internal is false", () -> ping("client-1", OUTSIDE),
                Duration.ofSeconds(20));
        assertThat(ping("client-1", "10.232.0.30")).isTrue();

        setInternal(true);
        AgentCluster.await("the agents close it again once spec.internal is true", () -> !ping("client-1", OUTSIDE),
                Duration.ofSeconds(20));
        assertThat(ping("client-1", "10.232.0.30")).as("and the tasks still reach each other").isTrue();
    }

    private void setInternal(boolean internal) {
        stage.client().resources(OverlayNetwork.class).inNamespace(ClusterObjects.NS).withName("inner").edit(n -> {
            n.getSpec().setInternal(internal);
            return n;
        });
    }

    private boolean ping(String pod, String address) {
        return stage.exec(pod, "busybox", "ping", "-c", "1", "-W", "1", address).ok();
    }

    private static void must(KernelTools.Result result) {
        assertThat(result.ok()).as("%s", result.describe()).isTrue();
    }
}

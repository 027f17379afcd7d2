package io.swarmnet.agent.e2e;

import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.api.network.OverlayNetwork;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A pod that is no task on an attachable network, end to end: two simulated nodes with real node agents watching the
 * embedded API (the test plays the operator: the pod carries the label, addresses and recorded networks it writes). A
 * service's task runs on node 1, the attached pod (a Deployment's, say) on node 2: each reaches the other across the
 * nodes, the pod resolves the service to its VIP and reaches it, and the task resolves the pod by name and alias.
 */
@Tag("e2e")
class AttachablePodEndToEndTest {

    private static final String VIP = "10.233.0.2";
    private static final String TASK = "10.233.0.10";
    private static final String POD = "10.233.0.20";

    private AgentCluster stage;

    @AfterEach
    void stop() {
        if (stage != null) {
            stage.close();
        }
    }

    @Test
    void anAttachedPodReachesAndResolvesTheServiceAndIsResolvedByNameAndAlias() {
        AgentCluster.assumeRootWith("ip", "nft", "busybox");
        stage = AgentCluster.start(2);
        OverlayNetwork shared = network("shared").allocated("10.233.0.0/24", "10.233.0.1", 4712).build();
        shared.getSpec().setAttachable(true);
        stage.createWithStatus(shared);
        var web = service("my-web").network("shared").vip("shared", VIP).build();
        web.getMetadata().setUid(null);
        web.getSpec().setReplicas(0);
        stage.createWithStatus(web);
        stage.runAgents(new DnsSettings(Optional.empty(), Duration.ofSeconds(1)));
        stage.runTask("my-web-1", "my-web", 1, Map.of("shared", TASK));
        stage.runAttachedPod("client-7d9f8-x2k4q", 2, Map.of("shared", POD), Map.of("shared", List.of("db")));
        stage.awaitAttached("my-web-1", "client-7d9f8-x2k4q");

        stage.awaitReach("the attached pod reaches the task across nodes", "client-7d9f8-x2k4q", TASK);
        assertThat(ping("my-web-1", POD)).as("and the task reaches the attached pod").isTrue();

        AgentCluster.await("the attached pod resolves the service to its VIP",
                () -> addressesIn(nslookup("client-7d9f8-x2k4q", "my-web")).equals(List.of(VIP)), Duration.ofSeconds(20));
        // the resolver learns of the ready task before the VIP's backends are programmed in the pod (docs/dns.md)
        AgentCluster.await("the attached pod reaches the task through the VIP", () -> ping("client-7d9f8-x2k4q", VIP),
                Duration.ofSeconds(20));
        AgentCluster.await("the task resolves the attached pod by name",
                () -> addressesIn(nslookup("my-web-1", "client-7d9f8-x2k4q")).equals(List.of(POD)), Duration.ofSeconds(20));
        assertThat(addressesIn(nslookup("my-web-1", "db"))).as("and by its alias").containsExactly(POD);
        assertThat(addressesIn(nslookup("my-web-1", "tasks.my-web"))).as("it is no task of the service").containsExactly(TASK);
    }

    private boolean ping(String pod, String address) {
        return stage.ping(pod, address);
    }

    private String nslookup(String pod, String name) {
        return stage.nslookup(pod, name);
    }

    private static List<String> addressesIn(String output) {
        return AgentCluster.addressesIn(output);
    }
}

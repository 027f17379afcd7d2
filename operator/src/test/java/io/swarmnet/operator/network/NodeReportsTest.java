package io.swarmnet.operator.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.api.contract.NodeNetworkState.Encryption;
import io.swarmnet.api.contract.NodeNetworkStates;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.operator.Conditions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeReportsTest {

    private static Node node(String name, Map<String, NodeNetworkState> states) {
        return new NodeBuilder().withNewMetadata().withName(name)
                .addToAnnotations(SwarmnetKeys.ANNOTATION_NODE_NETWORKS, new NodeNetworkStates(states).format()).endMetadata().build();
    }

    @Test
    void listsOnlyNodesCarryingTheNetworkSortedByName() {
        NodeReports r = NodeReports.of("default", "net", List.of(
                node("b", Map.of("default/net", new NodeNetworkState(4096, 2, 1, Encryption.NotRequested, null))),
                node("a", Map.of("default/net", new NodeNetworkState(4096, 1, 1, Encryption.NotRequested, null))),
                node("c", Map.of("other/net", new NodeNetworkState(4097, 1, 0, Encryption.NotRequested, null))),
                new NodeBuilder().withNewMetadata().withName("bare").endMetadata().build(),
                new NodeBuilder().withNewMetadata().withName("junk").addToAnnotations(SwarmnetKeys.ANNOTATION_NODE_NETWORKS, "{not json")
                        .endMetadata().build()));
        assertThat(r.nodes()).extracting(n -> n.getName() + ":" + n.getLocalTasks()).containsExactly("a:1", "b:2");
    }

    @Test
    void encryptedConditionFollowsEveryNode() {
        assertThat(NodeReports.of("d", "n", List.of()).encryptedCondition(false).reason()).isEqualTo("NotRequested");
        assertThat(NodeReports.of("d", "n", List.of()).encryptedCondition(true).status()).isEqualTo(Conditions.UNKNOWN);

        NodeReports allGood = NodeReports.of("d", "n", List.of(
                node("a", Map.of("d/n", new NodeNetworkState(4096, 1, 1, Encryption.Established, null))),
                node("b", Map.of("d/n", new NodeNetworkState(4096, 1, 1, Encryption.Established, null)))));
        assertThat(allGood.encryptedCondition(true).status()).isEqualTo(Conditions.TRUE);

        NodeReports oneBad = NodeReports.of("d", "n", List.of(
                node("a", Map.of("d/n", new NodeNetworkState(4096, 1, 1, Encryption.Established, null))),
                node("b", Map.of("d/n", new NodeNetworkState(4096, 1, 1, Encryption.Failed, "no ESP in kernel")))));
        Conditions.Desired c = oneBad.encryptedCondition(true);
        assertThat(c.status()).isEqualTo(Conditions.FALSE);
        assertThat(c.reason()).isEqualTo("EncryptionFailed");
        assertThat(c.message()).contains("1 of 2", "node b", "Failed", "no ESP in kernel", "fail closed").doesNotContain("node a");
    }
}

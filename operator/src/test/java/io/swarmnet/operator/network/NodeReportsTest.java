package io.swarmnet.operator.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.api.contract.NodeNetworkState.Encryption;
import io.swarmnet.api.contract.NodeNetworkState.EncryptionMode;
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

    private static Node established(String name, EncryptionMode mode) {
        return node(name, Map.of("d/n", new NodeNetworkState(4096, 1, 2, Encryption.Established, mode, null)));
    }

    @Test
    void listsOnlyNodesCarryingTheNetworkSortedByName() {
        NodeReports r = NodeReports.of("default", "net", List.of(
                node("b", Map.of("default/net", new NodeNetworkState(4096, 2, 1, Encryption.NotRequested, null, null))),
                node("a", Map.of("default/net", new NodeNetworkState(4096, 1, 1, Encryption.NotRequested, null, null))),
                node("c", Map.of("other/net", new NodeNetworkState(4097, 1, 0, Encryption.NotRequested, null, null))),
                new NodeBuilder().withNewMetadata().withName("bare").endMetadata().build(),
                new NodeBuilder().withNewMetadata().withName("junk").addToAnnotations(SwarmnetKeys.ANNOTATION_NODE_NETWORKS, "{not json")
                        .endMetadata().build()));
        assertThat(r.nodes()).extracting(n -> n.getName() + ":" + n.getLocalTasks()).containsExactly("a:1", "b:2");
    }

    @Test
    void encryptedConditionFollowsEveryNode() {
        assertThat(NodeReports.of("d", "n", List.of()).encryptedCondition(false).reason()).isEqualTo("NotRequested");
        assertThat(NodeReports.of("d", "n", List.of()).encryptedCondition(true).status()).isEqualTo(Conditions.UNKNOWN);

        NodeReports allGood = NodeReports.of("d", "n", List.of(established("a", EncryptionMode.Kernel), established("b", EncryptionMode.Kernel)));
        assertThat(allGood.encryptedCondition(true).status()).isEqualTo(Conditions.TRUE);

        NodeReports oneBad = NodeReports.of("d", "n", List.of(
                established("a", EncryptionMode.Kernel),
                node("b", Map.of("d/n", new NodeNetworkState(4096, 1, 1, Encryption.Failed, null, "no ESP in kernel")))));
        Conditions.Desired c = oneBad.encryptedCondition(true);
        assertThat(c.status()).isEqualTo(Conditions.FALSE);
        assertThat(c.reason()).isEqualTo("EncryptionFailed");
        assertThat(c.message()).contains("1 of 2", "node b", "Failed", "no ESP in kernel", "fail closed").doesNotContain("node a");
    }

    @Test
    void copiesEachNodesEncryptionModeIntoStatus() {
        NodeReports r = NodeReports.of("d", "n", List.of(
                established("k", EncryptionMode.Kernel), established("u", EncryptionMode.Userspace), established("x", null),
                node("plain", Map.of("d/n", new NodeNetworkState(4096, 1, 2, Encryption.NotRequested, null, null)))));
        assertThat(r.nodes()).extracting(n -> n.getName() + ":" + n.getEncryptionMode())
                .containsExactly("k:Kernel", "plain:null", "u:Userspace", "x:null");
    }

    @Test
    void establishedConditionGroupsNodesByHowTheyEncrypt() {
        Conditions.Desired c = NodeReports.of("d", "n", List.of(
                established("node-3", EncryptionMode.Kernel), established("node-2", EncryptionMode.Userspace),
                established("node-1", EncryptionMode.Kernel))).encryptedCondition(true);
        assertThat(c.status()).isEqualTo(Conditions.TRUE);
        assertThat(c.reason()).isEqualTo("Established");
        assertThat(c.message()).isEqualTo(
                "ESP is established on all 3 nodes carrying the network (kernel ESP: node-1, node-3; userspace ESP over TUN: node-2)");
    }

    @Test
    void allKernelNodesAreListedUnderKernelEspAlone() {
        Conditions.Desired c = NodeReports.of("d", "n", List.of(established("b", EncryptionMode.Kernel), established("a", EncryptionMode.Kernel)))
                .encryptedCondition(true);
        assertThat(c.message()).isEqualTo("ESP is established on all 2 nodes carrying the network (kernel ESP: a, b)");
    }

    @Test
    void allUserspaceNodesAreListedUnderUserspaceEspAlone() {
        Conditions.Desired c = NodeReports.of("d", "n", List.of(established("a", EncryptionMode.Userspace), established("b", EncryptionMode.Userspace)))
                .encryptedCondition(true);
        assertThat(c.message()).isEqualTo("ESP is established on all 2 nodes carrying the network (userspace ESP over TUN: a, b)");
    }

    @Test
    void establishedConditionListsNodesThatDidNotSayHowUnderModeNotReported() {
        // an agent from before encryption modes existed says Established without a mode
        Conditions.Desired c = NodeReports.of("d", "n", List.of(
                established("old", null), established("new", EncryptionMode.Userspace))).encryptedCondition(true);
        assertThat(c.status()).isEqualTo(Conditions.TRUE);
        assertThat(c.message()).isEqualTo(
                "ESP is established on all 2 nodes carrying the network (userspace ESP over TUN: new; mode not reported: old)");
    }
}

package io.swarmnet.operator.network;

import io.fabric8.kubernetes.api.model.Node;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.api.contract.NodeNetworkStates;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.network.NetworkNodeStatus;
import io.swarmnet.operator.Conditions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the node agents say about one network, gathered from the {@code swarmnet.io/networks}
 * annotation of every Node: which nodes carry it, and whether encryption holds on all of them. Pure.
 */
public record NodeReports(List<NetworkNodeStatus> nodes) {

    public static final String CONDITION_ENCRYPTED = "Encrypted";

    // how the Established message groups the nodes by their encryption mode
    private static final String KERNEL_GROUP = "kernel ESP";
    private static final String USERSPACE_GROUP = "userspace ESP over TUN";
    private static final String UNREPORTED_GROUP = "mode not reported";

    public static NodeReports of(String namespace, String network, Collection<Node> allNodes) {
        String key = NodeNetworkStates.key(namespace, network);
        List<NetworkNodeStatus> nodes = new ArrayList<>();
        for (Node node : allNodes) {
            Map<String, String> annotations = node.getMetadata().getAnnotations();
            if (annotations == null) {
                continue;
            }
            NodeNetworkState state = NodeNetworkStates.parse(annotations.get(SwarmnetKeys.ANNOTATION_NODE_NETWORKS)).byNetwork().get(key);
            if (state != null) {
                nodes.add(new NetworkNodeStatus(node.getMetadata().getName(), state.localTasks(), state.peers(),
                        state.encryption() == null ? null : state.encryption().name(),
                        state.encryptionMode() == null ? null : state.encryptionMode().name(), state.message()));
            }
        }
        nodes.sort(Comparator.comparing(NetworkNodeStatus::getName));
        return new NodeReports(List.copyOf(nodes));
    }

    /**
     * The Encrypted condition: for a plain network False/NotRequested; for an encrypted one True
     * only when every reporting node says Established, saying which nodes use kernel ESP and which the
     * agent's userspace ESP over TUN; otherwise False naming the nodes that do not and why (traffic to
     * them fails closed, never in the clear).
     */
    public Conditions.Desired encryptedCondition(boolean encrypted) {
        if (!encrypted) {
            return new Conditions.Desired(CONDITION_ENCRYPTED, Conditions.FALSE, "NotRequested",
                    "spec.encrypted is false: VXLAN traffic between nodes is not encrypted");
        }
        if (nodes.isEmpty()) {
            return new Conditions.Desired(CONDITION_ENCRYPTED, Conditions.UNKNOWN, "NoNodes",
                    "no node carries the network yet; encryption is set up on the nodes that run its first tasks");
        }
        List<String> problems = new ArrayList<>();
        for (NetworkNodeStatus node : nodes) {
            if (!NodeNetworkState.Encryption.Established.name().equals(node.getEncryption())) {
                problems.add("node " + node.getName() + ": " + (node.getEncryption() == null ? "no encryption state reported" : node.getEncryption())
                        + (node.getMessage() == null ? "" : " (" + node.getMessage() + ")"));
            }
        }
        if (problems.isEmpty()) {
            return new Conditions.Desired(CONDITION_ENCRYPTED, Conditions.TRUE, "Established",
                    "ESP is established on all " + nodes.size() + " nodes carrying the network (" + nodesByMode() + ")");
        }
        return new Conditions.Desired(CONDITION_ENCRYPTED, Conditions.FALSE, "EncryptionFailed",
                problems.size() + " of " + nodes.size() + " nodes have no working encryption, so traffic to and from them is dropped "
                        + "(fail closed): " + String.join("; ", problems));
    }

    /** "node a: why" for every node whose agent reports that the network, or its encryption, fails there. */
    public List<String> failures() {
        return nodes.stream().filter(n -> n.getMessage() != null && !n.getMessage().isBlank())
                .map(n -> "node " + n.getName() + ": " + n.getMessage()).toList();
    }

    /** "kernel ESP: a, c; userspace ESP over TUN: b", leaving out empty groups; nodes are already sorted by name. */
    private String nodesByMode() {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (String group : List.of(KERNEL_GROUP, USERSPACE_GROUP, UNREPORTED_GROUP)) {
            groups.put(group, new ArrayList<>());
        }
        for (NetworkNodeStatus node : nodes) {
            groups.get(modeGroup(node.getEncryptionMode())).add(node.getName());
        }
        List<String> parts = new ArrayList<>();
        groups.forEach((group, names) -> {
            if (!names.isEmpty()) {
                parts.add(group + ": " + String.join(", ", names));
            }
        });
        return String.join("; ", parts);
    }

    private static String modeGroup(String mode) {
        if (NodeNetworkState.EncryptionMode.Kernel.name().equals(mode)) {
            return KERNEL_GROUP;
        }
        if (NodeNetworkState.EncryptionMode.Userspace.name().equals(mode)) {
            return USERSPACE_GROUP;
        }
        return UNREPORTED_GROUP;
    }
}

package io.swarmnet.operator.network;

import io.swarmnet.api.network.NamespaceSelector;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkSpec;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Whether the services and pods of one namespace may attach to a network: always in the network's own namespace, in
 * another only while the network's {@code spec.shareWith.namespaceSelector} selects that namespace by its labels. Two parties
 * agree to each namespace that attaches from outside: the network's owner, who writes the selector, and whoever may label
 * namespaces (a cluster-scoped right, normally the cluster administrator's). Pure.
 */
public final class NetworkAccess {

    /** The field of OverlayNetwork that decides, as messages name it. */
    public static final String SELECTOR_FIELD = "spec.shareWith.namespaceSelector";

    /** The label the API server gives every namespace, its name; nobody can set it to another value. */
    private static final String NAME_LABEL = "kubernetes.io/metadata.name";

    private NetworkAccess() {
    }

    /**
     * Why {@code consumer} may not attach to {@code network}, or empty when it may.
     *
     * @param consumerLabels the labels of namespace {@code consumer}; empty while the operator does not know the namespace
     */
    public static Optional<String> refusal(OverlayNetwork network, String consumer, Optional<Map<String, String>> consumerLabels) {
        String networkNamespace = network.getMetadata().getNamespace();
        if (networkNamespace.equals(consumer)) {
            return Optional.empty();
        }
        String name = "OverlayNetwork " + networkNamespace + "/" + network.getMetadata().getName();
        OverlayNetworkSpec spec = network.getSpec();
        NamespaceSelector selector = spec == null || spec.getShareWith() == null ? null : spec.getShareWith().getNamespaceSelector();
        if (selector == null) {
            return Optional.of(name + " is not shared with other namespaces (its spec.shareWith is not set), so the node agents "
                    + "attach nothing of namespace " + consumer + " to it; its owner shares it by setting " + SELECTOR_FIELD
                    + " to select namespace " + consumer);
        }
        Optional<String> malformed = selector.problem(SELECTOR_FIELD);
        if (malformed.isPresent()) {
            return Optional.of(name + " cannot be shared until its owner fixes " + malformed.get());
        }
        if (consumerLabels.isEmpty()) {
            return Optional.of("namespace " + consumer + " is not known to the operator yet, so whether " + name
                    + " is shared with it cannot be told; it is looked at again when the namespace shows");
        }
        if (!selector.matches(consumerLabels.get())) {
            return Optional.of(SELECTOR_FIELD + " of " + name + " (" + selector.describe() + ") does not select namespace "
                    + consumer + " (labels: " + describe(consumerLabels.get()) + "); a cluster administrator can label the "
                    + "namespace" + labelCommand(selector, consumer) + ", or the network's owner can widen the selector");
        }
        return Optional.empty();
    }

    /** Whether the network is shared with anyone at all: its selector is set and readable. */
    public static boolean isShared(OverlayNetwork network) {
        OverlayNetworkSpec spec = network.getSpec();
        return spec != null && spec.getShareWith() != null && spec.getShareWith().getNamespaceSelector() != null
                && spec.getShareWith().getNamespaceSelector().problem(SELECTOR_FIELD).isEmpty();
    }

    private static String describe(Map<String, String> labels) {
        return labels.isEmpty() ? "none" : new TreeMap<>(labels).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }

    /** The kubectl line that makes a selector of labels alone select the namespace; nothing when it has expressions. */
    private static String labelCommand(NamespaceSelector selector, String consumer) {
        if (selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty()
                || selector.getMatchExpressions() != null && !selector.getMatchExpressions().isEmpty()
                || selector.getMatchLabels().containsKey(NAME_LABEL)) {
            return "";
        }
        return " (kubectl label namespace " + consumer + " " + new TreeMap<>(selector.getMatchLabels()).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")) + ")";
    }
}

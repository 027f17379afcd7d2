package io.swarmnet.operator.attach;

import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.contract.NetworkReference;
import io.swarmnet.api.contract.PodNetworkRequests;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import io.swarmnet.operator.network.NetworkAccess;
import io.swarmnet.operator.service.ServiceNetworks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What to do with a pod that is no task and carries {@link SwarmnetKeys#ANNOTATION_POD_NETWORKS}: the networks it may join, or
 * why it may not. Pure; {@link AttachablePods} acts on it.
 */
sealed interface PodAttachment {

    String REASON_INVALID = "InvalidNetworksAnnotation";
    String REASON_NOT_FOUND = "NetworkNotFound";
    String REASON_NOT_ATTACHABLE = "NetworkNotAttachable";
    String REASON_NOT_READY = "NetworkNotReady";
    String REASON_NOT_SHARED = "NetworkNotShared";
    String REASON_TASK = "TaskNetworksFromService";

    /** Give the pod addresses on these networks (in the order asked) and record {@code accepted}. */
    record Join(List<AllocatableNetwork> networks, PodNetworkRequests accepted) implements PodAttachment {
    }

    /** The pod may not join (what it asks is malformed, or names a network it cannot join): tell why. */
    record Refuse(String reason, String message) implements PodAttachment {
    }

    /** Nothing to do: the pod asks for nothing. */
    record None() implements PodAttachment {
    }

    /**
     * @param pod             the pod as the cache has it
     * @param lookup          the OverlayNetwork a reference names, if the operator sees it
     * @param namespaceLabels the labels of a namespace, if the operator sees it
     */
    static PodAttachment decide(Pod pod, Function<NetworkReference, Optional<OverlayNetwork>> lookup,
                                Function<String, Optional<Map<String, String>>> namespaceLabels) {
        var meta = pod.getMetadata();
        Map<String, String> annotations = meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
        String annotation = annotations.get(SwarmnetKeys.ANNOTATION_POD_NETWORKS);
        String what = "pod " + meta.getNamespace() + "/" + meta.getName() + ": ";
        if (annotation == null) {
            return new None();
        }
        if (meta.getLabels() != null && meta.getLabels().containsKey(SwarmnetKeys.LABEL_SERVICE)) {
            return new Refuse(REASON_TASK, what + "annotation " + SwarmnetKeys.ANNOTATION_POD_NETWORKS + " is ignored on a task of "
                    + "SwarmService " + meta.getLabels().get(SwarmnetKeys.LABEL_SERVICE) + "; list the networks in the service's "
                    + "spec.networks instead");
        }
        PodNetworkRequests requests;
        try {
            requests = PodNetworkRequests.parse(annotation, meta.getNamespace());
        } catch (IllegalArgumentException e) {
            return new Refuse(REASON_INVALID, what + e.getMessage());
        }
        String namespace = meta.getNamespace();
        String field = "annotation " + SwarmnetKeys.ANNOTATION_POD_NETWORKS;
        List<String> missing = new ArrayList<>();
        List<String> missingShared = new ArrayList<>();
        List<String> notShared = new ArrayList<>();
        List<String> closed = new ArrayList<>();
        List<String> notReady = new ArrayList<>();
        List<AllocatableNetwork> usable = new ArrayList<>();
        for (NetworkReference reference : requests.references(namespace)) {
            Optional<OverlayNetwork> network = lookup.apply(reference);
            if (network.isEmpty()) {
                if (!reference.isForeignTo(namespace)) {
                    missing.add(reference.name());
                } else {
                    missingShared.add(reference + (namespaceLabels.apply(reference.namespace()).isEmpty()
                            ? " (namespace " + reference.namespace() + " does not exist)" : ""));
                }
                continue;
            }
            Optional<String> refused = NetworkAccess.refusal(network.get(), namespace, namespaceLabels.apply(namespace));
            if (refused.isPresent()) {
                notShared.add(refused.get());
            } else if (network.get().getSpec() == null || !network.get().getSpec().isAttachable()) {
                closed.add(reference.relativeTo(namespace));
            } else {
                Optional<String> why = ServiceNetworks.notReadyReason(network.get());
                if (why.isPresent()) {
                    notReady.add(reference.relativeTo(namespace) + " (" + why.get() + ")");
                } else {
                    usable.add(AllocatableNetwork.of(network.get(), namespace));
                }
            }
        }
        if (!missing.isEmpty()) {
            return new Refuse(REASON_NOT_FOUND, what + field + " names " + String.join(", ", missing)
                    + " but no OverlayNetwork of that name exists in namespace " + namespace
                    + "; create it with spec.attachable: true or fix the annotation. The pod is not attached until then");
        }
        if (!missingShared.isEmpty()) {
            return new Refuse(REASON_NOT_FOUND, what + field + " names OverlayNetwork " + String.join(", ", missingShared)
                    + ", which does not exist; create it or fix the annotation (<namespace>/<name>). The pod is not attached until then");
        }
        if (!notShared.isEmpty()) {
            return new Refuse(REASON_NOT_SHARED, what + field + ": " + String.join("; ", notShared)
                    + ". The pod is not attached to it until then");
        }
        if (!closed.isEmpty()) {
            return new Refuse(REASON_NOT_ATTACHABLE, what + field + " names OverlayNetwork "
                    + String.join(", ", closed) + ", which is not attachable (only SwarmService tasks join it); set its "
                    + "spec.attachable: true or name another network. The pod is not attached until then");
        }
        if (!notReady.isEmpty()) {
            return new Refuse(REASON_NOT_READY, what + "OverlayNetwork " + String.join(", ", notReady) + " is not Ready; see kubectl "
                    + "describe onet. The pod is attached once it is");
        }
        return new Join(usable, requests);
    }
}

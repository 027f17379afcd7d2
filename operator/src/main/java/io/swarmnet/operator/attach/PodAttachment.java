package io.swarmnet.operator.attach;

import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.contract.PodNetworkRequests;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.operator.ipam.AllocatableNetwork;
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
     * @param pod    the pod as the cache has it
     * @param lookup the OverlayNetwork of that name in the pod's namespace
     */
    static PodAttachment decide(Pod pod, Function<String, Optional<OverlayNetwork>> lookup) {
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
        List<String> missing = new ArrayList<>();
        List<String> closed = new ArrayList<>();
        List<String> notReady = new ArrayList<>();
        List<AllocatableNetwork> usable = new ArrayList<>();
        for (String name : requests.networks().keySet()) {
            Optional<OverlayNetwork> network = lookup.apply(name);
            if (network.isEmpty()) {
                missing.add(name);
            } else if (network.get().getSpec() == null || !network.get().getSpec().isAttachable()) {
                closed.add(name);
            } else {
                Optional<String> why = ServiceNetworks.notReadyReason(network.get());
                if (why.isPresent()) {
                    notReady.add(name + " (" + why.get() + ")");
                } else {
                    usable.add(AllocatableNetwork.of(network.get()));
                }
            }
        }
        if (!missing.isEmpty()) {
            return new Refuse(REASON_NOT_FOUND, what + "annotation " + SwarmnetKeys.ANNOTATION_POD_NETWORKS + " names "
                    + String.join(", ", missing) + " but no OverlayNetwork of that name exists in namespace " + meta.getNamespace()
                    + "; create it with spec.attachable: true or fix the annotation. The pod is not attached until then");
        }
        if (!closed.isEmpty()) {
            return new Refuse(REASON_NOT_ATTACHABLE, what + "annotation " + SwarmnetKeys.ANNOTATION_POD_NETWORKS + " names OverlayNetwork "
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

package io.swarmnet.sandbox.scheduling;

import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/**
 * What a pod asks of its node.
 *
 * @param service      the SwarmService the pod is a task of (its swarmnet.io/service label), or null;
 *                     tasks of one service are spread over the nodes first, as swarm does
 * @param nodeSelector labels the node must carry
 * @param tolerations  taints the pod accepts
 * @param affinity     terms of requiredDuringSchedulingIgnoredDuringExecution node affinity (ORed), empty when none;
 *                     the operator pins a global service's task to its node this way, as the DaemonSet controller does
 */
public record PodDemand(String service, Map<String, String> nodeSelector, List<Toleration> tolerations,
                        List<NodeSelectorTerm> affinity) {

    public PodDemand {
        nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
        tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
        affinity = affinity == null ? List.of() : List.copyOf(affinity);
    }

    public PodDemand(String service, Map<String, String> nodeSelector, List<Toleration> tolerations) {
        this(service, nodeSelector, tolerations, List.of());
    }
}

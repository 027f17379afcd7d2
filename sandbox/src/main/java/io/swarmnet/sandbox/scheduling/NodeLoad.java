package io.swarmnet.sandbox.scheduling;

import java.util.Map;

/**
 * Pods already bound to each node: all of them, and those of each service.
 *
 * @param podsPerNode        node name to number of non-terminated pods bound to it
 * @param servicePodsPerNode service name to (node name to number of that service's pods on it)
 */
public record NodeLoad(Map<String, Integer> podsPerNode, Map<String, Map<String, Integer>> servicePodsPerNode) {

    public NodeLoad {
        podsPerNode = Map.copyOf(podsPerNode);
        servicePodsPerNode = Map.copyOf(servicePodsPerNode);
    }

    public int pods(String node) {
        return podsPerNode.getOrDefault(node, 0);
    }

    public int servicePods(String service, String node) {
        if (service == null) {
            return 0;
        }
        return servicePodsPerNode.getOrDefault(service, Map.of()).getOrDefault(node, 0);
    }
}

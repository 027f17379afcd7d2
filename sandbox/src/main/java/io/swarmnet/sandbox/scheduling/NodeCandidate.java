package io.swarmnet.sandbox.scheduling;

import io.fabric8.kubernetes.api.model.Taint;
import java.util.List;
import java.util.Map;

/**
 * A node as the scheduler sees it.
 *
 * @param name        Node name
 * @param labels      Node labels, matched against a pod's nodeSelector
 * @param taints      Node taints, matched against a pod's tolerations
 * @param schedulable false when the node is cordoned or not Ready
 */
public record NodeCandidate(String name, Map<String, String> labels, List<Taint> taints, boolean schedulable) {

    public NodeCandidate {
        labels = Map.copyOf(labels);
        taints = List.copyOf(taints);
    }
}

package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.PodRef;
import java.util.Map;
import java.util.Set;

/**
 * What one {@link Datapath#apply} achieved.
 *
 * @param attachedPods      pods whose every attachment and VIP rule is in place (their readiness gate may be set)
 * @param networkFailures   networks that could not be programmed, with a message naming the object and the cause
 * @param podFailures       pods that could not be attached, with a message naming the pod and the cause
 * @param changes           kernel changes made (0 when the kernel already matched)
 * @param leftoverFailures  objects no longer desired that could not be removed (e.g. a network namespace of a
 *                          network that left the node), by object name, with the cause; retried on the next apply
 */
public record ApplyReport(Set<PodRef> attachedPods, Map<NetworkKey, String> networkFailures, Map<PodRef, String> podFailures,
        int changes, Map<String, String> leftoverFailures) {

    public ApplyReport {
        attachedPods = Set.copyOf(attachedPods);
        networkFailures = Map.copyOf(networkFailures);
        podFailures = Map.copyOf(podFailures);
        leftoverFailures = Map.copyOf(leftoverFailures);
    }

    public ApplyReport(Set<PodRef> attachedPods, Map<NetworkKey, String> networkFailures, Map<PodRef, String> podFailures,
            int changes) {
        this(attachedPods, networkFailures, podFailures, changes, Map.of());
    }

    /**
     * This report with the pods of {@code failures} not attached after all, each failing for its reason: something a
     * pod needs beyond the datapath (its resolver) is missing. A pod the datapath already failed keeps that failure.
     */
    public ApplyReport withPodFailures(Map<PodRef, String> failures) {
        if (failures.isEmpty()) {
            return this;
        }
        Set<PodRef> attached = new java.util.HashSet<>(attachedPods);
        attached.removeAll(failures.keySet());
        Map<PodRef, String> failed = new java.util.HashMap<>(failures);
        failed.putAll(podFailures);
        return new ApplyReport(attached, networkFailures, failed, changes, leftoverFailures);
    }

    /** True when everything desired is in place and nothing failed: the agent need not retry. */
    public boolean complete() {
        return networkFailures.isEmpty() && podFailures.isEmpty() && leftoverFailures.isEmpty();
    }
}

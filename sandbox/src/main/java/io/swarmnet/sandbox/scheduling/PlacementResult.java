package io.swarmnet.sandbox.scheduling;

/** The scheduler's answer for one pod: a node, or why none fits (worded as kube-scheduler does). */
public sealed interface PlacementResult {

    record Placed(String node) implements PlacementResult {
    }

    record Unschedulable(String message) implements PlacementResult {
    }
}

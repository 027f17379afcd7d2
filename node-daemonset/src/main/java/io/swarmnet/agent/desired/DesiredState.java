package io.swarmnet.agent.desired;

import io.swarmnet.agent.cluster.Problem;
import java.util.List;
import java.util.Set;

/**
 * The output of {@link DesiredDatapath#compute}: what the node's kernel should hold, and the problems this
 * node should report (cluster objects it had to skip, in whole or in part).
 *
 * @param startingPods local pods the kubelet has not reported a sandbox for yet (no pod IP): the datapath attaches them
 *                     as soon as their network namespace is there, and until then their failing to attach is their
 *                     starting, reported neither as a condition nor as an event
 */
public record DesiredState(NodeDatapath datapath, List<Problem> problems, Set<PodRef> startingPods) {

    public DesiredState {
        problems = List.copyOf(problems);
        startingPods = Set.copyOf(startingPods);
    }

    public DesiredState(NodeDatapath datapath, List<Problem> problems) {
        this(datapath, problems, Set.of());
    }

    /** Whether a failure of {@code pod} this round is worth reporting: not while the pod is still starting. */
    public boolean reportsFailuresOf(PodRef pod) {
        return !startingPods.contains(pod);
    }
}

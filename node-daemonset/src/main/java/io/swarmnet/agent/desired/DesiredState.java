package io.swarmnet.agent.desired;

import io.swarmnet.agent.cluster.Problem;
import java.util.List;

/**
 * The output of {@link DesiredDatapath#compute}: what the node's kernel should hold, and the problems this
 * node should report (cluster objects it had to skip, in whole or in part).
 */
public record DesiredState(NodeDatapath datapath, List<Problem> problems) {

    public DesiredState {
        problems = List.copyOf(problems);
    }
}

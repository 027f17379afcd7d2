package io.swarmnet.agent;

import io.swarmnet.agent.cluster.Problem;
import io.swarmnet.agent.datapath.ApplyReport;
import io.swarmnet.agent.desired.NodeDatapath;
import java.util.List;
import java.util.Optional;

/**
 * What a node agent has done so far, for health checks, tests and the sandbox.
 *
 * @param synced     every informer has listed the cluster once
 * @param rounds     reconcile rounds run (computations of the desired state)
 * @param applies    times the datapath was asked to apply a state
 * @param desired    the desired state last applied, if any
 * @param report     what the datapath reported for it
 * @param problems   the problems of the last round
 */
public record AgentStatus(boolean synced, long rounds, long applies, Optional<NodeDatapath> desired,
        Optional<ApplyReport> report, List<Problem> problems) {

    public AgentStatus {
        problems = List.copyOf(problems);
    }
}

package io.swarmnet.agent.desired;

import java.util.List;

/** Everything one node's kernel should hold for swarmnet: the output of the desired-state function. */
public record NodeDatapath(NodeFacts node, List<NetworkDatapath> networks, List<PodDatapath> pods) {

    public NodeDatapath {
        networks = List.copyOf(networks);
        pods = List.copyOf(pods);
    }
}

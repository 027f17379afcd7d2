package io.swarmnet.agent.simulation;

import io.swarmnet.agent.desired.PodRef;
import java.nio.file.Path;

/**
 * A task pod on a simulated node: a network namespace with lo up, nothing else until the node's agent
 * attaches it. Its processes run through {@code ip netns exec}.
 */
public record SimulatedPod(PodRef ref, SimulatedNode node, String namespace) {

    public Path namespacePath() {
        return Path.of("/run/netns", namespace);
    }
}

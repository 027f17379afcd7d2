package io.swarmnet.agent.netns;

import io.swarmnet.agent.desired.PodRef;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the network namespace of a pod. On a real node: from the pod UID in a process's cgroup under
 * /proc (needs hostPID). On a simulated node: the namespace the simulation created for the pod.
 */
public interface PodNamespaceLocator {

    /** A path that can be opened as the pod's network namespace (e.g. /proc/PID/ns/net or /run/netns/NAME). */
    Optional<Path> find(PodRef pod);
}

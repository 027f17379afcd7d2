package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.PodRef;
import java.util.List;
import java.util.Map;

/**
 * Everything of ours the kernel holds on one node, read before planning.
 *
 * @param hostVxlans        our VXLAN devices still in the host namespace (left by a crash between create and move)
 * @param networkNamespaces our network namespaces by name, with their contents
 * @param pods              the namespaces of the desired pods that could be found, with their contents
 * @param missingPods       desired pods whose namespace could not be found or read, with the reason
 */
public record ActualNode(List<LinkState> hostVxlans, Map<String, NetworkNamespaceState> networkNamespaces,
        Map<PodRef, PodNamespaceState> pods, Map<PodRef, String> missingPods) {

    public ActualNode {
        hostVxlans = List.copyOf(hostVxlans);
        networkNamespaces = Map.copyOf(networkNamespaces);
        pods = Map.copyOf(pods);
        missingPods = Map.copyOf(missingPods);
    }
}

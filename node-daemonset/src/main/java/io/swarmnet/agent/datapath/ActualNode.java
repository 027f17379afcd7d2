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
 * @param foreignVxlans     VXLAN devices in the host namespace that we did not make (the cluster's CNI, another overlay):
 *                          one holding a network's VXLAN id on our port keeps the kernel from creating that network's
 *                          device (one device per id and port in a namespace)
 */
public record ActualNode(List<LinkState> hostVxlans, Map<String, NetworkNamespaceState> networkNamespaces,
        Map<PodRef, PodNamespaceState> pods, Map<PodRef, String> missingPods, List<LinkState> foreignVxlans) {

    /** A node without foreign VXLAN devices. */
    public ActualNode(List<LinkState> hostVxlans, Map<String, NetworkNamespaceState> networkNamespaces,
            Map<PodRef, PodNamespaceState> pods, Map<PodRef, String> missingPods) {
        this(hostVxlans, networkNamespaces, pods, missingPods, List.of());
    }

    public ActualNode {
        hostVxlans = List.copyOf(hostVxlans);
        foreignVxlans = List.copyOf(foreignVxlans);
        networkNamespaces = Map.copyOf(networkNamespaces);
        pods = Map.copyOf(pods);
        missingPods = Map.copyOf(missingPods);
    }
}

package io.swarmnet.sandbox.daemon;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.agent.simulation.SimulatedPod;
import io.swarmnet.sandbox.kubelet.PodNetworkNamespaces;

/**
 * Pod namespaces made by the node agent's simulation harness: the kubelet runs containers in exactly the
 * namespaces that the node's agent finds through the harness's locator and attaches to the overlay.
 */
final class SimulatedPodNamespaces implements PodNetworkNamespaces {

    private final SimulatedCluster cluster;

    SimulatedPodNamespaces(SimulatedCluster cluster) {
        this.cluster = cluster;
    }

    @Override
    public synchronized String create(PodRef pod, String nodeName) {
        for (SimulatedPod existing : cluster.pods()) {
            if (existing.ref().equals(pod)) {
                return existing.namespace();
            }
        }
        SimulatedNode node = cluster.nodes().stream().filter(n -> n.name().equals(nodeName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("pod " + pod + " is bound to node " + nodeName
                        + ", which is not one of the sandbox's nodes " + cluster.nodes().stream().map(SimulatedNode::name).toList()));
        return cluster.createPod(node, pod).namespace();
    }

    @Override
    public synchronized void remove(PodRef pod) {
        cluster.deletePod(pod);
    }
}

package io.swarmnet.agent.cluster;

import io.swarmnet.agent.datapath.ApplyReport;
import io.swarmnet.agent.desired.NetworkDatapath;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodAttachment;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.api.contract.NodeNetworkState.Encryption;
import io.swarmnet.api.contract.NodeNetworkStates;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * This node's state for every network it carries, for the Node annotation swarmnet.io/networks that the
 * operator aggregates into each OverlayNetwork's status. Pure: decided from the desired datapath and what
 * the datapath reported.
 */
public final class NodeNetworkReport {

    private NodeNetworkReport() {
    }

    public static NodeNetworkStates of(NodeDatapath desired, ApplyReport report) {
        Map<NetworkKey, Integer> attachedTasks = new HashMap<>();
        for (PodDatapath pod : desired.pods()) {
            if (report.attachedPods().contains(pod.pod())) {
                for (PodAttachment attachment : pod.attachments()) {
                    attachedTasks.merge(attachment.network(), 1, Integer::sum);
                }
            }
        }
        Map<String, NodeNetworkState> states = new TreeMap<>();
        for (NetworkDatapath network : desired.networks()) {
            String failure = report.networkFailures().get(network.key());
            Encryption encryption = !network.encrypted() ? Encryption.NotRequested
                    : failure == null ? Encryption.Established : Encryption.Failed;
            states.put(NodeNetworkStates.key(network.key().namespace(), network.key().name()),
                    new NodeNetworkState(network.vni().value(), attachedTasks.getOrDefault(network.key(), 0),
                            network.peerVteps().size(), encryption, failure));
        }
        return new NodeNetworkStates(states);
    }
}

package io.swarmnet.agent.cluster;

import io.swarmnet.agent.datapath.ApplyReport;
import io.swarmnet.agent.desired.NetworkDatapath;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodAttachment;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.agent.encryption.EncryptionDatapath;
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

    /**
     * @param encryption per encrypted network, what the encryption datapath achieved; a network missing from it
     *                   (encryption not running on this agent) is reported Failed, never Established
     */
    public static NodeNetworkStates of(NodeDatapath desired, ApplyReport report, EncryptionDatapath.Report encryption) {
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
            Encryption state = !network.encrypted() ? Encryption.NotRequested
                    : failure != null ? Encryption.Failed
                    : encryption.states().getOrDefault(network.key(), Encryption.Failed);
            if (failure == null && state == Encryption.Failed) {
                failure = encryption.messages().getOrDefault(network.key(),
                        "encryption is not enabled on this node's agent: traffic of this network is not carried");
            }
            states.put(NodeNetworkStates.key(network.key().namespace(), network.key().name()),
                    new NodeNetworkState(network.vni().value(), attachedTasks.getOrDefault(network.key(), 0),
                            network.peerVteps().size(), state, network.encrypted() ? encryption.mode() : null, failure));
        }
        return new NodeNetworkStates(states);
    }
}

package io.swarmnet.agent.simulation;

import io.swarmnet.agent.datapath.DatapathConfig;
import io.swarmnet.agent.datapath.NetNamespace;
import io.swarmnet.agent.desired.NodeFacts;
import io.swarmnet.api.net.IpAddress;
import java.time.Duration;

/**
 * One simulated node: a network namespace standing for the node's host network, with an "eth0" on the
 * underlay bridge.
 *
 * @param name            the Kubernetes node name
 * @param namespace       its network namespace (/run/netns/NAME), the node's "host" namespace
 * @param underlayAddress the node address (InternalIP), also its VTEP
 * @param underlayMtu     MTU of its underlay interface
 * @param datapathPrefix  the kernel-object prefix of this node's datapath (unique per node and per run)
 */
public record SimulatedNode(int index, String name, String namespace, IpAddress underlayAddress, int underlayMtu,
        String datapathPrefix) {

    /** The interface the node reaches the underlay through. */
    public static final String UNDERLAY_INTERFACE = "eth0";

    public NodeFacts facts() {
        return new NodeFacts(name, underlayAddress, underlayMtu);
    }

    public NetNamespace hostNamespace() {
        return new NetNamespace.Named(namespace);
    }

    /** A datapath configured for this node: its prefix, and its namespace as the "host" one. */
    public DatapathConfig datapathConfig() {
        return new DatapathConfig(datapathPrefix, hostNamespace(), 4, Duration.ofSeconds(30));
    }
}

package io.swarmnet.agent.desired;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import java.util.List;
import java.util.Set;

/**
 * One overlay network as this node should carry it: present only while a local task is attached.
 *
 * @param mtu             MTU of the bridge, VXLAN device and task interfaces (the network's spec.mtu, or underlay − 50,
 *                        minus ESP overhead when encrypted)
 * @param remoteEndpoints every task of the network on other nodes, sorted by address
 * @param peerVteps       underlay addresses of the other nodes carrying the network
 * @param internal        no local task may forward traffic between this network and anything else (spec.internal)
 */
public record NetworkDatapath(NetworkKey key, Vni vni, Cidr subnet, IpAddress gateway, int mtu, boolean encrypted,
        List<RemoteEndpoint> remoteEndpoints, Set<IpAddress> peerVteps, boolean internal) {

    public NetworkDatapath {
        remoteEndpoints = List.copyOf(remoteEndpoints);
        peerVteps = Set.copyOf(peerVteps);
    }

    /** A network that is not internal. */
    public NetworkDatapath(NetworkKey key, Vni vni, Cidr subnet, IpAddress gateway, int mtu, boolean encrypted,
            List<RemoteEndpoint> remoteEndpoints, Set<IpAddress> peerVteps) {
        this(key, vni, subnet, gateway, mtu, encrypted, remoteEndpoints, peerVteps, false);
    }
}

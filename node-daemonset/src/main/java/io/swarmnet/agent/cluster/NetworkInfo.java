package io.swarmnet.agent.cluster;

import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import java.util.OptionalInt;

/**
 * An OverlayNetwork whose subnet, gateway and VXLAN id the operator has allocated: only such networks
 * appear in a {@link ClusterSnapshot}.
 *
 * @param mtu      the network's spec.mtu when the user set one; otherwise each node derives it from its underlay
 * @param internal the network's spec.internal: no task forwards between it and anything else
 */
public record NetworkInfo(NetworkKey key, Vni vni, Cidr subnet, IpAddress gateway, boolean encrypted, OptionalInt mtu,
        boolean internal) {
}

package io.swarmnet.agent.datapath;

import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import java.util.Map;
import java.util.Objects;

/**
 * What the kernel holds in one of our network namespaces.
 *
 * @param links           devices by name
 * @param neighbours      permanent neighbour entries on the VXLAN device (address → MAC)
 * @param fdb             static FDB entries on the VXLAN device (MAC → VTEP)
 * @param bridgeNetfilter whether its bridged frames pass netfilter's IP hooks (br_netfilter's settings)
 */
public record NetworkNamespaceState(String namespace, Map<String, LinkState> links, Map<IpAddress, MacAddress> neighbours,
        Map<MacAddress, IpAddress> fdb, BridgeNetfilter bridgeNetfilter) {

    public NetworkNamespaceState {
        links = Map.copyOf(links);
        neighbours = Map.copyOf(neighbours);
        fdb = Map.copyOf(fdb);
        Objects.requireNonNull(bridgeNetfilter, "bridgeNetfilter");
    }
}

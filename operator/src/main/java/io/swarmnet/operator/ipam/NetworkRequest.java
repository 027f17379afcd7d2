package io.swarmnet.operator.ipam;

import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkSpec;

/** What a network's spec asks IPAM for, still as the user wrote it (parsed and checked by {@link NetworkPlanner}). */
public record NetworkRequest(String namespace, String name, String subnet, String gateway, String ipRange, Integer vxlanId) {

    public static NetworkRequest of(OverlayNetwork network) {
        OverlayNetworkSpec spec = network.getSpec() == null ? new OverlayNetworkSpec() : network.getSpec();
        return new NetworkRequest(network.getMetadata().getNamespace(), network.getMetadata().getName(),
                blankToNull(spec.getSubnet()), blankToNull(spec.getGateway()), blankToNull(spec.getIpRange()), spec.getVxlanId());
    }

    public String key() {
        return namespace + "/" + name;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}

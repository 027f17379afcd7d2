package io.swarmnet.operator.ipam;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkStatus;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A network as IPAM sees it: where addresses come from and which one the gateway holds.
 *
 * @param subnet  the whole subnet (its network and broadcast addresses are never handed out)
 * @param range   the part of the subnet addresses are handed out from (the whole subnet by default)
 * @param gateway the address the bridge holds on every node; never handed out
 */
public record AllocatableNetwork(String namespace, String name, Cidr subnet, Cidr range, IpAddress gateway) {

    public AllocatableNetwork {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(range, "range");
        Objects.requireNonNull(gateway, "gateway");
        if (!subnet.contains(range)) {
            throw new IllegalArgumentException("network " + namespace + "/" + name + ": ipRange " + range
                    + " is not inside subnet " + subnet);
        }
        if (!subnet.contains(gateway)) {
            throw new IllegalArgumentException("network " + namespace + "/" + name + ": gateway " + gateway
                    + " is not inside subnet " + subnet);
        }
    }

    /**
     * The network's allocation as the operator wrote it into status. Throws
     * {@link IllegalStateException} while the network has not been allocated (not Ready yet):
     * callers must wait for Ready rather than guess addresses.
     */
    public static AllocatableNetwork of(OverlayNetwork network) {
        String namespace = network.getMetadata().getNamespace();
        String name = network.getMetadata().getName();
        OverlayNetworkStatus status = network.getStatus();
        if (status == null || status.getSubnet() == null || status.getGateway() == null) {
            throw new IllegalStateException("OverlayNetwork " + namespace + "/" + name
                    + " has no subnet and gateway in its status yet; wait until it is Ready");
        }
        Cidr subnet = Cidr.parse(status.getSubnet());
        Cidr range = status.getIpRange() == null ? subnet : Cidr.parse(status.getIpRange());
        return new AllocatableNetwork(namespace, name, subnet, range, IpAddress.parse(status.getGateway()));
    }

    /** True for addresses that may be handed to a task or a VIP: inside the range, not the gateway, network or broadcast address. */
    public boolean isAssignable(IpAddress address) {
        return range.contains(address)
                && !address.equals(gateway)
                && !address.equals(subnet.first())
                && !address.equals(subnet.broadcast());
    }

    /** How many addresses of the range can be handed out at all. */
    public long capacity() {
        long reserved = Stream.of(subnet.first(), subnet.broadcast(), gateway).distinct().filter(range::contains).count();
        return range.size() - reserved;
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}

package io.swarmnet.operator.ipam;

import io.swarmnet.api.contract.NetworkReference;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkStatus;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A network as IPAM sees it from one namespace: where addresses come from and which one the gateway holds.
 *
 * <p>{@code namespace} and {@code name} say who takes the addresses and how they record the network: the namespace of the
 * services and pods that are given addresses, and the network as they name it ({@link NetworkReference#relativeTo(String)}:
 * its name for a network of that namespace, {@code <namespace>/<name>} for one shared with it from another). That is the key
 * their pods' address annotation and their status use, so the callers pass it on unchanged; the {@link AddressLedger} keeps
 * one set of holdings per network whatever namespace asks.
 *
 * @param namespace the namespace whose tasks and pods take addresses from the network
 * @param name      the network as that namespace records it
 * @param subnet    the whole subnet (its network and broadcast addresses are never handed out)
 * @param range     the part of the subnet addresses are handed out from (the whole subnet by default)
 * @param gateway   the address the bridge holds on every node; never handed out
 */
public record AllocatableNetwork(String namespace, String name, Cidr subnet, Cidr range, IpAddress gateway) {

    public AllocatableNetwork {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(range, "range");
        Objects.requireNonNull(gateway, "gateway");
        if (!subnet.contains(range)) {
            throw new IllegalArgumentException("network " + NetworkReference.parse(name, namespace) + ": ipRange " + range
                    + " is not inside subnet " + subnet);
        }
        if (!subnet.contains(gateway)) {
            throw new IllegalArgumentException("network " + NetworkReference.parse(name, namespace) + ": gateway " + gateway
                    + " is not inside subnet " + subnet);
        }
    }

    /**
     * The network's allocation as the operator wrote it into status. Throws
     * {@link IllegalStateException} while the network has not been allocated (not Ready yet):
     * callers must wait for Ready rather than guess addresses.
     */
    public static AllocatableNetwork of(OverlayNetwork network) {
        return of(network, network.getMetadata().getNamespace());
    }

    /**
     * As {@link #of(OverlayNetwork)}, for the tasks and pods of {@code consumerNamespace}: the network's own namespace, or one
     * it is shared with.
     */
    public static AllocatableNetwork of(OverlayNetwork network, String consumerNamespace) {
        String namespace = network.getMetadata().getNamespace();
        String name = network.getMetadata().getName();
        OverlayNetworkStatus status = network.getStatus();
        if (status == null || status.getSubnet() == null || status.getGateway() == null) {
            throw new IllegalStateException("OverlayNetwork " + namespace + "/" + name
                    + " has no subnet and gateway in its status yet; wait until it is Ready");
        }
        Cidr subnet = Cidr.parse(status.getSubnet());
        Cidr range = status.getIpRange() == null ? subnet : Cidr.parse(status.getIpRange());
        return new AllocatableNetwork(consumerNamespace, new NetworkReference(namespace, name).relativeTo(consumerNamespace), subnet,
                range, IpAddress.parse(status.getGateway()));
    }

    /** The network itself (its own namespace and name). */
    public NetworkReference network() {
        return NetworkReference.parse(name, namespace);
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
        return network().toString();
    }
}

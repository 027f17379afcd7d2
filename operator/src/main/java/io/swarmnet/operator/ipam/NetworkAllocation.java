package io.swarmnet.operator.ipam;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import java.util.Objects;

/** What one network holds cluster-wide: its subnet, gateway, allocation range and VXLAN id. */
public record NetworkAllocation(String namespace, String name, Cidr subnet, IpAddress gateway, Cidr range, Vni vni) {

    public NetworkAllocation {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(range, "range");
        Objects.requireNonNull(vni, "vni");
    }

    /** {@code namespace/name}: how messages and the registry name a network. */
    public String key() {
        return namespace + "/" + name;
    }

    public AllocatableNetwork allocatable() {
        return new AllocatableNetwork(namespace, name, subnet, range, gateway);
    }
}

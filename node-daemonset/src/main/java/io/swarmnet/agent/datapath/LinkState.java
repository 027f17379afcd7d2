package io.swarmnet.agent.datapath;

import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import java.util.List;
import java.util.Optional;

/**
 * One network device as the kernel reports it ({@code ip -d -j addr show}).
 *
 * @param kind      linkinfo kind: "bridge", "vxlan", "veth", ... ("" for devices without one, like lo)
 * @param master    name of the bridge the device is enslaved to, or null
 * @param addresses IPv4 addresses as address/prefix
 * @param alias     the interface alias (ifalias), or null
 * @param vxlan     VXLAN parameters when {@code kind} is vxlan, else null
 */
public record LinkState(String name, String kind, int mtu, boolean up, String master, MacAddress mac,
        List<InterfaceAddress> addresses, String alias, VxlanParameters vxlan) {

    public LinkState {
        addresses = List.copyOf(addresses);
    }

    public Optional<VxlanParameters> vxlanParameters() {
        return Optional.ofNullable(vxlan);
    }

    public boolean hasAddress(IpAddress address, int prefixLength) {
        return addresses.contains(new InterfaceAddress(address, prefixLength));
    }

    /** An IPv4 address on an interface with its prefix length. */
    public record InterfaceAddress(IpAddress address, int prefixLength) {
        @Override
        public String toString() {
            return address + "/" + prefixLength;
        }
    }

    /** What we pin on a VXLAN device; anything else differing from the desired value means it is recreated. */
    public record VxlanParameters(int id, IpAddress local, int port, boolean learning, boolean proxy) {
    }
}

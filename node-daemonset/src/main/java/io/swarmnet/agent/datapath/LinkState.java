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
 * @param group     the device group (0 is the kernel's "default"; -1 when {@code ip} printed a name other than "default",
 *                  which only a local /etc/iproute2/group can cause)
 * @param index     the interface index in its namespace (0 when not read)
 * @param macvlan   macvlan parameters when {@code kind} is macvlan, else null
 */
public record LinkState(String name, String kind, int mtu, boolean up, String master, MacAddress mac,
        List<InterfaceAddress> addresses, String alias, VxlanParameters vxlan, int group, int index, Macvlan macvlan) {

    /** The kernel's default device group, the one every new device is in. */
    public static final int DEFAULT_GROUP = 0;

    public LinkState {
        addresses = List.copyOf(addresses);
    }

    /** A device that is no macvlan child, its index not read. */
    public LinkState(String name, String kind, int mtu, boolean up, String master, MacAddress mac,
            List<InterfaceAddress> addresses, String alias, VxlanParameters vxlan, int group) {
        this(name, kind, mtu, up, master, mac, addresses, alias, vxlan, group, 0, null);
    }

    /** A device in the default group. */
    public LinkState(String name, String kind, int mtu, boolean up, String master, MacAddress mac,
            List<InterfaceAddress> addresses, String alias, VxlanParameters vxlan) {
        this(name, kind, mtu, up, master, mac, addresses, alias, vxlan, DEFAULT_GROUP);
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

    /**
     * A macvlan child's mode and lower device: by name when the lower device is in the same namespace
     * ({@code ip -j} prints "link"), else by its index in the other namespace ("link_index"; the pod's interface,
     * whose lower device stays in the network namespace). The unknown one is null or 0.
     */
    public record Macvlan(String mode, String lowerName, int lowerIndex) {
        public boolean bridgeModeOn(String device) {
            return "bridge".equals(mode) && device.equals(lowerName);
        }

        public boolean bridgeModeOnIndex(int index) {
            return "bridge".equals(mode) && lowerName == null && index > 0 && lowerIndex == index;
        }
    }

    /** What we pin on a VXLAN device; anything else differing from the desired value means it is recreated. */
    public record VxlanParameters(int id, IpAddress local, int port, boolean learning, boolean proxy) {
    }
}

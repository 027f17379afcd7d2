package io.swarmnet.agent.encryption;

import static io.swarmnet.agent.encryption.EncryptionDatapath.MARK;
import static io.swarmnet.agent.encryption.EncryptionDatapath.MARK_MASK;
import static io.swarmnet.agent.encryption.EncryptionDatapath.ROUTE_TABLE;
import static io.swarmnet.agent.encryption.EncryptionDatapath.SET_MARK;
import static io.swarmnet.agent.encryption.EncryptionDatapath.hex;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.NetNamespace;
import io.swarmnet.agent.datapath.VxlanPort;
import io.swarmnet.agent.encryption.userspace.EspTunnel;
import io.swarmnet.agent.encryption.userspace.SequenceStore;
import io.swarmnet.api.contract.NodeNetworkState.EncryptionMode;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Userspace ESP ({@link EspTunnel}): the agent encrypts and decrypts.
 * <ol>
 * <li>a rule sends marked packets to a routing table whose only routes are the TUN device and, behind it, a
 *     blackhole (when the agent stops, the kernel deletes the device and its route);</li>
 * <li>marked VXLAN leaving by any other device is dropped in postrouting, and VXLAN of encrypted VNIs is accepted
 *     inbound only from the TUN device, where the agent injects what it authenticated;</li>
 * <li>the agent's SA tables: every generation inbound, the primary one outbound.</li>
 * </ol>
 * No xfrm state or policy of this agent may stay: a block policy would swallow what goes to the TUN device.
 */
final class UserspaceEsp implements EspMode {

    private static final Logger LOG = LoggerFactory.getLogger(UserspaceEsp.class);
    /** Packets the TUN device queues for the sealing thread (the kernel's default 500 overflows under one TCP flow). */
    static final int TUN_QUEUE = 4096;
    /** The policy rule, as {@code ip rule} takes it and lists it. */
    private static final String RULE = "fwmark " + hex(MARK) + "/" + hex(MARK_MASK) + " lookup " + ROUTE_TABLE;

    private final KernelTools tools;
    private final NetNamespace host;
    /** The TUN device, named like the nft table. */
    private final String device;
    private final VxlanPort vxlanPort;
    /** Where sequence numbers are reserved (opened on first use). */
    private final Supplier<SequenceStore> sequences;
    private final SequenceLimit limit;
    /** Told when an outbound SA comes near its limit. */
    private final Runnable onNearLimit;
    private EspTunnel tunnel;

    UserspaceEsp(KernelTools tools, NetNamespace host, String device, VxlanPort vxlanPort, Supplier<SequenceStore> sequences,
            SequenceLimit limit, Runnable onNearLimit) {
        this.tools = tools;
        this.host = host;
        this.device = device;
        this.vxlanPort = vxlanPort;
        this.sequences = sequences;
        this.limit = limit;
        this.onNearLimit = onNearLimit;
    }

    @Override
    public EncryptionMode mode() {
        return EncryptionMode.Userspace;
    }

    @Override
    public Optional<EspTunnel> tunnel() {
        return Optional.ofNullable(tunnel);
    }

    /** Only what the agent injected after authenticating it comes from the TUN device. */
    @Override
    public String notThroughEsp() {
        return "iifname != \"" + device + "\"";
    }

    /** Marks what the agent injects, and drops marked VXLAN leaving by any device but the TUN device. */
    @Override
    public List<String> moreChains(Set<Integer> vnis) {
        List<String> lines = new ArrayList<>();
        lines.add("  chain pre {");
        lines.add("    type filter hook prerouting priority mangle; policy accept;");
        lines.add("    iifname \"" + device + "\" " + SET_MARK);
        lines.add("  }");
        lines.add("  chain post {");
        lines.add("    type filter hook postrouting priority filter; policy accept;");
        for (int vni : vnis) {
            lines.add("    udp dport " + vxlanPort + " @th,96,24 " + vni + " oifname != \"" + device + "\" drop");
        }
        lines.add("  }");
        return lines;
    }

    @Override
    public String add(EncryptionPlan plan) {
        // first the blackhole behind the device: from here on marked packets go nowhere but into the TUN device
        List<String> lines = new ArrayList<>();
        if (!hasRule(tools, host)) {
            lines.add("rule add " + RULE + " priority " + ROUTE_TABLE);
        }
        lines.add("route replace blackhole default table " + ROUTE_TABLE + " metric 1000");
        KernelTools.Result routing = tools.ipBatch(host, lines);
        if (!routing.ok()) {
            return "routing encrypted VXLAN into the userspace ESP datapath failed: " + routing.describe();
        }
        boolean started = false;
        if (tunnel == null) {
            try {
                tunnel = EspTunnel.start(device, host.enterPath(), plan.local(), vxlanPort, sequences.get(), limit, onNearLimit);
                started = true;
            } catch (IOException | RuntimeException e) {
                return "cannot start the userspace ESP datapath (TUN device " + device + ", UDP " + plan.local() + ":"
                        + EspTunnel.ESP_IN_UDP_PORT + "): " + e.getMessage() + "; traffic of this network stays blocked (fail closed)";
            }
        }
        if (started) {
            // what the agent injects is marked in prerouting (see the table), and with src_valid_mark the reverse-path
            // check looks the source up with that mark: it finds the device itself, whatever rp_filter the host sets
            KernelTools.Result sysctl = tools.run(host.wrap(List.of("sysctl", "-q", "-w", "net.ipv4.conf." + device + ".src_valid_mark=1",
                    "net.ipv6.conf." + device + ".disable_ipv6=1")), null);
            if (!sysctl.ok()) {
                LOG.warn("userspace ESP: sysctl on {} failed: {}", device, sysctl.describe());
            }
        }
        KernelTools.Result link = tools.ipBatch(host, List.of("link set dev " + device + " mtu 65535 txqueuelen " + TUN_QUEUE + " up",
                "route replace default dev " + device + " table " + ROUTE_TABLE + " metric 10"));
        if (!link.ok()) {
            // e.g. someone deleted the device: start the datapath afresh on the next round (traffic stays blocked meanwhile)
            tunnel.close();
            tunnel = null;
            return "routing encrypted VXLAN into TUN device " + device + " failed: " + link.describe();
        }
        if (plan.associations().isEmpty()) {
            return "no encryption key yet: the operator has not published the key Secret";
        }
        Map<IpAddress, Integer> outbound = new HashMap<>();
        plan.peers().forEach((peer, spi) -> spi.ifPresent(value -> outbound.put(peer, value)));
        try {
            tunnel.configure(plan.associations(), outbound);
        } catch (IOException e) {
            return "the userspace ESP datapath cannot reserve sequence numbers: " + e.getMessage()
                    + "; traffic of this network stays blocked (fail closed)";
        }
        return null;
    }

    @Override
    public List<String> removals(EncryptionPlan plan) {
        List<String> lines = KernelEsp.xfrmRemovals(tools, host, vxlanPort, List.of(), Set.of(), false);
        if (plan.isEmpty()) {
            close();
            lines.addAll(routingRemovals(tools, host));
        }
        return lines;
    }

    /** The {@code ip -batch} lines that delete this mode's rule and routing table from {@code host}, where present. */
    static List<String> routingRemovals(KernelTools tools, NetNamespace host) {
        List<String> lines = new ArrayList<>();
        if (hasRule(tools, host)) {
            lines.add("rule del " + RULE + " priority " + ROUTE_TABLE);
        }
        if (!tools.read(host, List.of("ip", "route", "show", "table", String.valueOf(ROUTE_TABLE))).stdout().isBlank()) {
            lines.add("route flush table " + ROUTE_TABLE);
        }
        return lines;
    }

    private static boolean hasRule(KernelTools tools, NetNamespace host) {
        return tools.read(host, List.of("ip", "rule", "list")).stdout().contains(RULE);
    }

    @Override
    public Set<Long> generationsNearLimit(EncryptionPlan plan) {
        return tunnel == null ? Set.of() : tunnel.generationsNearLimit();
    }

    /** Stops the userspace datapath: the kernel deletes its TUN device and the device's route. */
    @Override
    public void close() {
        if (tunnel != null) {
            tunnel.close();
            tunnel = null;
        }
    }
}

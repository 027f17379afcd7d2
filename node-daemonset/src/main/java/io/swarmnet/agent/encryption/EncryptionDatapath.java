package io.swarmnet.agent.encryption;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.NetNamespace;
import io.swarmnet.agent.datapath.VxlanPort;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.encryption.userspace.EspTunnel;
import io.swarmnet.agent.encryption.userspace.SequenceStore;
import io.swarmnet.api.contract.NodeNetworkState.Encryption;
import io.swarmnet.api.contract.NodeNetworkState.EncryptionMode;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Programs encryption of VXLAN between nodes in the node's host namespace, failing closed, in one of two modes
 * chosen per node ({@link EncryptionMode}); both put the same ESP-in-UDP (RFC 3948, port 4500) on the wire, with
 * the same keys and SPIs ({@link PairKeys}), so kernel and userspace nodes talk to each other.
 * <p>Kernel mode:
 * <ol>
 * <li>nftables marks outgoing VXLAN of encrypted VNIs (in a route-type output chain, so the mark
 *     takes part in the xfrm lookup) and drops incoming VXLAN of those VNIs that did not arrive as ESP;</li>
 * <li>a catch-all xfrm policy blocks every marked packet, and a policy per peer requires ESP,
 *     pinned to the primary key generation's SA: a packet for which no SA exists is dropped,
 *     never sent in clear;</li>
 * <li>SAs for every key generation, both directions, encapsulated in UDP 4500; the agent holds the socket that
 *     makes the kernel decapsulate what arrives.</li>
 * </ol>
 * Userspace mode ({@link EspTunnel}):
 * <ol>
 * <li>the same marking; a rule sends marked packets to a routing table whose only routes are the TUN device
 *     and, behind it, a blackhole (when the agent stops, the kernel deletes the device and its route);</li>
 * <li>marked VXLAN leaving by any other device is dropped in postrouting, and VXLAN of those VNIs is accepted
 *     inbound only from the TUN device, where the agent injects what it authenticated;</li>
 * <li>the agent's SA tables: every generation inbound, the primary one outbound.</li>
 * </ol>
 * {@link #prepare} only adds (before the VXLAN devices change), {@link #finish} removes what is no
 * longer wanted (after), so no step leaves a window in which plaintext could leave.
 * <p>Neither mode wraps a sequence number; {@link #generationsNearLimit} says which key generation's outbound SAs
 * should be replaced soon ({@link SequenceLimit}).
 */
public final class EncryptionDatapath implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EncryptionDatapath.class);
    /** Firewall mark of VXLAN packets that must be encrypted; the policies match it. */
    public static final long MARK = 0x5e00_0000L;
    public static final long MARK_MASK = 0xff00_0000L;
    /** Routing table and rule priority of the userspace mode: marked packets go to the TUN device or nowhere. */
    public static final int ROUTE_TABLE = 0x5e;
    static final int REQID = 0x5e;
    /** Packets the TUN device queues for the sealing thread (the kernel's default 500 overflows under one TCP flow). */
    static final int TUN_QUEUE = 4096;
    /** The userspace mode's policy rule, as {@code ip rule} takes it and lists it. */
    private static final String RULE = "fwmark " + hex(MARK) + "/" + hex(MARK_MASK) + " lookup " + ROUTE_TABLE;
    /** nft statement that sets our mark and keeps the other bits of the packet's mark. */
    private static final String SET_MARK = "meta mark set meta mark and " + hex(~MARK_MASK & 0xFFFF_FFFFL) + " or " + hex(MARK);
    private static final String ENCAP = "encap espinudp " + EspInUdpSocket.PORT + " " + EspInUdpSocket.PORT + " 0.0.0.0";
    private static final Pattern VNI_RULE = Pattern.compile("@th,96,24 (0x[0-9a-f]+|\\d+)");
    private static final Pattern STATE = Pattern.compile("src (\\S+) dst (\\S+)\\s+proto esp spi (0x[0-9a-f]+) reqid (\\d+)");
    // any port: policies of an earlier data path port are found, and removed, too
    private static final Pattern POLICY = Pattern.compile("src (\\S+)/32 dst (\\S+)/32 proto udp dport (\\d+)");

    private final KernelTools tools;
    private final NetNamespace host;
    private final String table;
    private final VxlanPort vxlanPort;
    private final EncryptionMode mode;
    /** The userspace mode's sequence reservations; null in kernel mode. */
    private final Supplier<SequenceStore> sequences;
    private final SequenceLimit limit;
    /** Told when an outbound SA of the userspace mode comes near its limit (the kernel mode's are read each round). */
    private final Runnable onNearLimit;
    private EspTunnel tunnel;
    private EspInUdpSocket encapSocket;
    /**
     * True once a finish with nothing encrypted left the kernel without our marking, policies and SAs: later rounds
     * of a node that carries no encrypted network then run no command at all. False at start, so the first round
     * after a restart looks at the kernel.
     */
    private boolean knownClean;

    /** Kernel mode. @param prefix the agent's kernel-object prefix: the nft table is named after it */
    public EncryptionDatapath(KernelTools tools, NetNamespace host, String prefix) {
        this(tools, host, prefix, VxlanPort.DEFAULT, EncryptionMode.Kernel, null);
    }

    /**
     * @param prefix    the agent's kernel-object prefix: the nft table and the TUN device are named after it
     * @param vxlanPort the port of the VXLAN traffic to encrypt
     * @param sequences where the userspace mode reserves sequence numbers (opened on first use); null in kernel mode
     */
    public EncryptionDatapath(KernelTools tools, NetNamespace host, String prefix, VxlanPort vxlanPort, EncryptionMode mode,
            Supplier<SequenceStore> sequences) {
        this(tools, host, prefix, vxlanPort, mode, sequences, SequenceLimit.ESP, () -> { });
    }

    /**
     * @param limit       how far outbound SAs' sequence numbers go
     * @param onNearLimit runs when an outbound SA of the userspace mode comes near {@code limit} (must not block)
     */
    public EncryptionDatapath(KernelTools tools, NetNamespace host, String prefix, VxlanPort vxlanPort, EncryptionMode mode,
            Supplier<SequenceStore> sequences, SequenceLimit limit, Runnable onNearLimit) {
        if (mode == EncryptionMode.Userspace && sequences == null) {
            throw new IllegalArgumentException("the userspace mode needs a sequence store");
        }
        this.tools = tools;
        this.host = host;
        this.table = prefix + "esp";
        this.vxlanPort = vxlanPort;
        this.mode = mode;
        this.sequences = sequences;
        this.limit = limit;
        this.onNearLimit = onNearLimit;
    }

    public EncryptionMode mode() {
        return mode;
    }

    /** The userspace datapath while it runs (for its counters). */
    public Optional<EspTunnel> tunnel() {
        return Optional.ofNullable(tunnel);
    }

    /**
     * Empty when the kernel of {@code host} holds an ESP-in-UDP state with this design's algorithm; otherwise the
     * kernel's answer. Adds and at once deletes one state between two documentation addresses.
     */
    public static Optional<String> kernelEspMissing(KernelTools tools, NetNamespace host) {
        List<String> add = List.of("xfrm state add src 192.0.2.254 dst 192.0.2.253 proto esp spi 0x5e5e0001 reqid " + REQID
                + " mode transport aead 'rfc4106(gcm(aes))' 0x" + "00".repeat(SecurityAssociation.KEY_AND_SALT_LENGTH) + " "
                + SecurityAssociation.ICV_BITS + " " + ENCAP);
        KernelTools.Result result = tools.ipBatch(host, add);
        if (result.ok()) {
            tools.ipBatch(host, List.of("xfrm state delete src 192.0.2.254 dst 192.0.2.253 proto esp spi 0x5e5e0001"));
            return Optional.empty();
        }
        return Optional.of(kernelReason(result).replaceFirst("^Error: ", ""));
    }

    /** Outcome per encrypted network: Established, or Failed with why; and how this node encrypts. */
    public record Report(Map<NetworkKey, Encryption> states, Map<NetworkKey, String> messages, EncryptionMode mode) {
        public Report(Map<NetworkKey, Encryption> states, Map<NetworkKey, String> messages) {
            this(states, messages, null);
        }
    }

    /** Adds what the plan needs, keeping everything already there: run before the datapath changes. */
    public Report prepare(EncryptionPlan plan) {
        if (plan.isEmpty() && knownClean) {
            return new Report(Map.of(), Map.of(), mode);
        }
        knownClean = false;
        Set<Integer> vnis = new TreeSet<>(plan.encryptedVnis());
        vnis.addAll(programmedVnis());
        String nftError = writeMarkingTable(vnis);
        String problem = mode == EncryptionMode.Kernel ? prepareKernel(plan) : prepareUserspace(plan);
        return report(plan, nftError != null ? "marking encrypted VXLAN failed: " + nftError : problem);
    }

    private String prepareKernel(EncryptionPlan plan) {
        if (plan.isEmpty()) {
            return null;
        }
        List<String> lines = new ArrayList<>();
        lines.add("xfrm policy update dir out mark " + hex(MARK) + " mask " + hex(MARK_MASK) + " proto udp dport " + vxlanPort
                + " priority 1000 action block");
        plan.peers().forEach((peer, spi) -> lines.add("xfrm policy update src " + plan.local() + "/32 dst " + peer + "/32 proto udp dport "
                + vxlanPort + " dir out mark " + hex(MARK) + " mask " + hex(MARK_MASK) + " priority 100 tmpl src " + plan.local()
                + " dst " + peer + " proto esp" + (spi.isPresent() ? " spi " + hex(spi.getAsInt() & 0xFFFF_FFFFL) : "")
                + " reqid " + REQID + " mode transport"));
        KernelTools.Result result = tools.ipBatch(host, lines);
        if (!result.ok()) {
            return "installing xfrm policies failed: " + result.describe();
        }
        String stateError = installAssociations(plan);
        if (stateError != null) {
            return stateError;
        }
        if (encapSocket != null && !encapSocket.address().equals(plan.local())) {
            encapSocket.close();
            encapSocket = null;
        }
        if (encapSocket == null) {
            try {
                encapSocket = EspInUdpSocket.open(host.enterPath(), plan.local());
            } catch (IOException e) {
                return "the kernel cannot receive ESP-in-UDP: " + e.getMessage();
            }
        }
        return null;
    }

    private String prepareUserspace(EncryptionPlan plan) {
        if (plan.isEmpty()) {
            return null;
        }
        // first the blackhole behind the device: from here on marked packets go nowhere but into the TUN device
        List<String> lines = new ArrayList<>();
        if (!hasUserspaceRule()) {
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
                tunnel = EspTunnel.start(table, host.enterPath(), plan.local(), vxlanPort, sequences.get(), limit, onNearLimit);
                started = true;
            } catch (IOException | RuntimeException e) {
                return "cannot start the userspace ESP datapath (TUN device " + table + ", UDP " + plan.local() + ":"
                        + EspTunnel.ESP_IN_UDP_PORT + "): " + e.getMessage() + "; traffic of this network stays blocked (fail closed)";
            }
        }
        if (started) {
            // what the agent injects is marked in prerouting (see the table), and with src_valid_mark the reverse-path
            // check looks the source up with that mark: it finds the device itself, whatever rp_filter the host sets
            KernelTools.Result sysctl = tools.run(host.wrap(List.of("sysctl", "-q", "-w", "net.ipv4.conf." + table + ".src_valid_mark=1",
                    "net.ipv6.conf." + table + ".disable_ipv6=1")), null);
            if (!sysctl.ok()) {
                LOG.warn("userspace ESP: sysctl on {} failed: {}", table, sysctl.describe());
            }
        }
        KernelTools.Result device = tools.ipBatch(host, List.of("link set dev " + table + " mtu 65535 txqueuelen " + TUN_QUEUE + " up",
                "route replace default dev " + table + " table " + ROUTE_TABLE + " metric 10"));
        if (!device.ok()) {
            // e.g. someone deleted the device: start the datapath afresh on the next round (traffic stays blocked meanwhile)
            tunnel.close();
            tunnel = null;
            return "routing encrypted VXLAN into TUN device " + table + " failed: " + device.describe();
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

    /**
     * The key generations whose outbound SAs in use have passed three quarters of their sequence numbers: the userspace
     * datapath's counters, or the kernel states' packet counts.
     */
    public Set<Long> generationsNearLimit(EncryptionPlan plan) {
        if (mode == EncryptionMode.Userspace) {
            return tunnel == null ? Set.of() : tunnel.generationsNearLimit();
        }
        if (plan.associations().isEmpty()) {
            return Set.of();
        }
        KernelTools.Result listing = tools.read(host, XfrmStateUse.COMMAND);
        return listing.ok() ? XfrmStateUse.parse(listing.stdout()).generationsNearLimit(plan, limit) : Set.of();
    }

    /** Removes what the plan no longer needs: run after the datapath changed. */
    public void finish(EncryptionPlan plan) {
        if (plan.isEmpty() && knownClean) {
            return;
        }
        // xfrm: in userspace mode nothing of ours may stay (a block policy would swallow what goes to the TUN device)
        boolean kernel = mode == EncryptionMode.Kernel;
        Set<String> wanted = new HashSet<>();
        if (kernel) {
            plan.associations().forEach(sa -> wanted.add(sa.source() + " " + sa.destination() + " " + sa.spiHex()));
        }
        List<String> lines = new ArrayList<>();
        for (String[] state : programmedStates()) {
            if (!wanted.contains(state[0] + " " + state[1] + " " + state[2])) {
                lines.add("xfrm state delete src " + state[0] + " dst " + state[1] + " proto esp spi " + state[2]);
            }
        }
        for (String[] policy : programmedPeerPolicies()) {
            IpAddress peer = IpAddress.parse(policy[1]);
            if (!kernel || !plan.peers().containsKey(peer) || Integer.parseInt(policy[2]) != vxlanPort.value()) {
                lines.add("xfrm policy delete src " + policy[0] + "/32 dst " + policy[1] + "/32 proto udp dport " + policy[2]
                        + " dir out mark " + hex(MARK) + " mask " + hex(MARK_MASK));
            }
        }
        if ((plan.isEmpty() || !kernel) && hasCatchAllPolicy()) {
            lines.add("xfrm policy delete dir out mark " + hex(MARK) + " mask " + hex(MARK_MASK) + " proto udp dport " + vxlanPort);
        }
        boolean userspaceWanted = !kernel && !plan.isEmpty();
        if (!userspaceWanted) {
            if (tunnel != null) {
                tunnel.close();
                tunnel = null;
            }
            if (hasUserspaceRule()) {
                lines.add("rule del " + RULE + " priority " + ROUTE_TABLE);
            }
            if (!tools.read(host, List.of("ip", "route", "show", "table", String.valueOf(ROUTE_TABLE))).stdout().isBlank()) {
                lines.add("route flush table " + ROUTE_TABLE);
            }
        }
        if ((plan.isEmpty() || !kernel) && encapSocket != null) {
            encapSocket.close();
            encapSocket = null;
        }
        boolean removed = lines.isEmpty() || tools.ipBatch(host, lines).ok();
        boolean tableWritten = writeMarkingTable(plan.encryptedVnis()) == null;
        knownClean = plan.isEmpty() && removed && tableWritten;
    }

    private boolean hasUserspaceRule() {
        return tools.read(host, List.of("ip", "rule", "list")).stdout().contains(RULE);
    }

    /** Stops the userspace datapath and releases the ESP-in-UDP socket; the kernel's marking and policies stay (fail closed). */
    @Override
    public void close() {
        if (tunnel != null) {
            tunnel.close();
            tunnel = null;
        }
        if (encapSocket != null) {
            encapSocket.close();
            encapSocket = null;
        }
    }

    private boolean hasCatchAllPolicy() {
        return tools.read(host, List.of("ip", "xfrm", "policy", "list")).stdout().contains("action block");
    }

    private String installAssociations(EncryptionPlan plan) {
        if (plan.associations().isEmpty()) {
            return plan.isEmpty() ? null : "no encryption key yet: the operator has not published the key Secret";
        }
        Set<String> present = new HashSet<>();
        for (String[] state : programmedStates()) {
            present.add(state[0] + " " + state[1] + " " + state[2]);
        }
        List<String> lines = new ArrayList<>();
        for (SecurityAssociation sa : plan.associations()) {
            if (!present.contains(sa.source() + " " + sa.destination() + " " + sa.spiHex())) {
                lines.add("xfrm state add src " + sa.source() + " dst " + sa.destination() + " proto esp spi " + sa.spiHex()
                        + " reqid " + REQID + " mode transport aead 'rfc4106(gcm(aes))' " + sa.aeadArgument() + " " + SecurityAssociation.ICV_BITS + " " + ENCAP);
            }
        }
        if (lines.isEmpty()) {
            return null;
        }
        KernelTools.Result result = tools.ipBatch(host, lines);
        if (result.ok()) {
            return null;
        }
        String reason = kernelReason(result);
        return "the kernel cannot hold IPsec ESP states (" + reason + "): traffic of this network stays blocked (fail closed)";
    }

    /** The kernel's own words from a failed {@code ip -batch}: its stderr without the line-number lines (never a key). */
    private static String kernelReason(KernelTools.Result result) {
        return result.stderr().lines().filter(l -> !l.startsWith("Command failed")).findFirst().orElse(result.stderr()).strip();
    }

    private Report report(EncryptionPlan plan, String problem) {
        Map<NetworkKey, Encryption> states = new HashMap<>();
        Map<NetworkKey, String> messages = new HashMap<>();
        plan.networkPeers().forEach((network, peers) -> {
            if (problem == null || peers.isEmpty()) {
                states.put(network, Encryption.Established);
            } else {
                states.put(network, Encryption.Failed);
                messages.put(network, problem);
            }
        });
        return new Report(states, messages, mode);
    }

    private String writeMarkingTable(Set<Integer> vnis) {
        List<String> lines = new ArrayList<>();
        // declare-then-delete makes the replacement one atomic transaction whether or not the table exists
        lines.add("table ip " + table + " { }");
        lines.add("delete table ip " + table);
        if (!vnis.isEmpty()) {
            lines.add("table ip " + table + " {");
            lines.add("  chain out {");
            lines.add("    type route hook output priority mangle; policy accept;");
            for (int vni : vnis) {
                lines.add("    udp dport " + vxlanPort + " @th,96,24 " + vni + " " + SET_MARK);
            }
            lines.add("  }");
            lines.add("  chain in {");
            lines.add("    type filter hook input priority filter; policy accept;");
            for (int vni : vnis) {
                // kernel: only what xfrm decrypted; userspace: only what the agent injected after authenticating it
                lines.add("    udp dport " + vxlanPort + " @th,96,24 " + vni + (mode == EncryptionMode.Kernel ? " meta secpath missing drop"
                        : " iifname != \"" + table + "\" drop"));
            }
            lines.add("  }");
            if (mode == EncryptionMode.Userspace) {
                lines.add("  chain pre {");
                lines.add("    type filter hook prerouting priority mangle; policy accept;");
                lines.add("    iifname \"" + table + "\" " + SET_MARK);
                lines.add("  }");
                lines.add("  chain post {");
                lines.add("    type filter hook postrouting priority filter; policy accept;");
                for (int vni : vnis) {
                    lines.add("    udp dport " + vxlanPort + " @th,96,24 " + vni + " oifname != \"" + table + "\" drop");
                }
                lines.add("  }");
            }
            lines.add("}");
        }
        KernelTools.Result result = tools.nft(host, lines);
        return result.ok() ? null : result.describe();
    }

    Set<Integer> programmedVnis() {
        KernelTools.Result result = tools.read(host, List.of("nft", "list", "table", "ip", table));
        Set<Integer> vnis = new TreeSet<>();
        if (result.ok()) {
            Matcher m = VNI_RULE.matcher(result.stdout());
            while (m.find()) {
                // nft lists raw payload values in hex
                vnis.add(Integer.decode(m.group(1)));
            }
        }
        return vnis;
    }

    List<String[]> programmedStates() {
        KernelTools.Result result = tools.read(host, List.of("ip", "xfrm", "state", "list"));
        List<String[]> states = new ArrayList<>();
        Matcher m = STATE.matcher(result.stdout());
        while (m.find()) {
            if (Integer.parseInt(m.group(4)) == REQID) {
                states.add(new String[] {m.group(1), m.group(2), m.group(3)});
            }
        }
        return states;
    }

    List<String[]> programmedPeerPolicies() {
        KernelTools.Result result = tools.read(host, List.of("ip", "xfrm", "policy", "list"));
        List<String[]> policies = new ArrayList<>();
        for (String block : result.stdout().split("\n(?=src )")) {
            Matcher m = POLICY.matcher(block);
            if (m.find() && block.contains("mark " + hex(MARK) + "/" + hex(MARK_MASK))) {
                policies.add(new String[] {m.group(1), m.group(2), m.group(3)});
            }
        }
        return policies;
    }

    private static String hex(long value) {
        return String.format("0x%08x", value);
    }
}

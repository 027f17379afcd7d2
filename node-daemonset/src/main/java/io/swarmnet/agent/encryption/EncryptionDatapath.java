package io.swarmnet.agent.encryption;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.NetNamespace;
import io.swarmnet.agent.datapath.VxlanPort;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.encryption.userspace.EspTunnel;
import io.swarmnet.agent.encryption.userspace.SequenceStore;
import io.swarmnet.api.contract.NodeNetworkState.Encryption;
import io.swarmnet.api.contract.NodeNetworkState.EncryptionMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Programs encryption of VXLAN between nodes in the node's host namespace, failing closed, in one of two modes
 * chosen per node ({@link EncryptionMode}): {@link KernelEsp} or {@link UserspaceEsp}. Both put the same ESP-in-UDP
 * (RFC 3948, port 4500) on the wire, with the same keys and SPIs ({@link PairKeys}), so kernel and userspace nodes
 * talk to each other.
 * <p>Both start the same way: nftables marks outgoing VXLAN of encrypted VNIs (in a route-type output chain, so the
 * mark takes part in the xfrm lookup and in policy routing) and drops incoming VXLAN of those VNIs that did not come
 * through the mode's ESP; the mode keeps marked packets from leaving other than through its ESP.
 * <p>{@link #prepare} only adds (before the VXLAN devices change), {@link #finish} removes what is no
 * longer wanted (after), so no step leaves a window in which plaintext could leave.
 * <p>Neither mode wraps a sequence number; {@link #generationsNearLimit} says which key generation's outbound SAs
 * should be replaced soon ({@link SequenceLimit}).
 */
public final class EncryptionDatapath implements AutoCloseable {

    /** Firewall mark of VXLAN packets that must be encrypted; the policies match it. */
    public static final long MARK = 0x5e00_0000L;
    public static final long MARK_MASK = 0xff00_0000L;
    /** Routing table and rule priority of the userspace mode: marked packets go to the TUN device or nowhere. */
    public static final int ROUTE_TABLE = 0x5e;
    /** nft statement that sets our mark and keeps the other bits of the packet's mark. */
    static final String SET_MARK = "meta mark set meta mark and " + hex(~MARK_MASK & 0xFFFF_FFFFL) + " or " + hex(MARK);
    private static final Pattern VNI_RULE = Pattern.compile("@th,96,24 (0x[0-9a-f]+|\\d+)");

    private final KernelTools tools;
    private final NetNamespace host;
    private final String table;
    private final VxlanPort vxlanPort;
    private final EspMode esp;
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
     * @param onNearLimit runs when an outbound SA of the userspace mode comes near {@code limit} (must not block; the
     *                    kernel mode's are read each round)
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
        this.esp = mode == EncryptionMode.Kernel ? new KernelEsp(tools, host, vxlanPort, limit)
                : new UserspaceEsp(tools, host, table, vxlanPort, sequences, limit, onNearLimit);
    }

    public EncryptionMode mode() {
        return esp.mode();
    }

    /** The userspace datapath while it runs (for its counters). */
    public Optional<EspTunnel> tunnel() {
        return esp.tunnel();
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
            return new Report(Map.of(), Map.of(), esp.mode());
        }
        knownClean = false;
        Set<Integer> vnis = new TreeSet<>(plan.encryptedVnis());
        vnis.addAll(programmedVnis());
        String nftError = writeMarkingTable(vnis);
        String problem = plan.isEmpty() ? null : esp.add(plan);
        return report(plan, nftError != null ? "marking encrypted VXLAN failed: " + nftError : problem);
    }

    /**
     * The key generations whose outbound SAs in use have passed three quarters of their sequence numbers: the userspace
     * datapath's counters, or the kernel states' packet counts.
     */
    public Set<Long> generationsNearLimit(EncryptionPlan plan) {
        return esp.generationsNearLimit(plan);
    }

    /** Removes what the plan no longer needs: run after the datapath changed. */
    public void finish(EncryptionPlan plan) {
        if (plan.isEmpty() && knownClean) {
            return;
        }
        List<String> lines = esp.removals(plan);
        boolean removed = lines.isEmpty() || tools.ipBatch(host, lines).ok();
        boolean tableWritten = writeMarkingTable(plan.encryptedVnis()) == null;
        knownClean = plan.isEmpty() && removed && tableWritten;
    }

    /** Stops the userspace datapath and releases the ESP-in-UDP socket; the kernel's marking and policies stay (fail closed). */
    @Override
    public void close() {
        esp.close();
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
        return new Report(states, messages, esp.mode());
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
                lines.add("    udp dport " + vxlanPort + " @th,96,24 " + vni + " " + esp.notThroughEsp() + " drop");
            }
            lines.add("  }");
            lines.addAll(esp.moreChains(vnis));
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

    /** This agent's per-peer xfrm policies in the host namespace, whichever mode put them there. */
    List<XfrmListing.Policy> programmedPeerPolicies() {
        return KernelEsp.peerPolicies(tools, host);
    }

    static String hex(long value) {
        return String.format("0x%08x", value);
    }
}

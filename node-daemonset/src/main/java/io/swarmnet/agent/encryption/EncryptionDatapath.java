package io.swarmnet.agent.encryption;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.NetNamespace;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.api.contract.NodeNetworkState.Encryption;
import io.swarmnet.api.net.IpAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Programs encryption of VXLAN between nodes in the node's host namespace, failing closed:
 * <ol>
 * <li>nftables marks outgoing VXLAN of encrypted VNIs (in a route-type output chain, so the mark
 *     takes part in the xfrm lookup) and drops incoming VXLAN of those VNIs that did not arrive as ESP;</li>
 * <li>a catch-all xfrm policy blocks every marked packet, and a policy per peer requires ESP,
 *     pinned to the primary key generation's SA: a packet for which no SA exists is dropped,
 *     never sent in clear;</li>
 * <li>SAs for every key generation, both directions (where the kernel can hold them).</li>
 * </ol>
 * {@link #prepare} only adds (before the VXLAN devices change), {@link #finish} removes what is no
 * longer wanted (after), so no step leaves a window in which plaintext could leave.
 */
public final class EncryptionDatapath {

    /** Firewall mark of VXLAN packets that must be encrypted; the policies match it. */
    public static final long MARK = 0x5e00_0000L;
    public static final long MARK_MASK = 0xff00_0000L;
    static final int REQID = 0x5e;
    static final int VXLAN_PORT = 4789;
    private static final Pattern VNI_RULE = Pattern.compile("@th,96,24 (0x[0-9a-f]+|\\d+)");
    private static final Pattern STATE = Pattern.compile("src (\\S+) dst (\\S+)\\s+proto esp spi (0x[0-9a-f]+) reqid (\\d+)");
    private static final Pattern POLICY = Pattern.compile("src (\\S+)/32 dst (\\S+)/32 proto udp dport " + VXLAN_PORT);

    private final KernelTools tools;
    private final NetNamespace host;
    private final String table;
    /**
     * True once a finish with nothing encrypted left the kernel without our marking, policies and SAs: later rounds
     * of a node that carries no encrypted network then run no command at all. False at start, so the first round
     * after a restart looks at the kernel.
     */
    private boolean knownClean;

    /** @param prefix the agent's kernel-object prefix: the nft table is named after it */
    public EncryptionDatapath(KernelTools tools, NetNamespace host, String prefix) {
        this.tools = tools;
        this.host = host;
        this.table = prefix + "esp";
    }

    /** Outcome per encrypted network: Established, or Failed with why. */
    public record Report(Map<NetworkKey, Encryption> states, Map<NetworkKey, String> messages) {
    }

    /** Adds what the plan needs, keeping everything already there: run before the datapath changes. */
    public Report prepare(EncryptionPlan plan) {
        if (plan.isEmpty() && knownClean) {
            return new Report(Map.of(), Map.of());
        }
        knownClean = false;
        Set<Integer> vnis = new TreeSet<>(plan.encryptedVnis());
        vnis.addAll(programmedVnis());
        String nftError = writeMarkingTable(vnis);
        String policyError = null;
        if (!plan.isEmpty()) {
            List<String> lines = new ArrayList<>();
            lines.add("xfrm policy update dir out mark " + hex(MARK) + " mask " + hex(MARK_MASK) + " proto udp dport " + VXLAN_PORT
                    + " priority 1000 action block");
            plan.peers().forEach((peer, spi) -> lines.add("xfrm policy update src " + plan.local() + "/32 dst " + peer + "/32 proto udp dport "
                    + VXLAN_PORT + " dir out mark " + hex(MARK) + " mask " + hex(MARK_MASK) + " priority 100 tmpl src " + plan.local()
                    + " dst " + peer + " proto esp" + (spi.isPresent() ? " spi " + hex(spi.getAsInt() & 0xFFFF_FFFFL) : "")
                    + " reqid " + REQID + " mode transport"));
            KernelTools.Result result = tools.ipBatch(host, lines);
            policyError = result.ok() ? null : result.describe();
        }
        String stateError = installAssociations(plan);
        return report(plan, nftError, policyError, stateError);
    }

    /** Removes what the plan no longer needs: run after the datapath changed. */
    public void finish(EncryptionPlan plan) {
        if (plan.isEmpty() && knownClean) {
            return;
        }
        Set<String> wanted = new HashSet<>();
        plan.associations().forEach(sa -> wanted.add(sa.source() + " " + sa.destination() + " " + sa.spiHex()));
        List<String> lines = new ArrayList<>();
        for (String[] state : programmedStates()) {
            if (!wanted.contains(state[0] + " " + state[1] + " " + state[2])) {
                lines.add("xfrm state delete src " + state[0] + " dst " + state[1] + " proto esp spi " + state[2]);
            }
        }
        for (String[] policy : programmedPeerPolicies()) {
            IpAddress peer = IpAddress.parse(policy[1]);
            if (!plan.peers().containsKey(peer)) {
                lines.add("xfrm policy delete src " + policy[0] + "/32 dst " + policy[1] + "/32 proto udp dport " + VXLAN_PORT
                        + " dir out mark " + hex(MARK) + " mask " + hex(MARK_MASK));
            }
        }
        if (plan.isEmpty() && hasCatchAllPolicy()) {
            lines.add("xfrm policy delete dir out mark " + hex(MARK) + " mask " + hex(MARK_MASK) + " proto udp dport " + VXLAN_PORT);
        }
        boolean removed = lines.isEmpty() || tools.ipBatch(host, lines).ok();
        boolean tableWritten = writeMarkingTable(plan.encryptedVnis()) == null;
        knownClean = plan.isEmpty() && removed && tableWritten;
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
                        + " reqid " + REQID + " mode transport aead 'rfc4106(gcm(aes))' " + sa.aeadArgument() + " " + SecurityAssociation.ICV_BITS);
            }
        }
        if (lines.isEmpty()) {
            return null;
        }
        KernelTools.Result result = tools.ipBatch(host, lines);
        if (result.ok()) {
            return null;
        }
        // the batch's stderr names the failing line number and the kernel's reason, never the key
        String reason = result.stderr().lines().filter(l -> !l.startsWith("Command failed")).findFirst().orElse(result.stderr()).strip();
        return "the kernel cannot hold IPsec ESP states (" + reason + "): traffic of this network stays blocked (fail closed)";
    }

    private Report report(EncryptionPlan plan, String nftError, String policyError, String stateError) {
        Map<NetworkKey, Encryption> states = new HashMap<>();
        Map<NetworkKey, String> messages = new HashMap<>();
        String problem = nftError != null ? "marking encrypted VXLAN failed: " + nftError
                : policyError != null ? "installing xfrm policies failed: " + policyError : stateError;
        plan.networkPeers().forEach((network, peers) -> {
            if (problem == null || peers.isEmpty()) {
                states.put(network, problem == null ? Encryption.Established : Encryption.Failed);
                if (problem != null) {
                    messages.put(network, problem);
                }
            } else {
                states.put(network, Encryption.Failed);
                messages.put(network, problem);
            }
        });
        return new Report(states, messages);
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
                lines.add("    udp dport " + VXLAN_PORT + " @th,96,24 " + vni + " meta mark set meta mark and " + hex(~MARK_MASK & 0xFFFF_FFFFL)
                        + " or " + hex(MARK));
            }
            lines.add("  }");
            lines.add("  chain in {");
            lines.add("    type filter hook input priority filter; policy accept;");
            for (int vni : vnis) {
                lines.add("    udp dport " + VXLAN_PORT + " @th,96,24 " + vni + " meta secpath missing drop");
            }
            lines.add("  }");
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
                policies.add(new String[] {m.group(1), m.group(2)});
            }
        }
        return policies;
    }

    private static String hex(long value) {
        return String.format("0x%08x", value);
    }
}

package io.swarmnet.agent.encryption;

import static io.swarmnet.agent.encryption.EncryptionDatapath.MARK;
import static io.swarmnet.agent.encryption.EncryptionDatapath.MARK_MASK;
import static io.swarmnet.agent.encryption.EncryptionDatapath.hex;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.NetNamespace;
import io.swarmnet.agent.datapath.VxlanPort;
import io.swarmnet.api.contract.NodeNetworkState.EncryptionMode;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Kernel ESP: the kernel's xfrm encrypts and decrypts.
 * <ol>
 * <li>a catch-all xfrm policy blocks every marked packet, and a policy per peer requires ESP,
 *     pinned to the primary key generation's SA: a packet for which no SA exists is dropped,
 *     never sent in clear;</li>
 * <li>SAs for every key generation, both directions, encapsulated in UDP 4500; the agent holds the socket that
 *     makes the kernel decapsulate what arrives;</li>
 * <li>inbound, VXLAN of encrypted VNIs that the kernel did not decrypt is dropped.</li>
 * </ol>
 * Neither policy nor state has a packet limit; the states' packet counts say when a key generation is worn
 * ({@link XfrmStateUse}).
 */
public final class KernelEsp implements EspMode {

    static final int REQID = 0x5e;
    private static final String ENCAP = "encap espinudp " + EspInUdpSocket.PORT + " " + EspInUdpSocket.PORT + " 0.0.0.0";
    private static final List<String> STATE_LIST = List.of("ip", "xfrm", "state", "list");
    private static final List<String> POLICY_LIST = List.of("ip", "xfrm", "policy", "list");

    private final KernelTools tools;
    private final NetNamespace host;
    private final VxlanPort vxlanPort;
    private final SequenceLimit limit;
    private EspInUdpSocket encapSocket;

    KernelEsp(KernelTools tools, NetNamespace host, VxlanPort vxlanPort, SequenceLimit limit) {
        this.tools = tools;
        this.host = host;
        this.vxlanPort = vxlanPort;
        this.limit = limit;
    }

    /**
     * Empty when the kernel of {@code host} holds an ESP-in-UDP state with this design's algorithm; otherwise the
     * kernel's answer. Adds and at once deletes one state between two documentation addresses.
     */
    public static Optional<String> missing(KernelTools tools, NetNamespace host) {
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

    @Override
    public EncryptionMode mode() {
        return EncryptionMode.Kernel;
    }

    /** Only what xfrm decrypted has a secpath. */
    @Override
    public String notThroughEsp() {
        return "meta secpath missing";
    }

    @Override
    public List<String> moreChains(Set<Integer> vnis) {
        return List.of();
    }

    @Override
    public String add(EncryptionPlan plan) {
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

    private String installAssociations(EncryptionPlan plan) {
        if (plan.associations().isEmpty()) {
            return "no encryption key yet: the operator has not published the key Secret";
        }
        List<XfrmListing.State> present = states(tools, host);
        List<String> lines = new ArrayList<>();
        for (SecurityAssociation sa : plan.associations()) {
            if (present.stream().noneMatch(state -> holds(state, sa))) {
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

    @Override
    public List<String> removals(EncryptionPlan plan) {
        List<String> lines = xfrmRemovals(tools, host, vxlanPort, plan.associations(), plan.peers().keySet(), !plan.isEmpty());
        lines.addAll(UserspaceEsp.routingRemovals(tools, host));
        if (plan.isEmpty() && encapSocket != null) {
            encapSocket.close();
            encapSocket = null;
        }
        return lines;
    }

    /**
     * The {@code ip -batch} lines that delete this agent's xfrm states and per-peer policies other than the wanted
     * ones (policies of another VXLAN port always), and the catch-all policy unless {@code keepCatchAll}.
     */
    static List<String> xfrmRemovals(KernelTools tools, NetNamespace host, VxlanPort vxlanPort, Collection<SecurityAssociation> wantedStates,
            Set<IpAddress> wantedPeers, boolean keepCatchAll) {
        List<String> lines = new ArrayList<>();
        for (XfrmListing.State state : states(tools, host)) {
            if (wantedStates.stream().noneMatch(sa -> holds(state, sa))) {
                lines.add("xfrm state delete src " + state.source() + " dst " + state.destination() + " proto esp spi " + hex(state.spi() & 0xFFFF_FFFFL));
            }
        }
        List<XfrmListing.Policy> policies = XfrmListing.policies(tools.read(host, POLICY_LIST).stdout());
        for (XfrmListing.Policy policy : peerPolicies(policies)) {
            IpAddress peer = XfrmListing.Policy.host(policy.destination()).orElseThrow();
            int port = policy.destinationPort().orElseThrow();
            if (!wantedPeers.contains(peer) || port != vxlanPort.value()) {
                lines.add("xfrm policy delete src " + policy.source() + " dst " + policy.destination() + " proto udp dport " + port
                        + " dir out mark " + hex(MARK) + " mask " + hex(MARK_MASK));
            }
        }
        if (!keepCatchAll && policies.stream().anyMatch(XfrmListing.Policy::blocks)) {
            lines.add("xfrm policy delete dir out mark " + hex(MARK) + " mask " + hex(MARK_MASK) + " proto udp dport " + vxlanPort);
        }
        return lines;
    }

    /** This agent's ESP states in the kernel of {@code host}. */
    static List<XfrmListing.State> states(KernelTools tools, NetNamespace host) {
        return XfrmListing.states(tools.read(host, STATE_LIST).stdout()).stream().filter(state -> state.reqid() == REQID).toList();
    }

    /** This agent's per-peer policies in the kernel of {@code host}, of any VXLAN port. */
    static List<XfrmListing.Policy> peerPolicies(KernelTools tools, NetNamespace host) {
        return peerPolicies(XfrmListing.policies(tools.read(host, POLICY_LIST).stdout()));
    }

    // any port: policies of an earlier data path port are found, and removed, too
    private static List<XfrmListing.Policy> peerPolicies(List<XfrmListing.Policy> policies) {
        return policies.stream().filter(p -> XfrmListing.Policy.host(p.source()).isPresent() && XfrmListing.Policy.host(p.destination()).isPresent()
                && p.protocol().equals(Optional.of("udp")) && p.destinationPort().isPresent() && p.marked(MARK, MARK_MASK)).toList();
    }

    private static boolean holds(XfrmListing.State state, SecurityAssociation sa) {
        return state.source().equals(sa.source()) && state.destination().equals(sa.destination()) && state.spi() == sa.spi();
    }

    @Override
    public Set<Long> generationsNearLimit(EncryptionPlan plan) {
        if (plan.associations().isEmpty()) {
            return Set.of();
        }
        KernelTools.Result listing = tools.read(host, XfrmStateUse.COMMAND);
        return listing.ok() ? XfrmStateUse.parse(listing.stdout()).generationsNearLimit(plan, limit) : Set.of();
    }

    @Override
    public void close() {
        if (encapSocket != null) {
            encapSocket.close();
            encapSocket = null;
        }
    }
}

package io.swarmnet.agent.encryption;

import io.swarmnet.api.net.IpAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * How many packets each kernel ESP state has carried, as {@code ip -s xfrm state list} prints it, and which key
 * generations' outbound states in use are therefore near their sequence limit. Pure.
 *
 * <p>For an outbound state the packet count is its last sequence number: the kernel numbers each packet it sends
 * and, without extended sequence numbers (our states have none, as the userspace datapath), refuses to wrap
 * ({@code -EOVERFLOW}) at 2^32-1. That is the kernel path's hard stop whatever the configured limit; a lower
 * limit only brings the report forward. No {@code limit packet-hard}: the kernel would delete the expired state,
 * the next round would add it again with its counter at 1, and the same key would repeat nonces.
 */
public final class XfrmStateUse {

    /** The command whose output {@link #parse} reads. */
    public static final List<String> COMMAND = List.of("ip", "-s", "xfrm", "state", "list");

    /** Packets per state. */
    private final Map<StateKey, Long> packets;

    private record StateKey(IpAddress source, IpAddress destination, int spi) {
    }

    private XfrmStateUse(Map<StateKey, Long> packets) {
        this.packets = Map.copyOf(packets);
    }

    public static XfrmStateUse parse(String listing) {
        Map<StateKey, Long> packets = new HashMap<>();
        for (XfrmListing.State state : XfrmListing.states(listing)) {
            state.packets().ifPresent(count -> packets.put(new StateKey(state.source(), state.destination(), state.spi()), count));
        }
        return new XfrmStateUse(packets);
    }

    /** Packets {@code sa}'s state has carried; 0 when the kernel does not hold it. */
    public long packets(SecurityAssociation sa) {
        return packets.getOrDefault(new StateKey(sa.source(), sa.destination(), sa.spi()), 0L);
    }

    /** The generations of the plan's outbound SAs in use (one per peer) whose states are near {@code limit}. */
    public Set<Long> generationsNearLimit(EncryptionPlan plan, SequenceLimit limit) {
        Set<Long> generations = new TreeSet<>();
        for (SecurityAssociation sa : plan.associations()) {
            if (inUseOutbound(plan, sa) && limit.nearLimit(packets(sa))) {
                generations.add(sa.generation());
            }
        }
        return generations;
    }

    private static boolean inUseOutbound(EncryptionPlan plan, SecurityAssociation sa) {
        // SPIs are at least 256, so 0 stands for a peer without an outbound SA
        return sa.source().equals(plan.local()) && plan.peers().getOrDefault(sa.destination(), OptionalInt.empty()).orElse(0) == sa.spi();
    }
}

package io.swarmnet.agent.encryption;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    private static final Pattern STATE = Pattern.compile("src (\\S+) dst (\\S+)\\s+proto esp spi (0x[0-9a-f]+)");
    private static final Pattern PACKETS = Pattern.compile("lifetime current:\\s+\\d+\\(bytes\\), (\\d+)\\(packets\\)");

    /** Packets per state, keyed {@code "<source> <destination> <spi>"}. */
    private final Map<String, Long> packets;

    private XfrmStateUse(Map<String, Long> packets) {
        this.packets = Map.copyOf(packets);
    }

    public static XfrmStateUse parse(String listing) {
        Map<String, Long> packets = new HashMap<>();
        for (String block : listing.split("\n(?=src )")) {
            Matcher state = STATE.matcher(block);
            Matcher count = PACKETS.matcher(block);
            if (state.find() && count.find()) {
                packets.put(state.group(1) + " " + state.group(2) + " " + state.group(3), Long.parseLong(count.group(1)));
            }
        }
        return new XfrmStateUse(packets);
    }

    /** Packets {@code sa}'s state has carried; 0 when the kernel does not hold it. */
    public long packets(SecurityAssociation sa) {
        return packets.getOrDefault(sa.source() + " " + sa.destination() + " " + sa.spiHex(), 0L);
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

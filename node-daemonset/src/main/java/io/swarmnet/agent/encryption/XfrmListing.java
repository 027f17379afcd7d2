package io.swarmnet.agent.encryption;

import io.swarmnet.api.net.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what iproute2 prints for {@code ip [-s] xfrm state list} and {@code ip xfrm policy list}: one block per
 * entry, each starting with a {@code src} line at the margin and going on in tab-indented lines. Pure; entries it
 * cannot read (another protocol, IPv6) are left out, since none of them is one this agent programs.
 */
public final class XfrmListing {

    private static final Pattern BLOCK_START = Pattern.compile("\n(?=src )");
    // without -s iproute2 prints "spi 0x5e5e0001 reqid 94", with -s "spi 0x5e5e0001(1583218689) reqid 94(0x0000005e)"
    private static final Pattern STATE = Pattern.compile("^src (\\S+) dst (\\S+)\\s+proto esp spi 0x([0-9a-f]+)(?:\\(\\d+\\))? reqid (\\d+)");
    private static final Pattern PACKETS = Pattern.compile("lifetime current:\\s+\\d+\\(bytes\\), (\\d+)\\(packets\\)");
    private static final Pattern SELECTOR = Pattern.compile("^src (\\S+) dst (\\S+)(?: proto (\\S+))?(?: dport (\\d+))?");
    private static final Pattern DIRECTION = Pattern.compile("\\bdir (\\S+)");
    private static final Pattern MARK = Pattern.compile("\\bmark 0x([0-9a-f]+)/0x([0-9a-f]+)");

    private XfrmListing() {
    }

    /**
     * One ESP state. {@code packets}: how many it has carried, when the listing was made with {@code -s}.
     */
    public record State(IpAddress source, IpAddress destination, int spi, int reqid, OptionalLong packets) {
    }

    /**
     * One policy. The selectors are kept as iproute2 prints them ({@code 192.0.2.1/32}, {@code ::/0}): a policy
     * someone else added may be of any family. {@code blocks}: its action is {@code block} (the default, allow, is
     * not printed).
     */
    public record Policy(String source, String destination, Optional<String> protocol, OptionalInt destinationPort,
            String direction, boolean blocks, OptionalLong mark, OptionalLong markMask) {

        /** The address of a selector that names exactly one IPv4 host ({@code a.b.c.d/32}). */
        public static Optional<IpAddress> host(String selector) {
            if (!selector.endsWith("/32")) {
                return Optional.empty();
            }
            String address = selector.substring(0, selector.length() - 3);
            return IpAddress.isValid(address) ? Optional.of(IpAddress.parse(address)) : Optional.empty();
        }

        public boolean marked(long value, long mask) {
            return mark.isPresent() && mark.getAsLong() == value && markMask.isPresent() && markMask.getAsLong() == mask;
        }
    }

    /** The ESP states of an {@code ip [-s] xfrm state list} listing, in its order. */
    public static List<State> states(String listing) {
        List<State> states = new ArrayList<>();
        for (String block : BLOCK_START.split(listing)) {
            Matcher m = STATE.matcher(block);
            if (!m.find() || !IpAddress.isValid(m.group(1)) || !IpAddress.isValid(m.group(2))) {
                continue;
            }
            Matcher count = PACKETS.matcher(block);
            states.add(new State(IpAddress.parse(m.group(1)), IpAddress.parse(m.group(2)), Integer.parseUnsignedInt(m.group(3), 16),
                    Integer.parseInt(m.group(4)), count.find() ? OptionalLong.of(Long.parseLong(count.group(1))) : OptionalLong.empty()));
        }
        return states;
    }

    /** The policies of an {@code ip xfrm policy list} listing, in its order. */
    public static List<Policy> policies(String listing) {
        List<Policy> policies = new ArrayList<>();
        for (String block : BLOCK_START.split(listing)) {
            Matcher selector = SELECTOR.matcher(block);
            if (!selector.find()) {
                continue;
            }
            Matcher direction = DIRECTION.matcher(block);
            Matcher mark = MARK.matcher(block);
            boolean marked = mark.find();
            policies.add(new Policy(selector.group(1), selector.group(2), Optional.ofNullable(selector.group(3)),
                    selector.group(4) == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(selector.group(4))),
                    direction.find() ? direction.group(1) : "", block.contains("action block"),
                    marked ? OptionalLong.of(Long.parseLong(mark.group(1), 16)) : OptionalLong.empty(),
                    marked ? OptionalLong.of(Long.parseLong(mark.group(2), 16)) : OptionalLong.empty()));
        }
        return policies;
    }
}

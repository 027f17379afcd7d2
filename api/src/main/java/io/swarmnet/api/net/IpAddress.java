package io.swarmnet.api.net;

/**
 * An IPv4 address. Overlays are IPv4-only for now (docs/architecture.md); the value is kept as an unsigned
 * 32-bit number so that subnet arithmetic is plain integer arithmetic.
 */
public record IpAddress(long value) implements Comparable<IpAddress> {

    public IpAddress {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("IPv4 address out of range: " + value);
        }
    }

    /** Parses dotted-quad notation; throws {@link IllegalArgumentException} naming the bad text. */
    public static IpAddress parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("missing IPv4 address");
        }
        // character by character: addresses are parsed for every task on every reconcile
        String trimmed = text.trim();
        if (trimmed.chars().filter(c -> c == '.').count() != 3) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (expected a.b.c.d)");
        }
        long v = 0;
        int start = 0;
        for (int i = 0; i <= trimmed.length(); i++) {
            if (i == trimmed.length() || trimmed.charAt(i) == '.') {
                v = (v << 8) | octet(text, trimmed.substring(start, i));
                start = i + 1;
            }
        }
        return new IpAddress(v);
    }

    /** One octet: one to three ASCII digits without a leading zero, at most 255. */
    private static int octet(String text, String part) {
        boolean digits = !part.isEmpty() && part.length() <= 3 && (part.length() == 1 || part.charAt(0) != '0');
        int octet = 0;
        for (int i = 0; digits && i < part.length(); i++) {
            char c = part.charAt(i);
            digits = c >= '0' && c <= '9';
            octet = octet * 10 + (c - '0');
        }
        if (!digits) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (bad octet '" + part + "')");
        }
        if (octet > 255) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (octet " + octet + " > 255)");
        }
        return octet;
    }

    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    public int octet(int index) {
        return (int) ((value >>> (8 * (3 - index))) & 0xFF);
    }

    public IpAddress plus(long offset) {
        return new IpAddress(value + offset);
    }

    /** The address as four bytes, network order. */
    public byte[] bytes() {
        return new byte[] {(byte) octet(0), (byte) octet(1), (byte) octet(2), (byte) octet(3)};
    }

    @Override
    public int compareTo(IpAddress other) {
        return Long.compare(value, other.value);
    }

    @Override
    public String toString() {
        return octet(0) + "." + octet(1) + "." + octet(2) + "." + octet(3);
    }
}

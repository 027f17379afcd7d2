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
        String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (expected a.b.c.d)");
        }
        long v = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)
                    || (part.length() > 1 && part.charAt(0) == '0')) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (bad octet '" + part + "')");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (octet " + octet + " > 255)");
            }
            v = (v << 8) | octet;
        }
        return new IpAddress(v);
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

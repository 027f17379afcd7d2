package io.swarmnet.api.net;

/** An IPv4 prefix such as 10.0.9.0/24. The address is always the network address (host bits zero). */
public record Cidr(IpAddress network, int prefixLength) implements Comparable<Cidr> {

    public Cidr {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0..32");
        }
        if ((network.value() & ~mask(prefixLength) & 0xFFFF_FFFFL) != 0) {
            throw new IllegalArgumentException(network + "/" + prefixLength
                    + " has host bits set; the network address is " + new IpAddress(network.value() & mask(prefixLength)));
        }
    }

    /** Parses a.b.c.d/n; rejects host bits so that a typo is not silently widened or narrowed. */
    public static Cidr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("missing CIDR");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR (expected a.b.c.d/n)");
        }
        String len = text.substring(slash + 1).trim();
        if (len.isEmpty() || len.length() > 2 || !len.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR (bad prefix length '" + len + "')");
        }
        return new Cidr(IpAddress.parse(text.substring(0, slash)), Integer.parseInt(len));
    }

    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static long mask(int prefixLength) {
        return prefixLength == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefixLength)) & 0xFFFF_FFFFL;
    }

    public long size() {
        return 1L << (32 - prefixLength);
    }

    public IpAddress first() {
        return network;
    }

    public IpAddress last() {
        return new IpAddress(network.value() + size() - 1);
    }

    /** The broadcast address; for /31 and /32 there is none, but the arithmetic is the same. */
    public IpAddress broadcast() {
        return last();
    }

    public boolean contains(IpAddress address) {
        return address.value() >= network.value() && address.value() <= last().value();
    }

    public boolean contains(Cidr other) {
        return other.prefixLength >= prefixLength && contains(other.network);
    }

    public boolean overlaps(Cidr other) {
        return contains(other.network) || other.contains(network);
    }

    @Override
    public int compareTo(Cidr other) {
        int c = network.compareTo(other.network);
        return c != 0 ? c : Integer.compare(prefixLength, other.prefixLength);
    }

    @Override
    public String toString() {
        return network + "/" + prefixLength;
    }
}

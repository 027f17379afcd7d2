package io.swarmnet.api.net;

/** A 48-bit Ethernet address. */
public record MacAddress(long value) {

    public MacAddress {
        if (value < 0 || value > 0xFFFF_FFFF_FFFFL) {
            throw new IllegalArgumentException("MAC address out of range");
        }
    }

    /**
     * The MAC Docker gives an overlay endpoint: 02:42 followed by the four bytes of its IPv4
     * address (10.0.9.3 becomes 02:42:0a:00:09:03). Deriving it means only addresses are allocated.
     */
    public static MacAddress forTask(IpAddress address) {
        return new MacAddress((0x0242L << 32) | address.value());
    }

    public static MacAddress parse(String text) {
        String[] parts = text.trim().split(":", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("'" + text + "' is not a MAC address (expected six hex pairs)");
        }
        long v = 0;
        for (String part : parts) {
            if (part.length() != 2) {
                throw new IllegalArgumentException("'" + text + "' is not a MAC address");
            }
            v = (v << 8) | Integer.parseInt(part, 16);
        }
        return new MacAddress(v);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    @Override
    public String toString() {
        char[] text = new char[17];
        for (int i = 0; i < 6; i++) {
            int octet = (int) (value >>> (8 * (5 - i))) & 0xFF;
            text[3 * i] = HEX[octet >>> 4];
            text[3 * i + 1] = HEX[octet & 0xF];
            if (i < 5) {
                text[3 * i + 2] = ':';
            }
        }
        return new String(text);
    }
}

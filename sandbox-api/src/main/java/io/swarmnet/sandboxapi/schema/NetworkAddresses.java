package io.swarmnet.sandboxapi.schema;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * IP address and CIDR parsing with the rules of Go's net/netip, which the Kubernetes CEL library
 * uses: IPv4 dotted quads without leading zeros, RFC 4291 IPv6 text (with "::" and an embedded
 * IPv4 tail), no zones; IPv4-mapped IPv6 addresses are refused by {@code ip()} and {@code cidr()}
 * as in Kubernetes. Never resolves names (unlike InetAddress).
 */
final class NetworkAddresses {

    private NetworkAddresses() {
    }

    /** An IPv4 (4 bytes) or IPv6 (16 bytes) address. */
    record Ip(byte[] bytes) {
        int family() {
            return bytes.length == 4 ? 4 : 6;
        }

        BigInteger asNumber() {
            return new BigInteger(1, bytes);
        }

        boolean isIpv4MappedIpv6() {
            if (bytes.length != 16) {
                return false;
            }
            for (int i = 0; i < 10; i++) {
                if (bytes[i] != 0) {
                    return false;
                }
            }
            return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Ip other && Arrays.equals(bytes, other.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        /** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as "::"). */
        @Override
        public String toString() {
            if (bytes.length == 4) {
                return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + "." + (bytes[3] & 0xff);
            }
            int[] groups = new int[8];
            for (int i = 0; i < 8; i++) {
                groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
            }
            int bestStart = -1;
            int bestLength = 1;
            for (int i = 0; i < 8; ) {
                if (groups[i] != 0) {
                    i++;
                    continue;
                }
                int j = i;
                while (j < 8 && groups[j] == 0) {
                    j++;
                }
                if (j - i > bestLength) {
                    bestStart = i;
                    bestLength = j - i;
                }
                i = j;
            }
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                if (i == bestStart) {
                    out.append("::");
                    i += bestLength - 1;
                    continue;
                }
                if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                    out.append(':');
                }
                out.append(Integer.toHexString(groups[i]));
            }
            return out.toString();
        }
    }

    /** A prefix as written: the address keeps its host bits (cidr('10.0.0.1/24').ip() is 10.0.0.1). */
    record Cidr(Ip ip, int prefixLength) {
        Ip networkAddress() {
            byte[] masked = ip.bytes().clone();
            for (int bit = prefixLength; bit < masked.length * 8; bit++) {
                masked[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
            }
            return new Ip(masked);
        }

        Cidr masked() {
            return new Cidr(networkAddress(), prefixLength);
        }

        boolean contains(Ip address) {
            if (address.family() != ip.family()) {
                return false;
            }
            return new Cidr(address, prefixLength).networkAddress().equals(networkAddress());
        }

        boolean contains(Cidr other) {
            return other.ip.family() == ip.family() && other.prefixLength >= prefixLength && contains(other.ip);
        }

        @Override
        public String toString() {
            return ip + "/" + prefixLength;
        }
    }

    /** Parses an IPv4 or IPv6 address; throws IllegalArgumentException naming what is wrong. */
    static Ip parseIp(String text) {
        if (text.indexOf('%') >= 0) {
            throw new IllegalArgumentException("IP address with zone value is not allowed");
        }
        Ip ip = text.indexOf(':') >= 0 ? parseIpv6(text) : parseIpv4(text);
        if (ip == null) {
            throw new IllegalArgumentException("ParseAddr(" + FieldError.quote(text) + "): unable to parse IP");
        }
        if (ip.isIpv4MappedIpv6()) {
            throw new IllegalArgumentException("IPv4-mapped IPv6 address is not allowed");
        }
        return ip;
    }

    static Cidr parseCidr(String text) {
        int slash = text.lastIndexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("netip.ParsePrefix(" + FieldError.quote(text) + "): no '/'");
        }
        String address = text.substring(0, slash);
        String bits = text.substring(slash + 1);
        if (address.indexOf('%') >= 0) {
            throw new IllegalArgumentException("CIDR with zone value is not allowed");
        }
        Ip ip = address.indexOf(':') >= 0 ? parseIpv6(address) : parseIpv4(address);
        if (ip == null) {
            throw new IllegalArgumentException("netip.ParsePrefix(" + FieldError.quote(text) + "): ParseAddr("
                    + FieldError.quote(address) + "): unable to parse IP");
        }
        if (ip.isIpv4MappedIpv6()) {
            throw new IllegalArgumentException("IPv4-mapped IPv6 address is not allowed");
        }
        int max = ip.bytes().length * 8;
        if (bits.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(Character::isDigit)
                || (bits.length() > 1 && bits.charAt(0) == '0') || Integer.parseInt(bits) > max) {
            throw new IllegalArgumentException("netip.ParsePrefix(" + FieldError.quote(text) + "): bad bits after slash: "
                    + FieldError.quote(bits));
        }
        return new Cidr(ip, Integer.parseInt(bits));
    }

    static Cidr parseCidrOrNull(String text) {
        try {
            return parseCidr(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static boolean isIp(String text) {
        try {
            parseIp(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static boolean isCidr(String text) {
        return parseCidrOrNull(text) != null;
    }

    /** Dotted quad, each part 0..255 in decimal without leading zeros; null when not one. */
    static Ip parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')
                    || (part.length() > 1 && part.charAt(0) == '0')) {
                return null;
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        return new Ip(bytes);
    }

    /** RFC 4291 text form; null when not one. */
    static Ip parseIpv6(String text) {
        if (text.isEmpty()) {
            return null;
        }
        int doubleColon = text.indexOf("::");
        if (doubleColon >= 0 && text.indexOf("::", doubleColon + 1) >= 0) {
            return null;
        }
        String head = doubleColon >= 0 ? text.substring(0, doubleColon) : text;
        String tail = doubleColon >= 0 ? text.substring(doubleColon + 2) : "";
        int[] headGroups = groups(head, doubleColon < 0 || tail.isEmpty());
        int[] tailGroups = groups(tail, true);
        if (headGroups == null || tailGroups == null) {
            return null;
        }
        if (doubleColon >= 0 && headGroups.length > 0 && head.contains(".")) {
            return null; // an IPv4 tail may only end the address
        }
        int total = headGroups.length + tailGroups.length;
        if (doubleColon < 0 ? total != 8 : total > 7) {
            return null;
        }
        byte[] bytes = new byte[16];
        for (int i = 0; i < headGroups.length; i++) {
            bytes[2 * i] = (byte) (headGroups[i] >> 8);
            bytes[2 * i + 1] = (byte) headGroups[i];
        }
        int offset = 8 - tailGroups.length;
        for (int i = 0; i < tailGroups.length; i++) {
            bytes[2 * (offset + i)] = (byte) (tailGroups[i] >> 8);
            bytes[2 * (offset + i) + 1] = (byte) tailGroups[i];
        }
        return new Ip(bytes);
    }

    /** Colon-separated hex groups; the last one may be an IPv4 dotted quad (two groups). */
    private static int[] groups(String text, boolean mayEndWithIpv4) {
        if (text.isEmpty()) {
            return new int[0];
        }
        String[] parts = text.split(":", -1);
        int[] out = new int[parts.length + 1];
        int n = 0;
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (i == parts.length - 1 && mayEndWithIpv4 && part.contains(".")) {
                Ip v4 = parseIpv4(part);
                if (v4 == null) {
                    return null;
                }
                out[n++] = ((v4.bytes()[0] & 0xff) << 8) | (v4.bytes()[1] & 0xff);
                out[n++] = ((v4.bytes()[2] & 0xff) << 8) | (v4.bytes()[3] & 0xff);
                continue;
            }
            if (part.isEmpty() || part.length() > 4 || !part.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                return null;
            }
            out[n++] = Integer.parseInt(part, 16);
        }
        return Arrays.copyOf(out, n);
    }
}

package io.swarmnet.sandboxapi.schema;

/**
 * The string formats the API server checks for CRDs (kube-openapi's registry, after stripping the
 * unsupported ones). Returns a problem description, or null when the value fits or the format is
 * one the server ignores.
 */
final class Formats {

    private Formats() {
    }

    static String check(String format, String value) {
        if (format == null) {
            return null;
        }
        return switch (format) {
            case "ipv4" -> NetworkAddresses.parseIpv4(value) == null ? "not an IPv4 address" : null;
            case "ipv6" -> NetworkAddresses.parseIpv6(value) == null ? "not an IPv6 address" : null;
            case "cidr" -> NetworkAddresses.parseCidrOrNull(value) == null ? "not a CIDR" : null;
            case "uuid" -> value.matches("(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$") ? null : "not a UUID";
            case "byte" -> base64(value) ? null : "not base64";
            case "date" -> value.matches("^\\d{4}-\\d{2}-\\d{2}$") ? null : "not a date";
            default -> null;
        };
    }

    private static boolean base64(String value) {
        try {
            java.util.Base64.getDecoder().decode(value);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}

package io.swarmnet.sandboxapi.schema;

import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.CelType;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelFunctionBinding;
import io.swarmnet.sandboxapi.schema.NetworkAddresses.Cidr;
import io.swarmnet.sandboxapi.schema.NetworkAddresses.Ip;
import java.util.List;

/**
 * The Kubernetes CEL IP and CIDR library (k8s.io/apiserver/pkg/cel/library ip.go and cidr.go;
 * introduced in 1.30, so accepted in new CRD rules from 1.31 on) for cel-java: types {@code net.IP} and {@code net.CIDR}, and
 * {@code ip()}, {@code isIP()}, {@code ip.isCanonical()}, {@code family()}, {@code isUnspecified()},
 * {@code isLoopback()}, {@code isLinkLocalMulticast()}, {@code isLinkLocalUnicast()},
 * {@code isGlobalUnicast()}, {@code cidr()}, {@code isCIDR()}, {@code containsIP()},
 * {@code containsCIDR()}, {@code ip()}, {@code masked()}, {@code prefixLength()} and
 * {@code string()} of either. A parse failure is an evaluation error, as in Kubernetes.
 */
final class NetworkCelLibrary {

    static final OpaqueType IP = OpaqueType.create("net.IP");
    static final OpaqueType CIDR = OpaqueType.create("net.CIDR");

    private NetworkCelLibrary() {
    }

    /** Raised by ip()/cidr() on a bad string; its message becomes the rule's evaluation error. */
    static final class AddressParseException extends IllegalArgumentException {
        AddressParseException(String message) {
            super(message);
        }
    }

    static List<CelFunctionDecl> declarations() {
        CelType string = SimpleType.STRING;
        CelType bool = SimpleType.BOOL;
        return List.of(
                CelFunctionDecl.newFunctionDeclaration("ip",
                        CelOverloadDecl.newGlobalOverload("string_to_ip", IP, string),
                        CelOverloadDecl.newMemberOverload("cidr_ip", IP, CIDR)),
                CelFunctionDecl.newFunctionDeclaration("isIP",
                        CelOverloadDecl.newGlobalOverload("is_ip", bool, string)),
                CelFunctionDecl.newFunctionDeclaration("ip.isCanonical",
                        CelOverloadDecl.newGlobalOverload("ip_is_canonical", bool, string)),
                CelFunctionDecl.newFunctionDeclaration("family",
                        CelOverloadDecl.newMemberOverload("ip_family", SimpleType.INT, IP)),
                CelFunctionDecl.newFunctionDeclaration("isUnspecified",
                        CelOverloadDecl.newMemberOverload("ip_is_unspecified", bool, IP)),
                CelFunctionDecl.newFunctionDeclaration("isLoopback",
                        CelOverloadDecl.newMemberOverload("ip_is_loopback", bool, IP)),
                CelFunctionDecl.newFunctionDeclaration("isLinkLocalMulticast",
                        CelOverloadDecl.newMemberOverload("ip_is_link_local_multicast", bool, IP)),
                CelFunctionDecl.newFunctionDeclaration("isLinkLocalUnicast",
                        CelOverloadDecl.newMemberOverload("ip_is_link_local_unicast", bool, IP)),
                CelFunctionDecl.newFunctionDeclaration("isGlobalUnicast",
                        CelOverloadDecl.newMemberOverload("ip_is_global_unicast", bool, IP)),
                CelFunctionDecl.newFunctionDeclaration("cidr",
                        CelOverloadDecl.newGlobalOverload("string_to_cidr", CIDR, string)),
                CelFunctionDecl.newFunctionDeclaration("isCIDR",
                        CelOverloadDecl.newGlobalOverload("is_cidr", bool, string)),
                CelFunctionDecl.newFunctionDeclaration("containsIP",
                        CelOverloadDecl.newMemberOverload("cidr_contains_ip_string", bool, CIDR, string),
                        CelOverloadDecl.newMemberOverload("cidr_contains_ip_ip", bool, CIDR, IP)),
                CelFunctionDecl.newFunctionDeclaration("containsCIDR",
                        CelOverloadDecl.newMemberOverload("cidr_contains_cidr_string", bool, CIDR, string),
                        CelOverloadDecl.newMemberOverload("cidr_contains_cidr", bool, CIDR, CIDR)),
                CelFunctionDecl.newFunctionDeclaration("prefixLength",
                        CelOverloadDecl.newMemberOverload("cidr_prefix_length", SimpleType.INT, CIDR)),
                CelFunctionDecl.newFunctionDeclaration("masked",
                        CelOverloadDecl.newMemberOverload("cidr_masked", CIDR, CIDR)),
                CelFunctionDecl.newFunctionDeclaration("string",
                        CelOverloadDecl.newGlobalOverload("ip_to_string", string, IP),
                        CelOverloadDecl.newGlobalOverload("cidr_to_string", string, CIDR)));
    }

    static List<CelFunctionBinding> bindings() {
        return List.of(
                CelFunctionBinding.from("string_to_ip", String.class, NetworkCelLibrary::ip),
                CelFunctionBinding.from("cidr_ip", Cidr.class, Cidr::ip),
                CelFunctionBinding.from("is_ip", String.class, NetworkAddresses::isIp),
                CelFunctionBinding.from("ip_is_canonical", String.class, NetworkCelLibrary::isCanonical),
                CelFunctionBinding.from("ip_family", Ip.class, ip -> (long) ip.family()),
                CelFunctionBinding.from("ip_is_unspecified", Ip.class, NetworkCelLibrary::isUnspecified),
                CelFunctionBinding.from("ip_is_loopback", Ip.class, NetworkCelLibrary::isLoopback),
                CelFunctionBinding.from("ip_is_link_local_multicast", Ip.class, NetworkCelLibrary::isLinkLocalMulticast),
                CelFunctionBinding.from("ip_is_link_local_unicast", Ip.class, NetworkCelLibrary::isLinkLocalUnicast),
                CelFunctionBinding.from("ip_is_global_unicast", Ip.class, NetworkCelLibrary::isGlobalUnicast),
                CelFunctionBinding.from("string_to_cidr", String.class, NetworkCelLibrary::cidr),
                CelFunctionBinding.from("is_cidr", String.class, NetworkAddresses::isCidr),
                CelFunctionBinding.from("cidr_contains_ip_string", Cidr.class, String.class,
                        (cidr, ip) -> cidr.contains(ip(ip))),
                CelFunctionBinding.from("cidr_contains_ip_ip", Cidr.class, Ip.class, Cidr::contains),
                CelFunctionBinding.from("cidr_contains_cidr_string", Cidr.class, String.class,
                        (cidr, other) -> cidr.contains(cidr(other))),
                CelFunctionBinding.from("cidr_contains_cidr", Cidr.class, Cidr.class, Cidr::contains),
                CelFunctionBinding.from("cidr_prefix_length", Cidr.class, cidr -> (long) cidr.prefixLength()),
                CelFunctionBinding.from("cidr_masked", Cidr.class, Cidr::masked),
                CelFunctionBinding.from("ip_to_string", Ip.class, Ip::toString),
                CelFunctionBinding.from("cidr_to_string", Cidr.class, Cidr::toString));
    }

    static Ip ip(String text) {
        try {
            return NetworkAddresses.parseIp(text);
        } catch (IllegalArgumentException e) {
            throw new AddressParseException("IP Address " + FieldError.quote(text)
                    + " parse error during conversion from string: " + e.getMessage());
        }
    }

    static Cidr cidr(String text) {
        try {
            return NetworkAddresses.parseCidr(text);
        } catch (IllegalArgumentException e) {
            throw new AddressParseException("network address parse error during conversion from string: " + e.getMessage());
        }
    }

    /** True when the text is the one Go's netip would print for the address (e.g. "::1", not "0:0::1"). */
    static boolean isCanonical(String text) {
        return ip(text).toString().equals(text);
    }

    private static boolean isUnspecified(Ip ip) {
        for (byte b : ip.bytes()) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLoopback(Ip ip) {
        byte[] b = ip.bytes();
        if (b.length == 4) {
            return b[0] == 127;
        }
        for (int i = 0; i < 15; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[15] == 1;
    }

    private static boolean isLinkLocalMulticast(Ip ip) {
        byte[] b = ip.bytes();
        if (b.length == 4) {
            return (b[0] & 0xff) == 224 && b[1] == 0 && b[2] == 0; // 224.0.0.0/24
        }
        return (b[0] & 0xff) == 0xff && (b[1] & 0x0f) == 0x02; // ff02::/16
    }

    private static boolean isLinkLocalUnicast(Ip ip) {
        byte[] b = ip.bytes();
        if (b.length == 4) {
            return (b[0] & 0xff) == 169 && (b[1] & 0xff) == 254; // 169.254.0.0/16
        }
        return (b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0x80; // fe80::/10
    }

    /** As Go's netip.Addr.IsGlobalUnicast: not unspecified, loopback, multicast, link-local or broadcast. */
    private static boolean isGlobalUnicast(Ip ip) {
        byte[] b = ip.bytes();
        if (isUnspecified(ip) || isLoopback(ip) || isLinkLocalUnicast(ip)) {
            return false;
        }
        if (b.length == 4) {
            boolean broadcast = (b[0] & b[1] & b[2] & b[3] & 0xff) == 0xff;
            boolean multicast = (b[0] & 0xf0) == 0xe0;
            return !broadcast && !multicast;
        }
        return (b[0] & 0xff) != 0xff;
    }
}

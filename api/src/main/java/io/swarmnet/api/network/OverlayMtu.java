package io.swarmnet.api.network;

/**
 * The MTU bounds of overlay networks, defined once for the CRD schema ({@code spec.mtu}), the operator and the node
 * agent.
 */
public final class OverlayMtu {

    /** The smallest {@code spec.mtu}: IPv4's minimum datagram every host must accept (RFC 791). */
    public static final int MIN = 576;
    /** The largest {@code spec.mtu}: a jumbo frame. */
    public static final int MAX = 9000;
    /** {@code spec.mtu}'s bounds as messages and the schema's description write them. */
    public static final String RANGE = MIN + ".." + MAX;
    /** VXLAN encapsulation: outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
    public static final int VXLAN_OVERHEAD = 50;
    /** The smallest underlay MTU that still carries an overlay of {@link #MIN} in VXLAN. */
    public static final int MIN_UNDERLAY = MIN + VXLAN_OVERHEAD;
    /** What Linux accepts as an IPv4 device's MTU: IPv4's smallest (68, RFC 791) up to the largest a device may have. */
    public static final int LINK_MIN = 68;
    public static final int LINK_MAX = 65535;
    /** A device MTU's bounds as messages write them. */
    public static final String LINK_RANGE = LINK_MIN + ".." + LINK_MAX;

    private OverlayMtu() {
    }

    /** Whether {@code mtu} is a {@code spec.mtu} the schema accepts. */
    public static boolean allowed(int mtu) {
        return mtu >= MIN && mtu <= MAX;
    }

    /** Whether Linux accepts {@code mtu} on an IPv4 device. */
    public static boolean fitsLink(int mtu) {
        return mtu >= LINK_MIN && mtu <= LINK_MAX;
    }
}

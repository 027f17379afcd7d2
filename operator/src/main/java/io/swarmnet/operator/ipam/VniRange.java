package io.swarmnet.operator.ipam;

import io.swarmnet.api.net.Vni;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The VXLAN ids the operator hands out to networks that leave {@code spec.vxlanId} out. An explicit
 * {@code spec.vxlanId} may lie anywhere in 1..16777215, inside the range or not.
 */
public record VniRange(Vni first, Vni last) {

    /**
     * 1048576 (2^20) up. The cluster's own VXLAN must not be handed the same id on the same port: Calico's
     * device uses 4096 (6096 for IPv6) on 4789, flannel 1 on 8472 (4096 on Windows), Docker swarm allocates from
     * 4096 on 4789, and Cilium carries security identities as VNIs, cluster-local ones at most 65535. None of
     * them lands in this block in a single cluster; it still leaves 15.7 million ids.
     */
    public static final VniRange DEFAULT = new VniRange(new Vni(1 << 20), new Vni(Vni.MAX));

    private static final Pattern TEXT = Pattern.compile("\\s*(\\d{1,8})\\s*-\\s*(\\d{1,8})\\s*");

    public VniRange {
        if (first.compareTo(last) > 0) {
            throw new IllegalArgumentException("VXLAN id range " + first + "-" + last + " is empty: its first id is above its last");
        }
    }

    /** Reads "first-last", e.g. "1048576-16777215"; both ends are included. */
    public static VniRange parse(String text) {
        Matcher m = TEXT.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a VXLAN id range; write first-last, e.g. " + DEFAULT);
        }
        int first = Integer.parseInt(m.group(1));
        int last = Integer.parseInt(m.group(2));
        if (first < Vni.MIN || last > Vni.MAX) {
            throw new IllegalArgumentException("VXLAN id range " + first + "-" + last + " is not inside " + Vni.MIN + "-" + Vni.MAX);
        }
        return new VniRange(new Vni(first), new Vni(last));
    }

    public boolean contains(Vni vni) {
        return vni.compareTo(first) >= 0 && vni.compareTo(last) <= 0;
    }

    public int size() {
        return last.value() - first.value() + 1;
    }

    @Override
    public String toString() {
        return first + "-" + last;
    }
}

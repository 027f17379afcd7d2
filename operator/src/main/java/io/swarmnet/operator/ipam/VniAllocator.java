package io.swarmnet.operator.ipam;

import io.swarmnet.api.net.Vni;
import java.util.Map;
import java.util.Optional;

/**
 * Decides VXLAN ids: automatic ones from a configured range (lowest free, as swarm does; outside the range
 * is left to explicit choices), explicit ones checked for uniqueness. Pure: the caller passes in what is taken.
 */
public final class VniAllocator {

    private VniAllocator() {
    }

    /** The lowest free id of {@code range}, or empty when every id of it is taken. */
    public static Optional<Vni> next(VniRange range, Map<Vni, String> taken) {
        for (int v = range.first().value(); v <= range.last().value(); v++) {
            if (!taken.containsKey(new Vni(v))) {
                return Optional.of(new Vni(v));
            }
        }
        return Optional.empty();
    }

    /** The network ({@code namespace/name}) already holding the requested id, if any. */
    public static Optional<String> holder(Vni requested, Map<Vni, String> taken) {
        return Optional.ofNullable(taken.get(requested));
    }
}

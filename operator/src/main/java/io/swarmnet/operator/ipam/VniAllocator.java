package io.swarmnet.operator.ipam;

import io.swarmnet.api.net.Vni;
import java.util.Map;
import java.util.Optional;

/**
 * Decides VXLAN ids: automatic ones from 4096 up (lowest free, as swarm does; below 4096 is left to
 * explicit choices), explicit ones checked for uniqueness. Pure: the caller passes in what is taken.
 */
public final class VniAllocator {

    private VniAllocator() {
    }

    /** The lowest free id from {@link Vni#FIRST_AUTOMATIC}, or empty when all 16 million are taken. */
    public static Optional<Vni> next(Map<Vni, String> taken) {
        for (int v = Vni.FIRST_AUTOMATIC; v <= Vni.MAX; v++) {
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

package io.swarmnet.operator.keys;

import java.time.Instant;
import java.util.List;

/**
 * Where the key Secret stands, without the key bytes (decisions never need them).
 *
 * @param generations generations present, ascending
 * @param primary     the generation used outbound
 * @param phase       the rotation step the Secret is in
 * @param phaseSince  when that step began
 */
public record KeyState(List<Long> generations, long primary, Phase phase, Instant phaseSince) {

    public KeyState {
        generations = List.copyOf(generations);
    }

    /** The hitless order of a rotation: a new key is accepted everywhere, then used, then the old one goes. */
    public enum Phase {
        /** One generation, in use. */
        steady,
        /** A new generation was added: agents install it for inbound traffic; outbound still uses the old one. */
        accepting,
        /** The new generation is primary (outbound); the old one is still accepted for packets in flight. */
        switched
    }

    public long newest() {
        return generations.get(generations.size() - 1);
    }
}

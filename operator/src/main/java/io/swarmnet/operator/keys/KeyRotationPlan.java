package io.swarmnet.operator.keys;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Decides the next step of key management from the Secret's state and the clock. Pure.
 *
 * <p>Each step waits {@code settle} before the next, so every node agent has seen the previous
 * one (agents react to the Secret within seconds; the default settle time is generous).
 *
 * <p>A rotation starts when the interval has passed, or at once when a node reports the primary generation near its
 * ESP sequence limit: an SA must never wrap its 32-bit sequence numbers, and at 10 Gbit/s one runs through them in
 * under two hours, well inside the interval. A report naming an older generation is stale (that key is no longer
 * used outbound) and changes nothing.
 */
public final class KeyRotationPlan {

    /** What to do now. */
    public sealed interface Step permits Create, AddGeneration, Promote, Retire, Wait {
    }

    /** No Secret yet: create it with generation 1, primary. */
    public record Create() implements Step {
    }

    /** Add generation {@code generation} (accepted inbound, not yet used). */
    public record AddGeneration(long generation) implements Step {
    }

    /** Make {@code generation} primary (outbound). */
    public record Promote(long generation) implements Step {
    }

    /** Remove {@code generation}. */
    public record Retire(long generation) implements Step {
    }

    /** Nothing to do before {@code until}. */
    public record Wait(Instant until) implements Step {
    }

    private KeyRotationPlan() {
    }

    public static Step next(Optional<KeyState> current, Instant now, Duration interval, Duration settle) {
        return next(current, now, interval, settle, Set.of());
    }

    /** @param nearLimit the generations nodes report near their sequence limit */
    public static Step next(Optional<KeyState> current, Instant now, Duration interval, Duration settle, Set<Long> nearLimit) {
        if (current.isEmpty()) {
            return new Create();
        }
        KeyState state = current.get();
        Instant since = state.phaseSince();
        return switch (state.phase()) {
            case steady -> {
                if (state.generations().size() > 1) {
                    // a rotation interrupted after promotion but before the old key went: finish it
                    yield new Retire(state.generations().stream().filter(g -> g != state.primary()).findFirst().orElseThrow());
                }
                Instant due = since.plus(interval);
                yield now.isBefore(due) && !nearLimit.contains(state.primary()) ? new Wait(due) : new AddGeneration(state.newest() + 1);
            }
            case accepting -> {
                Instant due = since.plus(settle);
                yield now.isBefore(due) ? new Wait(due) : new Promote(state.newest());
            }
            case switched -> {
                Instant due = since.plus(settle);
                Optional<Long> old = state.generations().stream().filter(g -> g != state.primary()).findFirst();
                yield now.isBefore(due) ? new Wait(due) : old.<Step>map(Retire::new).orElse(new Wait(now.plus(interval)));
            }
        };
    }
}

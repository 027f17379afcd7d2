package io.swarmnet.operator.keys;

import java.time.Duration;
import java.time.Instant;
import io.swarmnet.api.contract.KeyGenerations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides the next step of key management from the Secret's state and the clock. Pure.
 *
 * <p>Each step waits {@code settle} before the next, and then until every node's agent confirms it has programmed the
 * previous one (annotation {@code swarmnet.io/key-generations}): a new key is promoted only once every agent accepts
 * it, the old one retired only once every agent sends with the new. An agent that does not confirm within
 * {@code confirmWait} after the settle time (a node down, an agent too old to report) no longer holds the rotation up:
 * the operator goes on and says which nodes it went on without.
 *
 * <p>A rotation starts when the interval has passed, or at once when a node reports the primary generation near its
 * ESP sequence limit: an SA must never wrap its 32-bit sequence numbers, and at 10 Gbit/s one runs through them in
 * under two hours, well inside the interval. A report naming an older generation is stale (that key is no longer
 * used outbound) and changes nothing.
 */
public final class KeyRotationPlan {

    /** What to do now. */
    public sealed interface Step permits Create, AddGeneration, Promote, Retire, Wait, AwaitNodes {
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

    /** The settle time is over but {@code nodes} have not confirmed the previous step: wait for them until {@code until}. */
    public record AwaitNodes(Instant until, List<String> nodes) implements Step {
        public AwaitNodes {
            nodes = List.copyOf(nodes);
        }
    }

    private KeyRotationPlan() {
    }

    public static Step next(Optional<KeyState> current, Instant now, Duration interval, Duration settle) {
        return next(current, now, interval, settle, Set.of());
    }

    /** @param nearLimit the generations nodes report near their sequence limit */
    public static Step next(Optional<KeyState> current, Instant now, Duration interval, Duration settle, Set<Long> nearLimit) {
        return next(current, now, interval, settle, nearLimit, Map.of(), Duration.ZERO);
    }

    /**
     * @param nearLimit   the generations nodes report near their sequence limit
     * @param agents      every node with an agent, with what its agent last confirmed (empty: nothing yet)
     * @param confirmWait how long after the settle time a step waits for agents that have not confirmed the previous one
     */
    public static Step next(Optional<KeyState> current, Instant now, Duration interval, Duration settle, Set<Long> nearLimit,
            Map<String, Optional<KeyGenerations>> agents, Duration confirmWait) {
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
                yield now.isBefore(due) ? new Wait(due) : awaitOr(new Promote(state.newest()), state, agents, now, due.plus(confirmWait));
            }
            case switched -> {
                Instant due = since.plus(settle);
                Optional<Long> old = state.generations().stream().filter(g -> g != state.primary()).findFirst();
                yield now.isBefore(due) ? new Wait(due)
                        : old.<Step>map(g -> awaitOr(new Retire(g), state, agents, now, due.plus(confirmWait))).orElse(new Wait(now.plus(interval)));
            }
        };
    }

    private static Step awaitOr(Step next, KeyState state, Map<String, Optional<KeyGenerations>> agents, Instant now, Instant giveUp) {
        List<String> waiting = unconfirmed(state, agents);
        return waiting.isEmpty() || !now.isBefore(giveUp) ? next : new AwaitNodes(giveUp, waiting);
    }

    /**
     * The nodes whose agents have not confirmed what the rotation's next step needs, in name order: while accepting,
     * the newest generation accepted inbound; once switched, the primary used outbound. None in the steady phase.
     */
    public static List<String> unconfirmed(KeyState state, Map<String, Optional<KeyGenerations>> agents) {
        List<String> waiting = new ArrayList<>();
        new TreeMap<>(agents).forEach((node, report) -> {
            boolean confirmed = switch (state.phase()) {
                case steady -> true;
                case accepting -> report.map(r -> r.accepts(state.newest())).orElse(false);
                case switched -> report.map(r -> r.sending() == state.primary()).orElse(false);
            };
            if (!confirmed) {
                waiting.add(node);
            }
        });
        return waiting;
    }
}

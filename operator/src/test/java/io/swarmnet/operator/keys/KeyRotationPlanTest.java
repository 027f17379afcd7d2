package io.swarmnet.operator.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import io.swarmnet.api.contract.KeyGenerations;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeyRotationPlanTest {

    private static final Duration INTERVAL = Duration.ofHours(12);
    private static final Duration SETTLE = Duration.ofSeconds(30);
    private static final Instant T0 = Instant.parse("2026-11-25T00:00:00Z");

    private static KeyRotationPlan.Step at(KeyState state, Duration after) {
        return KeyRotationPlan.next(Optional.of(state), T0.plus(after), INTERVAL, SETTLE);
    }

    @Test
    void createsTheSecretWhenThereIsNone() {
        assertThat(KeyRotationPlan.next(Optional.empty(), T0, INTERVAL, SETTLE)).isInstanceOf(KeyRotationPlan.Create.class);
    }

    @Test
    void steadyKeyIsKeptUntilTheIntervalThenANewGenerationIsAdded() {
        KeyState steady = new KeyState(List.of(3L), 3, KeyState.Phase.steady, T0);
        assertThat(at(steady, Duration.ofHours(11))).isEqualTo(new KeyRotationPlan.Wait(T0.plus(INTERVAL)));
        assertThat(at(steady, INTERVAL)).isEqualTo(new KeyRotationPlan.AddGeneration(4));
    }

    @Test
    void newGenerationIsAcceptedEverywhereBeforeItIsUsedOutbound() {
        KeyState accepting = new KeyState(List.of(3L, 4L), 3, KeyState.Phase.accepting, T0);
        assertThat(at(accepting, Duration.ofSeconds(10))).isInstanceOf(KeyRotationPlan.Wait.class);
        assertThat(at(accepting, SETTLE)).isEqualTo(new KeyRotationPlan.Promote(4));
    }

    @Test
    void oldGenerationGoesOnlyAfterTheNewOneIsUsedEverywhere() {
        KeyState switched = new KeyState(List.of(3L, 4L), 4, KeyState.Phase.switched, T0);
        assertThat(at(switched, Duration.ofSeconds(10))).isInstanceOf(KeyRotationPlan.Wait.class);
        assertThat(at(switched, SETTLE)).isEqualTo(new KeyRotationPlan.Retire(3));
    }

    @Test
    void aRotationInterruptedWithTwoKeysInSteadyPhaseIsFinished() {
        KeyState odd = new KeyState(List.of(3L, 4L), 4, KeyState.Phase.steady, T0);
        assertThat(at(odd, Duration.ZERO)).isEqualTo(new KeyRotationPlan.Retire(3));
    }

    @Test
    void aPrimaryKeyNearItsSequenceLimitIsRotatedAtOnceNotAtTheInterval() {
        KeyState steady = new KeyState(List.of(3L), 3, KeyState.Phase.steady, T0);
        assertThat(KeyRotationPlan.next(Optional.of(steady), T0.plus(Duration.ofMinutes(5)), INTERVAL, SETTLE, Set.of(3L)))
                .isEqualTo(new KeyRotationPlan.AddGeneration(4));
    }

    @Test
    void aReportNamingAnOlderGenerationIsStaleAndChangesNothing() {
        KeyState steady = new KeyState(List.of(4L), 4, KeyState.Phase.steady, T0);
        assertThat(KeyRotationPlan.next(Optional.of(steady), T0.plus(Duration.ofMinutes(5)), INTERVAL, SETTLE, Set.of(3L)))
                .isEqualTo(new KeyRotationPlan.Wait(T0.plus(INTERVAL)));
    }

    @Test
    void anEarlyRotationStillWaitsForEveryNodeToAcceptTheNewKey() {
        KeyState accepting = new KeyState(List.of(3L, 4L), 3, KeyState.Phase.accepting, T0);
        assertThat(KeyRotationPlan.next(Optional.of(accepting), T0.plus(Duration.ofSeconds(10)), INTERVAL, SETTLE, Set.of(3L)))
                .isInstanceOf(KeyRotationPlan.Wait.class);
    }

    private static final Duration CONFIRM_WAIT = Duration.ofMinutes(5);

    private static KeyRotationPlan.Step withAgents(KeyState state, Duration after, Map<String, Optional<KeyGenerations>> agents) {
        return KeyRotationPlan.next(Optional.of(state), T0.plus(after), INTERVAL, SETTLE, Set.of(), agents, CONFIRM_WAIT);
    }

    private static Optional<KeyGenerations> confirms(long sending, Long... accepted) {
        return Optional.of(new KeyGenerations(List.of(accepted), sending));
    }

    @Test
    void aNewKeyIsPromotedOnlyOnceEveryAgentAcceptsItOrTheConfirmWaitIsOver() {
        KeyState accepting = new KeyState(List.of(3L, 4L), 3, KeyState.Phase.accepting, T0);
        Map<String, Optional<KeyGenerations>> oneBehind = Map.of("node-a", confirms(3, 3L, 4L), "node-b", confirms(3, 3L),
                "node-c", Optional.empty());
        assertThat(withAgents(accepting, SETTLE, oneBehind))
                .isEqualTo(new KeyRotationPlan.AwaitNodes(T0.plus(SETTLE).plus(CONFIRM_WAIT), List.of("node-b", "node-c")));
        assertThat(withAgents(accepting, SETTLE.plus(CONFIRM_WAIT), oneBehind)).as("a node down no longer holds the rotation up")
                .isEqualTo(new KeyRotationPlan.Promote(4));
        Map<String, Optional<KeyGenerations>> all = Map.of("node-a", confirms(3, 3L, 4L), "node-b", confirms(3, 3L, 4L));
        assertThat(withAgents(accepting, SETTLE, all)).isEqualTo(new KeyRotationPlan.Promote(4));
        assertThat(withAgents(accepting, Duration.ofSeconds(10), all)).as("the settle time still holds")
                .isEqualTo(new KeyRotationPlan.Wait(T0.plus(SETTLE)));
    }

    @Test
    void theOldKeyIsRetiredOnlyOnceEveryAgentSendsWithTheNewOne() {
        KeyState switched = new KeyState(List.of(3L, 4L), 4, KeyState.Phase.switched, T0);
        Map<String, Optional<KeyGenerations>> stillOld = Map.of("node-a", confirms(4, 3L, 4L), "node-b", confirms(3, 3L, 4L));
        assertThat(withAgents(switched, SETTLE, stillOld))
                .isEqualTo(new KeyRotationPlan.AwaitNodes(T0.plus(SETTLE).plus(CONFIRM_WAIT), List.of("node-b")));
        Map<String, Optional<KeyGenerations>> all = Map.of("node-a", confirms(4, 3L, 4L), "node-b", confirms(4, 3L, 4L));
        assertThat(withAgents(switched, SETTLE, all)).isEqualTo(new KeyRotationPlan.Retire(3));
    }

    @Test
    void theSteadyPhaseWaitsForNoConfirmation() {
        KeyState steady = new KeyState(List.of(3L), 3, KeyState.Phase.steady, T0);
        assertThat(withAgents(steady, INTERVAL, Map.of("node-a", Optional.empty()))).isEqualTo(new KeyRotationPlan.AddGeneration(4));
        assertThat(KeyRotationPlan.unconfirmed(steady, Map.of("node-a", Optional.empty()))).isEmpty();
    }

    @Test
    void theConfirmationAnnotationReadsBackWhatWasWrittenAndNothingElse() {
        KeyGenerations written = new KeyGenerations(List.of(4L, 3L), 4);
        assertThat(written.format()).isEqualTo("accepts=3,4 sends=4");
        assertThat(KeyGenerations.parse(written.format())).contains(written);
        for (String junk : new String[] {"", "accepts= sends=4", "accepts=3,4", "sends=4 accepts=3", "accepts=3,,4 sends=4", "4"}) {
            assertThat(KeyGenerations.parse(junk)).as("'%s'", junk).isEmpty();
        }
    }
}

package io.swarmnet.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {

    private static final Instant T1 = Instant.parse("2026-11-25T10:00:00.123Z");
    private static final Instant T2 = Instant.parse("2026-11-25T11:00:00Z");

    @Test
    void transitionTimeChangesOnlyWithTheStatus() {
        List<Condition> first = Conditions.merge(List.of(), List.of(new Conditions.Desired("Ready", "False", "Pending", "wait")), List.of(), 1, T1);
        assertThat(first.get(0).getLastTransitionTime()).isEqualTo("2026-11-25T10:00:00Z");

        List<Condition> sameStatus = Conditions.merge(first, List.of(new Conditions.Desired("Ready", "False", "SubnetOverlap", "other")),
                List.of(), 2, T2);
        assertThat(sameStatus.get(0).getLastTransitionTime()).isEqualTo("2026-11-25T10:00:00Z");
        assertThat(sameStatus.get(0).getReason()).isEqualTo("SubnetOverlap");
        assertThat(sameStatus.get(0).getObservedGeneration()).isEqualTo(2L);

        List<Condition> flipped = Conditions.merge(sameStatus, List.of(new Conditions.Desired("Ready", "True", "Allocated", "")), List.of(), 2, T2);
        assertThat(flipped.get(0).getLastTransitionTime()).isEqualTo("2026-11-25T11:00:00Z");
        assertThat(Conditions.isTrue(flipped, "Ready")).isTrue();
    }

    @Test
    void otherTypesAreKeptUnlessRemoved() {
        List<Condition> start = Conditions.merge(List.of(), List.of(new Conditions.Desired("Ready", "True", "A", "m"),
                new Conditions.Desired("Terminating", "True", "NetworkInUse", "m")), List.of(), 1, T1);
        List<Condition> kept = Conditions.merge(start, List.of(new Conditions.Desired("Ready", "True", "A", "m")), List.of(), 1, T2);
        assertThat(kept).extracting(Condition::getType).containsExactly("Ready", "Terminating");
        List<Condition> removed = Conditions.merge(start, List.of(new Conditions.Desired("Ready", "True", "A", "m")), List.of("Terminating"), 1, T2);
        assertThat(removed).extracting(Condition::getType).containsExactly("Ready");
    }

    @Test
    void mergingTheSameDesiredStateTwiceChangesNothing() {
        List<Conditions.Desired> desired = List.of(new Conditions.Desired("Ready", "True", "Allocated", "subnet 10.0.0.0/24"));
        List<Condition> once = Conditions.merge(null, desired, List.of(), 3, T1);
        assertThat(Conditions.merge(once, desired, List.of(), 3, T2)).isEqualTo(once);
    }
}

package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.operator.service.ExistingTask.Lifecycle;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DesiredTasksTest {

    private static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

    private static ExistingTask task(String name, int slot, Lifecycle lifecycle, boolean ready) {
        return new ExistingTask(name, TaskSlot.replicated(slot), "h1", lifecycle, ready, ready ? T : null, T);
    }

    @Test
    void countsWantedSlotsWithAReadyTaskThatStaysEachSlotOnce() {
        DesiredTasks desired = DesiredTasks.replicated(4, "h1", UpdatePolicy.DEFAULT);
        List<ExistingTask> existing = List.of(
                task("web-1-a", 1, Lifecycle.ACTIVE, true), task("web-1-b", 1, Lifecycle.ACTIVE, true),
                task("web-2-a", 2, Lifecycle.ACTIVE, true),
                task("web-3-a", 3, Lifecycle.ACTIVE, false),
                task("web-4-a", 4, Lifecycle.TERMINATING, true),
                task("web-5-a", 5, Lifecycle.ACTIVE, true));

        assertThat(desired.readySlots(existing, Set.of())).isEqualTo(2);
        assertThat(desired.readySlots(existing, Set.of("web-2-a"))).isEqualTo(1);
    }
}

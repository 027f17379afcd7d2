package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.service.TaskStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskHistoryTest {

    private static TaskStatus row(int slot, String name, String endedAt) {
        TaskStatus row = new TaskStatus();
        row.setSlot(slot);
        row.setName(name);
        row.setState("Shutdown");
        row.setEndedAt(endedAt);
        return row;
    }

    @Test
    void keepsTheNewestFourPerWantedSlotNewestFirst() {
        List<TaskStatus> history = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            history = TaskHistory.merge(history, List.of(row(1, "web-1-" + i, "2026-12-01T12:00:0" + i + "Z")), Set.of("1", "2"));
        }
        history = TaskHistory.merge(history, List.of(row(1, "web-1-5", "2026-12-01T12:00:05Z"), row(2, "web-2-1", "2026-12-01T12:00:05Z"),
                row(3, "web-3-1", "2026-12-01T12:00:05Z")), Set.of("1", "2"));

        assertThat(history).extracting(TaskStatus::getName).containsExactly("web-1-5", "web-1-4", "web-1-3", "web-1-2", "web-2-1");
    }

    @Test
    void aRowAlreadyKnownIsNotAddedTwice() {
        List<TaskStatus> history = TaskHistory.merge(List.of(), List.of(row(1, "web-1-a", "2026-12-01T12:00:01Z")), Set.of("1"));

        history = TaskHistory.merge(history, List.of(row(1, "web-1-a", "2026-12-01T12:00:02Z")), Set.of("1"));

        assertThat(history).extracting(TaskStatus::getName).containsExactly("web-1-a");
    }

    @Test
    void slotsNoLongerWantedLoseTheirHistory() {
        List<TaskStatus> history = TaskHistory.merge(List.of(), List.of(row(1, "a", "2026-12-01T12:00:01Z"), row(2, "b", "2026-12-01T12:00:01Z")),
                Set.of("1", "2"));

        assertThat(TaskHistory.merge(history, List.of(), Set.of("1"))).extracting(TaskStatus::getName).containsExactly("a");
    }
}

package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.service.TaskStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    private static PodBuilder running(String name) {
        return new PodBuilder().withNewMetadata().withName(name).withLabels(Map.of(SwarmnetKeys.LABEL_SLOT, "1"))
                .withAnnotations(Map.of(SwarmnetKeys.ANNOTATION_ADDRESSES, "{\"front\":\"10.0.9.3\"}")).endMetadata()
                .withNewSpec().withNodeName("node-1").endSpec().withNewStatus().withPhase("Running").endStatus();
    }

    @Test
    void aTaskStoppedForAnUpdateIsShutDownAndOneThatEndedFailedEachSayingWhy() {
        Instant now = Instant.parse("2026-12-01T12:00:05.250Z");
        Map<String, Cidr> subnets = Map.of("front", Cidr.parse("10.0.9.0/24"));
        Pod updated = running("web-1-aaaaa").build();
        Pod ended = running("web-1-bbbbb").editStatus().withPhase("Failed").withMessage("evicted: node out of memory").endStatus().build();

        TaskStatus shutdown = TaskHistory.row(updated, new TaskPlan.Removal("web-1-aaaaa", TaskSlot.replicated(1), TaskPlan.RemovalReason.UPDATE),
                "h2", subnets, now);
        TaskStatus failed = TaskHistory.row(ended, new TaskPlan.Removal("web-1-bbbbb", TaskSlot.replicated(1), TaskPlan.RemovalReason.FINISHED),
                "h2", subnets, now);

        assertThat(shutdown.getState()).isEqualTo("Shutdown");
        assertThat(shutdown.getMessage()).startsWith("replaced by a task of template h2");
        assertThat(shutdown.getEndedAt()).isEqualTo("2026-12-01T12:00:05Z");
        assertThat(failed.getState()).isEqualTo("Failed");
        assertThat(failed.getMessage()).isEqualTo("evicted: node out of memory");
    }

    @Test
    void aCrashLoopingTaskStoppedForAnUpdateFailedWithItsExit() {
        Pod crashing = running("web-1-aaaaa").editStatus().addNewContainerStatus().withName("web").withRestartCount(3)
                .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error").endTerminated().endLastState()
                .endContainerStatus().endStatus().build();

        TaskStatus row = TaskHistory.row(crashing, new TaskPlan.Removal("web-1-aaaaa", TaskSlot.replicated(1),
                TaskPlan.RemovalReason.UPDATE), "h2", Map.of(), Instant.parse("2026-12-01T12:00:05Z"));

        assertThat(row.getState()).isEqualTo("Failed");
        assertThat(row.getMessage()).isEqualTo("container web exited with code 1 (Error), restarted 3 times; replaced by a task of template h2");
    }
}

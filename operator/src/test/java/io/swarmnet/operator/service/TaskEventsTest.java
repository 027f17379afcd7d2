package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.operator.service.UpdateMonitor.Notice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskEventsTest {

    private static Pod pod(String name) {
        return new PodBuilder().withNewMetadata().withName(name)
                .withAnnotations(Map.of(SwarmnetKeys.ANNOTATION_ADDRESSES, "{\"front\":\"10.0.9.3\"}")).endMetadata()
                .withNewStatus().withPhase("Failed").withMessage("evicted: node out of memory").endStatus().build();
    }

    @Test
    void aNewTaskIsToldWithItsAddresses() {
        Notice notice = TaskEvents.created(new TaskPlan.Creation(TaskSlot.replicated(2), TaskPlan.CreationReason.NEW), pod("web-2-abcde"));

        assertThat(notice).isEqualTo(new Notice(false, "TaskCreated",
                "created task web-2-abcde for " + TaskSlot.replicated(2) + " with addresses {front=10.0.9.3}"));
    }

    private static Map.Entry<TaskPlan.Creation, Pod> creation(int slot, TaskPlan.CreationReason reason) {
        return Map.entry(new TaskPlan.Creation(TaskSlot.replicated(slot), reason), pod("web-" + slot + "-abcde"));
    }

    @Test
    void aRoundsCreationsAreToldInOneNoticePerKindNamingEachTask() {
        List<Map.Entry<TaskPlan.Creation, Pod>> created = new ArrayList<>();
        for (int slot = 1; slot <= 10; slot++) {
            created.add(creation(slot, TaskPlan.CreationReason.NEW));
        }
        created.add(creation(11, TaskPlan.CreationReason.REPLACEMENT));

        List<Notice> notices = TaskEvents.created(created);

        assertThat(notices).extracting(Notice::reason).containsExactly("TaskCreated", "TaskReplaced");
        assertThat(notices.get(0).message()).startsWith("created 10 tasks: web-1-abcde for slot 1 with addresses {front=10.0.9.3}; "
                + "web-2-abcde for slot 2").endsWith("web-10-abcde for slot 10 with addresses {front=10.0.9.3}");
        // one task of a kind is told as it always was
        assertThat(notices.get(1)).isEqualTo(TaskEvents.created(created.get(10).getKey(), created.get(10).getValue()));
        assertThat(TaskEvents.created(List.of())).isEmpty();
    }

    @Test
    void aLongRoundNamesWhatFitsAnEventAndCountsTheRest() {
        List<Map.Entry<TaskPlan.Creation, Pod>> created = new ArrayList<>();
        for (int slot = 1; slot <= 100; slot++) {
            created.add(creation(slot, TaskPlan.CreationReason.UPDATE));
        }

        Notice notice = TaskEvents.created(created).get(0);

        assertThat(notice.reason()).isEqualTo("TaskUpdated");
        assertThat(notice.message()).startsWith("started 100 tasks from the current template: web-1-abcde for slot 1")
                .matches(".*\\} and \\d+ more").doesNotContain("; and").hasSizeLessThanOrEqualTo(TaskEvents.MESSAGE_BUDGET);
        int named = notice.message().split("web-").length - 1;
        assertThat(notice.message()).endsWith(" and " + (100 - named) + " more");
        assertThat(named).isGreaterThan(10);
    }

    @Test
    void aTaskThatEndedIsAWarningWithWhyItEndedWhenItsPodIsKnown() {
        var removal = new TaskPlan.Removal("web-2-abcde", TaskSlot.replicated(2), TaskPlan.RemovalReason.FINISHED);

        Notice known = TaskEvents.removed(removal, pod("web-2-abcde"));
        Notice unknown = TaskEvents.removed(removal, null);

        assertThat(known.warning()).isTrue();
        assertThat(known.reason()).isEqualTo("TaskFailed");
        assertThat(known.message()).contains("ended (evicted: node out of memory); replacing it in the same slot");
        assertThat(unknown.message()).contains("ended (unknown)");
    }

    @Test
    void aSlotNoLongerWantedSaysWhyByTheKindOfSlot() {
        Notice global = TaskEvents.removed(new TaskPlan.Removal("web-n1-abcde", TaskSlot.global("n1"), TaskPlan.RemovalReason.SLOT_REMOVED), null);
        Notice replicated = TaskEvents.removed(new TaskPlan.Removal("web-4-abcde", TaskSlot.replicated(4),
                TaskPlan.RemovalReason.SLOT_REMOVED), null);

        assertThat(global.message()).endsWith(" no longer admits the service");
        assertThat(replicated.message()).endsWith(" is above spec.replicas");
        assertThat(global.warning()).isFalse();
    }
}

package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.operator.service.UpdateMonitor.Notice;
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

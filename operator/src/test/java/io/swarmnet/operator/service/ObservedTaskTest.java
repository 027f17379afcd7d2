package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.service.TaskStatus;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObservedTaskTest {

    private static PodBuilder pod() {
        return new PodBuilder().withNewMetadata().withName("web-2-abcde").withCreationTimestamp("2026-11-25T10:00:00Z")
                .withLabels(Map.of(SwarmnetKeys.LABEL_SLOT, "2", SwarmnetKeys.LABEL_TEMPLATE_HASH, "h1"))
                .withAnnotations(Map.of(SwarmnetKeys.ANNOTATION_ADDRESSES, "{\"front\":\"10.0.9.3\",\"back\":\"10.0.10.7\"}"))
                .endMetadata().withNewSpec().endSpec();
    }

    static PodCondition condition(String type, String status) {
        PodCondition c = new PodCondition();
        c.setType(type);
        c.setStatus(status);
        c.setLastTransitionTime("2026-11-25T10:01:00Z");
        return c;
    }

    @Test
    void aFreshPodIsPendingWaitingToBeScheduled() {
        ObservedTask task = new ObservedTask(pod().build());

        assertThat(task.state()).isEqualTo(ObservedTask.State.Pending);
        assertThat(task.message()).isEqualTo("waiting to be scheduled");
        assertThat(task.existing()).hasValueSatisfying(e -> {
            assertThat(e.slot()).isEqualTo(TaskSlot.replicated(2));
            assertThat(e.templateHash()).isEqualTo("h1");
            assertThat(e.lifecycle()).isEqualTo(ExistingTask.Lifecycle.ACTIVE);
            assertThat(e.ready()).isFalse();
            assertThat(e.created()).isEqualTo(Instant.parse("2026-11-25T10:00:00Z"));
        });
    }

    @Test
    void aRunningPodWaitsForTheNodeAgentUntilAttached() {
        Pod running = pod().editSpec().withNodeName("node-1").endSpec()
                .withNewStatus().withPhase("Running").withConditions(condition("Ready", "False")).endStatus().build();

        ObservedTask task = new ObservedTask(running);

        assertThat(task.state()).isEqualTo(ObservedTask.State.Running);
        assertThat(task.message()).contains("node agent").contains(SwarmnetKeys.CONDITION_ATTACHED);
    }

    @Test
    void aReadyPodIsReadySinceItsConditionChanged() {
        Pod ready = pod().editSpec().withNodeName("node-1").endSpec().withNewStatus().withPhase("Running")
                .withConditions(condition(SwarmnetKeys.CONDITION_ATTACHED, "True"), condition("Ready", "True")).endStatus().build();

        ObservedTask task = new ObservedTask(ready);

        assertThat(task.state()).isEqualTo(ObservedTask.State.Ready);
        assertThat(task.message()).isNull();
        assertThat(task.existing().orElseThrow().readySince()).isEqualTo(Instant.parse("2026-11-25T10:01:00Z"));
    }

    @Test
    void failedAndTerminatingPods() {
        Pod failed = pod().withNewStatus().withPhase("Failed").withMessage("evicted: node out of memory").endStatus().build();
        Pod deleting = pod().editMetadata().withDeletionTimestamp("2026-11-25T10:05:00Z").endMetadata().build();

        assertThat(new ObservedTask(failed).state()).isEqualTo(ObservedTask.State.Failed);
        assertThat(new ObservedTask(failed).message()).isEqualTo("evicted: node out of memory");
        assertThat(new ObservedTask(failed).lifecycle()).isEqualTo(ExistingTask.Lifecycle.FINISHED);
        assertThat(new ObservedTask(deleting).state()).isEqualTo(ObservedTask.State.Terminating);
        assertThat(new ObservedTask(deleting).lifecycle()).isEqualTo(ExistingTask.Lifecycle.TERMINATING);
    }

    @Test
    void statusRowShowsAddressesWithPrefixAndDerivedMac() {
        Pod ready = pod().editSpec().withNodeName("node-1").endSpec().build();

        TaskStatus row = new ObservedTask(ready).status(Map.of("front", Cidr.parse("10.0.9.0/24")));

        assertThat(row.getName()).isEqualTo("web-2-abcde");
        assertThat(row.getSlot()).isEqualTo(2);
        assertThat(row.getNode()).isEqualTo("node-1");
        assertThat(row.getAddresses()).extracting(a -> a.getNetwork(), a -> a.getAddress(), a -> a.getMac()).containsExactly(
                org.assertj.core.groups.Tuple.tuple("back", "10.0.10.7", "02:42:0a:00:0a:07"),
                org.assertj.core.groups.Tuple.tuple("front", "10.0.9.3/24", "02:42:0a:00:09:03"));
    }

    @Test
    void podWithoutSlotLabelIsNotPlanned() {
        Pod stray = new PodBuilder().withNewMetadata().withName("stray").endMetadata().build();

        assertThat(new ObservedTask(stray).existing()).isEmpty();
    }

    @Test
    void aRestartedOrUnstartableContainerIsAFailureWhateverTheTime() {
        Pod restarted = pod().withNewStatus().withPhase("Running").addNewContainerStatus().withName("web").withRestartCount(2)
                .withNewLastState().withNewTerminated().withExitCode(137).withReason("OOMKilled").endTerminated().endLastState()
                .withNewState().withNewRunning().withStartedAt("2026-11-25T10:02:00Z").endRunning().endState()
                .endContainerStatus().endStatus().build();
        Pod unpullable = pod().withNewStatus().withPhase("Pending").addNewContainerStatus().withName("web").withRestartCount(0)
                .withNewState().withNewWaiting().withReason("ImagePullBackOff").withMessage("nginx:nope not found").endWaiting().endState()
                .endContainerStatus().endStatus().build();
        Pod slowPull = pod().withNewStatus().withPhase("Pending").addNewContainerStatus().withName("web").withRestartCount(0)
                .withNewState().withNewWaiting().withReason("ContainerCreating").endWaiting().endState()
                .endContainerStatus().endStatus().build();

        assertThat(new ObservedTask(restarted).failure()).hasValue("container web restarted 2 time(s), last exit code 137 (OOMKilled)");
        assertThat(new ObservedTask(unpullable).failure()).hasValue("container web: ImagePullBackOff (nginx:nope not found)");
        assertThat(new ObservedTask(slowPull).failure()).isEmpty();
        assertThat(new ObservedTask(slowPull).runningSince()).isEmpty();
    }

    @Test
    void theMonitorWindowStartsWhenTheLastContainerStarted() {
        Pod running = pod().withNewStatus().withPhase("Running").withStartTime("2026-11-25T10:00:05Z")
                .addNewContainerStatus().withName("web").withNewState().withNewRunning().withStartedAt("2026-11-25T10:00:30Z")
                .endRunning().endState().endContainerStatus()
                .addNewContainerStatus().withName("sidecar").withNewState().withNewRunning().withStartedAt("2026-11-25T10:00:20Z")
                .endRunning().endState().endContainerStatus().endStatus().build();

        WatchedTask task = new ObservedTask(running).watched();

        assertThat(task.runningSince()).isEqualTo(Instant.parse("2026-11-25T10:00:30Z"));
        java.time.Duration monitor = java.time.Duration.ofSeconds(5);
        assertThat(task.verdict(monitor, Instant.parse("2026-11-25T10:00:34Z"))).isEqualTo(WatchedTask.Verdict.WATCHING);
        assertThat(task.verdict(monitor, Instant.parse("2026-11-25T10:00:35Z"))).isEqualTo(WatchedTask.Verdict.FAILED);
        assertThat(task.failureReason(monitor)).isEqualTo("not Ready 5s after its containers started");
    }

    @Test
    void aContainerInACrashLoopMakesTheTaskCountAsCrashedWhileItsPodRuns() {
        Pod looping = pod().withNewStatus().withPhase("Running").addNewContainerStatus().withName("main").withRestartCount(3)
                .withNewState().withNewWaiting().withReason("CrashLoopBackOff").endWaiting().endState()
                .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error").endTerminated().endLastState()
                .endContainerStatus().endStatus().build();
        assertThat(new ObservedTask(looping).crashed()).contains("container main exited with code 1 (Error), restarted 3 times");

        Pod clean = pod().withNewStatus().withPhase("Running").addNewContainerStatus().withName("main").withRestartCount(1)
                .withNewState().withNewRunning().endRunning().endState()
                .withNewLastState().withNewTerminated().withExitCode(0).endTerminated().endLastState()
                .endContainerStatus().endStatus().build();
        assertThat(new ObservedTask(clean).crashed()).as("an exit with code 0 is no failure").isEmpty();
        assertThat(new ObservedTask(pod().build()).crashed()).isEmpty();
    }
}

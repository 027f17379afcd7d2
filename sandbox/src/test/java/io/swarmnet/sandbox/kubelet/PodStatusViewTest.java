package io.swarmnet.sandbox.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodStatusViewTest {

    private static final Instant T0 = Instant.parse("2026-11-25T14:00:00Z");
    private static final Instant T1 = Instant.parse("2026-11-25T14:00:05.123Z");

    private static Pod taskPod(String attached) {
        PodBuilder pod = new PodBuilder().withNewMetadata().withName("my-web-1").withNamespace("default").endMetadata()
                .withNewSpec().withNodeName("node-1").addNewContainer().withName("nginx").withImage("nginx").endContainer()
                .addNewReadinessGate().withConditionType("swarmnet.io/attached").endReadinessGate().endSpec();
        if (attached != null) {
            pod.withNewStatus().addNewCondition().withType("swarmnet.io/attached").withStatus(attached)
                    .withLastTransitionTime(T0.toString()).endCondition().endStatus();
        }
        return pod.build();
    }

    private static ContainerState running(int restarts) {
        return new ContainerState("nginx", ContainerState.Phase.Running, null, null, T0, null, null, restarts, null);
    }

    private static String condition(PodStatus status, String type) {
        return status.getConditions().stream().filter(c -> c.getType().equals(type)).map(PodCondition::getStatus)
                .findFirst().orElse("absent");
    }

    @Test
    void isReadyOnlyWhenContainersRunAndTheAttachedGateIsTrue() {
        PodStatus notAttached = PodStatusView.compute(taskPod(null), List.of(running(0)), "192.0.2.11", "10.0.9.3", T1);
        assertThat(notAttached.getPhase()).isEqualTo("Running");
        assertThat(condition(notAttached, "ContainersReady")).isEqualTo("True");
        assertThat(condition(notAttached, "Ready")).isEqualTo("False");
        assertThat(notAttached.getConditions()).filteredOn(c -> c.getType().equals("Ready"))
                .singleElement().extracting(PodCondition::getReason).isEqualTo("ReadinessGatesNotReady");

        PodStatus attached = PodStatusView.compute(taskPod("True"), List.of(running(0)), "192.0.2.11", "10.0.9.3", T1);
        assertThat(condition(attached, "Ready")).isEqualTo("True");
        assertThat(condition(attached, "swarmnet.io/attached")).as("the agent's condition is kept").isEqualTo("True");
        assertThat(attached.getPodIP()).isEqualTo("10.0.9.3");
        assertThat(attached.getHostIP()).isEqualTo("192.0.2.11");
        assertThat(attached.getContainerStatuses()).singleElement().satisfies(c -> {
            assertThat(c.getReady()).isTrue();
            assertThat(c.getState().getRunning().getStartedAt()).isEqualTo("2026-11-25T14:00:00Z");
        });
    }

    @Test
    void isNotReadyWhileAContainerWaitsToRestart() {
        ContainerState backingOff = new ContainerState("nginx", ContainerState.Phase.Waiting, "CrashLoopBackOff",
                "back-off 2s restarting failed container", null, null, null, 2,
                new ContainerState.Termination(1, "Error", T0, T1));
        PodStatus status = PodStatusView.compute(taskPod("True"), List.of(backingOff), null, null, T1);
        assertThat(status.getPhase()).isEqualTo("Running");
        assertThat(condition(status, "Ready")).isEqualTo("False");
        assertThat(status.getContainerStatuses().get(0).getRestartCount()).isEqualTo(2);
        assertThat(status.getContainerStatuses().get(0).getLastState().getTerminated().getExitCode()).isEqualTo(1);
        assertThat(status.getContainerStatuses().get(0).getState().getWaiting().getReason()).isEqualTo("CrashLoopBackOff");
    }

    @Test
    void reportsPendingBeforeTheFirstStartAndTerminalPhasesAfterTheLast() {
        assertThat(PodStatusView.phase(List.of(ContainerState.creating("nginx")))).isEqualTo("Pending");
        ContainerState ok = new ContainerState("a", ContainerState.Phase.Terminated, "Completed", null, T0, T1, 0, 0, null);
        ContainerState failed = new ContainerState("b", ContainerState.Phase.Terminated, "Error", null, T0, T1, 3, 0, null);
        assertThat(PodStatusView.phase(List.of(ok))).isEqualTo("Succeeded");
        assertThat(PodStatusView.phase(List.of(ok, failed))).isEqualTo("Failed");
    }

    @Test
    void keepsTransitionTimesWhileAConditionHoldsSoRepeatedReportsAreIdentical() {
        Pod pod = taskPod("True");
        PodStatus first = PodStatusView.compute(pod, List.of(running(0)), "192.0.2.11", "10.0.9.3", T1);
        pod.setStatus(first);
        PodStatus again = PodStatusView.compute(pod, List.of(running(0)), "192.0.2.11", "10.0.9.3", T1.plusSeconds(30));
        assertThat(again).isEqualTo(first);
    }
}

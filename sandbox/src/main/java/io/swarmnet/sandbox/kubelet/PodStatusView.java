package io.swarmnet.sandbox.kubelet;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The status a kubelet reports for a pod, computed from its containers' states. Conditions it does not
 * own (the node agent's {@code swarmnet.io/attached}, the scheduler's PodScheduled) are kept as they are;
 * Ready is True only when every container runs AND every readiness gate's condition is True, as on a
 * real node. A condition's lastTransitionTime changes only when its status does.
 */
public final class PodStatusView {

    private static final Set<String> OWNED = Set.of("Initialized", "ContainersReady", "Ready", "PodScheduled");

    private PodStatusView() {
    }

    public static PodStatus compute(Pod pod, List<ContainerState> containers, String hostIp, String podIp, Instant clock) {
        Instant now = clock.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        PodStatus current = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        List<PodCondition> existing = current.getConditions() == null ? List.of() : current.getConditions();
        Map<String, PodCondition> byType = existing.stream()
                .collect(Collectors.toMap(PodCondition::getType, Function.identity(), (a, b) -> b));

        boolean containersReady = !containers.isEmpty() && containers.stream().allMatch(ContainerState::running);
        List<String> gatesNotTrue = new ArrayList<>();
        if (pod.getSpec().getReadinessGates() != null) {
            for (PodReadinessGate gate : pod.getSpec().getReadinessGates()) {
                PodCondition condition = byType.get(gate.getConditionType());
                if (condition == null || !"True".equals(condition.getStatus())) {
                    gatesNotTrue.add(gate.getConditionType());
                }
            }
        }
        String phase = phase(containers);
        boolean terminal = phase.equals("Succeeded") || phase.equals("Failed");

        List<PodCondition> conditions = new ArrayList<>();
        for (PodCondition condition : existing) {
            if (!OWNED.contains(condition.getType())) {
                conditions.add(condition);
            }
        }
        List<String> notRunning = containers.stream().filter(c -> !c.running()).map(ContainerState::name).toList();
        String containersMessage = notRunning.isEmpty() ? null : "containers with unready status: " + notRunning;
        String readyReason = !containersReady ? (terminal ? "PodCompleted" : "ContainersNotReady")
                : gatesNotTrue.isEmpty() ? null : "ReadinessGatesNotReady";
        String readyMessage = !containersReady ? containersMessage
                : gatesNotTrue.isEmpty() ? null : "corresponding condition of pod readiness gate " + gatesNotTrue.stream()
                        .map(g -> "\"" + g + "\"").collect(Collectors.joining(", ")) + " does not exist or is not True";
        conditions.add(condition(byType, "PodScheduled", true, null, null, now));
        conditions.add(condition(byType, "Initialized", true, null, null, now));
        conditions.add(condition(byType, "ContainersReady", containersReady,
                containersReady ? null : (terminal ? "PodCompleted" : "ContainersNotReady"), containersMessage, now));
        conditions.add(condition(byType, "Ready", containersReady && gatesNotTrue.isEmpty(), readyReason, readyMessage, now));

        List<ContainerStatus> statuses = new ArrayList<>();
        for (ContainerState state : containers) {
            statuses.add(containerStatus(pod, state));
        }
        PodStatusBuilder status = new PodStatusBuilder()
                .withPhase(phase)
                .withConditions(conditions)
                .withContainerStatuses(statuses)
                .withHostIP(hostIp)
                .withStartTime(current.getStartTime() != null ? current.getStartTime() : now.toString());
        if (hostIp != null) {
            status.withHostIPs(new io.fabric8.kubernetes.api.model.HostIP(hostIp));
        }
        if (podIp != null) {
            status.withPodIP(podIp).withPodIPs(new PodIP(podIp));
        }
        return status.build();
    }

    static String phase(List<ContainerState> containers) {
        if (containers.stream().anyMatch(ContainerState::running)) {
            return "Running";
        }
        boolean everStarted = containers.stream().anyMatch(c -> c.startedAt() != null || c.restartCount() > 0);
        if (containers.stream().anyMatch(c -> c.phase() == ContainerState.Phase.Waiting)) {
            return everStarted ? "Running" : "Pending";
        }
        if (containers.isEmpty()) {
            return "Pending";
        }
        return containers.stream().allMatch(c -> Objects.equals(c.exitCode(), 0)) ? "Succeeded" : "Failed";
    }

    private static PodCondition condition(Map<String, PodCondition> existing, String type, boolean status, String reason,
                                          String message, Instant now) {
        String value = status ? "True" : "False";
        PodCondition old = existing.get(type);
        String since = old != null && value.equals(old.getStatus()) && old.getLastTransitionTime() != null
                ? old.getLastTransitionTime() : now.toString();
        return new PodConditionBuilder().withType(type).withStatus(value).withReason(reason).withMessage(message)
                .withLastTransitionTime(since).withLastProbeTime(null).build();
    }

    private static ContainerStatus containerStatus(Pod pod, ContainerState state) {
        String image = pod.getSpec().getContainers().stream().filter(c -> c.getName().equals(state.name()))
                .map(io.fabric8.kubernetes.api.model.Container::getImage).findFirst().orElse("");
        ContainerStatusBuilder status = new ContainerStatusBuilder()
                .withName(state.name())
                .withImage(image)
                .withImageID("")
                .withReady(state.running())
                .withStarted(state.running())
                .withRestartCount(state.restartCount())
                .withState(state(state));
        if (state.lastTermination() != null) {
            ContainerState.Termination last = state.lastTermination();
            status.withLastState(new ContainerStateBuilder().withNewTerminated()
                    .withExitCode(last.exitCode()).withReason(last.reason())
                    .withStartedAt(text(last.startedAt())).withFinishedAt(text(last.finishedAt()))
                    .endTerminated().build());
        }
        return status.build();
    }

    private static io.fabric8.kubernetes.api.model.ContainerState state(ContainerState state) {
        return switch (state.phase()) {
            case Waiting -> new ContainerStateBuilder().withNewWaiting()
                    .withReason(state.reason()).withMessage(state.message()).endWaiting().build();
            case Running -> new ContainerStateBuilder().withNewRunning()
                    .withStartedAt(text(state.startedAt())).endRunning().build();
            case Terminated -> new ContainerStateBuilder().withNewTerminated()
                    .withExitCode(state.exitCode()).withReason(state.reason()).withMessage(state.message())
                    .withStartedAt(text(state.startedAt())).withFinishedAt(text(state.finishedAt())).endTerminated().build();
        };
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }
}

package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import io.swarmnet.api.service.TaskAddress;
import io.swarmnet.api.service.TaskStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A task pod as the cluster shows it, read the way {@code docker service ps} reads a task. */
public record ObservedTask(Pod pod) {

    /** The task states status.tasks[].state shows. */
    public enum State { Pending, Running, Ready, Failed, Terminating }

    public String name() {
        return pod.getMetadata().getName();
    }

    /** The slot from the pod's label; empty for a pod without a readable one (not ours to plan). */
    public Optional<TaskSlot> slot() {
        try {
            return Optional.of(TaskSlot.fromLabel(label(SwarmnetKeys.LABEL_SLOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public String templateHash() {
        String hash = label(SwarmnetKeys.LABEL_TEMPLATE_HASH);
        return hash == null ? "" : hash;
    }

    public ExistingTask.Lifecycle lifecycle() {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return ExistingTask.Lifecycle.TERMINATING;
        }
        String phase = phase();
        return "Failed".equals(phase) || "Succeeded".equals(phase) ? ExistingTask.Lifecycle.FINISHED : ExistingTask.Lifecycle.ACTIVE;
    }

    /** Kubernetes sets Ready only when the containers are ready and every readiness gate (swarmnet.io/attached) is True. */
    public boolean ready() {
        return condition("Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    public boolean attached() {
        return condition(SwarmnetKeys.CONDITION_ATTACHED).map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    /** The planner's view; empty when the pod carries no slot label. */
    public Optional<ExistingTask> existing() {
        return slot().map(slot -> new ExistingTask(name(), slot, templateHash(), lifecycle(), ready(),
                ready() ? condition("Ready").map(c -> Timestamps.parse(c.getLastTransitionTime())).orElse(null) : null,
                Timestamps.parse(pod.getMetadata().getCreationTimestamp())));
    }

    public TaskAddresses addresses() {
        var annotations = pod.getMetadata().getAnnotations();
        try {
            return TaskAddresses.parse(annotations == null ? null : annotations.get(SwarmnetKeys.ANNOTATION_ADDRESSES));
        } catch (IllegalArgumentException e) {
            return new TaskAddresses(Map.of());
        }
    }

    public String node() {
        return pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    }

    public State state() {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return State.Terminating;
        }
        String phase = phase();
        if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
            return State.Failed;
        }
        if (ready()) {
            return State.Ready;
        }
        return "Running".equals(phase) ? State.Running : State.Pending;
    }

    /** Why the task is in its state, when a user would ask; null when obvious. */
    public String message() {
        var status = pod.getStatus();
        switch (state()) {
            case Terminating:
                return "being deleted";
            case Failed: {
                if (status != null && status.getMessage() != null) {
                    return status.getMessage();
                }
                String exit = containerExit();
                return exit != null ? exit : "task ended (phase " + phase() + ")";
            }
            case Ready:
                return null;
            case Running:
                if (!attached()) {
                    return "waiting for the node agent to attach it to its networks (condition " + SwarmnetKeys.CONDITION_ATTACHED + ")";
                }
                return "running, containers not ready";
            default: {
                if (node() == null || node().isEmpty()) {
                    return condition("PodScheduled")
                            .filter(c -> "False".equals(c.getStatus()) && c.getMessage() != null)
                            .map(c -> "not scheduled: " + c.getMessage())
                            .orElse("waiting to be scheduled");
                }
                String waiting = containerWaiting();
                return waiting != null ? waiting : "starting on node " + node();
            }
        }
    }

    /**
     * Container waiting reasons that mean the task will not start without a change, as Docker's
     * task states rejected/failed do: an image that cannot be pulled, a container that keeps crashing.
     */
    private static final Set<String> START_FAILURES = Set.of("ErrImagePull", "ImagePullBackOff",
            "InvalidImageName", "ErrImageNeverPull", "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError",
            "RunContainerError");

    /**
     * Since when the task's containers run (the start of Docker's monitor window): the latest
     * container start once all containers run, else the pod's start time; empty while it is not running.
     */
    public Optional<Instant> runningSince() {
        if (!"Running".equals(phase()) || pod.getMetadata().getDeletionTimestamp() != null) {
            return Optional.empty();
        }
        Instant latest = null;
        for (ContainerStatus container : containers()) {
            var running = container.getState() == null ? null : container.getState().getRunning();
            Instant started = running == null ? null : Timestamps.parse(running.getStartedAt());
            if (started == null) {
                latest = null;
                break;
            }
            latest = latest == null || started.isAfter(latest) ? started : latest;
        }
        if (latest == null && pod.getStatus().getStartTime() != null) {
            latest = Timestamps.parse(pod.getStatus().getStartTime());
        }
        if (latest == null) {
            latest = Timestamps.parse(pod.getMetadata().getCreationTimestamp());
        }
        return Optional.ofNullable(latest);
    }

    /**
     * Why the task counts as failed whatever the time: it ended, a container restarted, or a
     * container cannot start (see {@link #START_FAILURES}); empty otherwise.
     */
    public Optional<String> failure() {
        if (lifecycle() == ExistingTask.Lifecycle.FINISHED) {
            return Optional.of(message());
        }
        if (lifecycle() == ExistingTask.Lifecycle.TERMINATING) {
            return Optional.empty();
        }
        for (ContainerStatus container : containers()) {
            var waiting = container.getState() == null ? null : container.getState().getWaiting();
            if (waiting != null && START_FAILURES.contains(waiting.getReason())) {
                return Optional.of("container " + container.getName() + ": " + waiting.getReason()
                        + (waiting.getMessage() == null ? "" : " (" + waiting.getMessage() + ")"));
            }
            if (container.getRestartCount() != null && container.getRestartCount() > 0) {
                var last = container.getLastState() == null ? null : container.getLastState().getTerminated();
                return Optional.of("container " + container.getName() + " restarted " + container.getRestartCount() + " time(s)"
                        + (last == null ? "" : ", last exit code " + last.getExitCode()
                        + (last.getReason() == null ? "" : " (" + last.getReason() + ")")));
            }
        }
        return Optional.empty();
    }

    /** The update monitor's view of this task. */
    public WatchedTask watched() {
        return new WatchedTask(name(), slot().orElse(null), templateHash(), lifecycle(),
                Timestamps.parse(pod.getMetadata().getCreationTimestamp()), runningSince().orElse(null), ready(), failure().orElse(null));
    }

    /** One row of status.tasks; {@code subnets} gives each network's prefix length for the address column. */
    public TaskStatus status(Map<String, Cidr> subnets) {
        TaskStatus row = new TaskStatus();
        row.setName(name());
        slot().filter(s -> !s.isGlobal()).ifPresent(s -> row.setSlot(s.number()));
        row.setNode(node() == null || node().isEmpty() ? null : node());
        row.setState(state().name());
        row.setMessage(message());
        List<TaskAddress> addresses = new ArrayList<>();
        for (Map.Entry<String, IpAddress> entry : addresses().byNetwork().entrySet()) {
            Cidr subnet = subnets.get(entry.getKey());
            String address = entry.getValue() + (subnet == null ? "" : "/" + subnet.prefixLength());
            addresses.add(new TaskAddress(entry.getKey(), address, MacAddress.forTask(entry.getValue()).toString()));
        }
        row.setAddresses(addresses);
        row.setTemplateHash(templateHash().isEmpty() ? null : templateHash());
        return row;
    }

    private String phase() {
        return pod.getStatus() == null || pod.getStatus().getPhase() == null ? "Pending" : pod.getStatus().getPhase();
    }

    private String label(String key) {
        var labels = pod.getMetadata().getLabels();
        return labels == null ? null : labels.get(key);
    }

    private Optional<PodCondition> condition(String type) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    private List<ContainerStatus> containers() {
        return pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null ? List.of() : pod.getStatus().getContainerStatuses();
    }

    private String containerExit() {
        for (ContainerStatus container : containers()) {
            var terminated = container.getState() == null ? null : container.getState().getTerminated();
            if (terminated != null) {
                return "container " + container.getName() + " exited with code " + terminated.getExitCode()
                        + (terminated.getReason() == null ? "" : " (" + terminated.getReason() + ")");
            }
        }
        return null;
    }

    /**
     * Why the task counts as failed although its pod still runs: a container that exited non-zero, now or before its
     * last restart (a crash loop), as Docker records "task: non-zero exit (1)". Empty when no container did.
     */
    public java.util.Optional<String> crashed() {
        for (ContainerStatus container : containers()) {
            var now = container.getState() == null ? null : container.getState().getTerminated();
            var last = container.getLastState() == null ? null : container.getLastState().getTerminated();
            var exit = now != null && now.getExitCode() != null && now.getExitCode() != 0 ? now
                    : last != null && last.getExitCode() != null && last.getExitCode() != 0 ? last : null;
            if (exit != null) {
                int restarts = container.getRestartCount() == null ? 0 : container.getRestartCount();
                return java.util.Optional.of("container " + container.getName() + " exited with code " + exit.getExitCode()
                        + (exit.getReason() == null ? "" : " (" + exit.getReason() + ")")
                        + (restarts > 0 ? ", restarted " + restarts + (restarts == 1 ? " time" : " times") : ""));
            }
        }
        return java.util.Optional.empty();
    }

    private String containerWaiting() {
        for (ContainerStatus container : containers()) {
            var waiting = container.getState() == null ? null : container.getState().getWaiting();
            if (waiting != null && waiting.getReason() != null) {
                return "container " + container.getName() + ": " + waiting.getReason()
                        + (waiting.getMessage() == null ? "" : " (" + waiting.getMessage() + ")");
            }
        }
        return null;
    }
}

package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.service.ServiceMode;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceStatus;
import io.swarmnet.api.service.TaskStatus;
import io.swarmnet.api.service.VirtualIP;
import io.swarmnet.operator.Conditions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Assembles status the way {@code docker service ps} and {@code docker service inspect} present a
 * service: counts, virtual IPs, one row per task in slot order, conditions. Pure.
 */
public final class ServiceStatusReport {

    private ServiceStatusReport() {
    }

    /**
     * @param serviceName   for the scale subresource's selector
     * @param generation    the metadata.generation the status describes
     * @param desired       tasks wanted
     * @param running       tasks that exist and are not being removed
     * @param readySlots    wanted slots with a ready task
     * @param networkNames  the spec's networks, in spec order
     * @param virtualIPs    one per network in vip mode, none in dnsrr
     * @param tasks         one row per task pod
     * @param conditions    already merged with the previous ones
     */
    public static SwarmServiceStatus build(String serviceName, long generation, int desired, int running, int readySlots,
                                           List<String> networkNames, List<VirtualIP> virtualIPs, List<TaskStatus> tasks,
                                           List<Condition> conditions) {
        SwarmServiceStatus status = new SwarmServiceStatus();
        status.setReplicas(running);
        status.setReadyReplicas(readySlots);
        status.setTasksReady(readySlots + "/" + desired);
        status.setNetworkNames(String.join(",", networkNames));
        status.setSelector(SwarmnetKeys.LABEL_SERVICE + "=" + serviceName);
        status.setVirtualIPs(new ArrayList<>(virtualIPs));
        List<TaskStatus> rows = new ArrayList<>(tasks);
        rows.sort(Comparator.comparing(TaskStatus::getSlot, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(TaskStatus::getNode, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(TaskStatus::getName));
        status.setTasks(rows);
        status.setConditions(new ArrayList<>(conditions));
        status.setObservedGeneration(generation);
        return status;
    }

    /**
     * The status of the service with these task pods shown: a row each, those not being removed
     * counted as running, the conditions merged with those the service shows.
     */
    static SwarmServiceStatus of(SwarmService service, List<String> networkNames, List<Pod> shown, List<VirtualIP> virtualIPs,
                                 Map<String, Cidr> subnets, int desired, int readySlots, List<Conditions.Desired> conditions,
                                 Instant now) {
        long generation = Objects.requireNonNullElse(service.getMetadata().getGeneration(), 0L);
        List<TaskStatus> rows = new ArrayList<>();
        int running = 0;
        for (Pod pod : shown) {
            ObservedTask task = new ObservedTask(pod);
            rows.add(task.status(subnets));
            if (task.lifecycle() == ExistingTask.Lifecycle.ACTIVE) {
                running++;
            }
        }
        var previous = service.getStatus() == null ? null : service.getStatus().getConditions();
        return build(service.getMetadata().getName(), generation, desired, running, readySlots,
                networkNames, virtualIPs, rows, Conditions.merge(previous, conditions, List.of(), generation, now));
    }

    /**
     * The status while {@code blocker} stops the service: its tasks as they are (running ones keep
     * running) and, as {@code last} had them, the update's bookkeeping, the task history and the
     * endpoints, since nothing is rolled while blocked.
     */
    static SwarmServiceStatus blocked(SwarmService service, List<String> networkNames, List<Pod> taskPods,
                                      ServiceHealth.Blocker blocker, List<VirtualIP> virtualIPs, Map<String, Cidr> subnets,
                                      SwarmServiceStatus last, Instant now) {
        List<ExistingTask> existing = taskPods.stream().map(ObservedTask::new).map(ObservedTask::existing)
                .flatMap(Optional::stream).toList();
        int desired = service.getSpec() == null ? 0
                : service.getSpec().effectiveMode() == ServiceMode.GLOBAL ? (int) existing.stream().filter(ExistingTask::isActive).count()
                : Math.max(0, service.getSpec().effectiveReplicas());
        int ready = (int) existing.stream().filter(t -> t.isActive() && t.ready()).map(ExistingTask::slot).distinct().count();
        var assessment = new ServiceHealth.Assessment(desired, Math.min(ready, desired),
                new TaskPlan.Rollout(desired, 0, 0, 0, false), blocker, 0, null);
        SwarmServiceStatus status = of(service, networkNames, taskPods, virtualIPs, subnets, desired, Math.min(ready, desired),
                ServiceHealth.conditions(assessment), now);
        if (last != null) {
            status.setUpdateStatus(last.getUpdateStatus());
            status.setCurrentTemplate(last.getCurrentTemplate());
            status.setPreviousTemplate(last.getPreviousTemplate());
            status.setHandledRollback(last.getHandledRollback());
            status.setTaskHistory(last.getTaskHistory());
            status.setEndpoints(last.getEndpoints());
        }
        return status;
    }

    /**
     * The task pods status shows after a round: those the round removed marked terminating (the
     * cache does not show their deletion yet), then those it created.
     */
    static List<Pod> shown(List<Pod> taskPods, Set<String> removed, List<Pod> created, Instant now) {
        List<Pod> shown = new ArrayList<>();
        for (Pod pod : taskPods) {
            shown.add(removed.contains(pod.getMetadata().getName()) ? markTerminating(pod, now) : pod);
        }
        shown.addAll(created);
        return shown;
    }

    private static Pod markTerminating(Pod pod, Instant now) {
        Pod copy = new PodBuilder(pod).build();
        if (copy.getMetadata().getDeletionTimestamp() == null) {
            copy.getMetadata().setDeletionTimestamp(now.toString());
        }
        return copy;
    }
}

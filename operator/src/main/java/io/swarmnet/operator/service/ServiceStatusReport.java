package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Condition;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.service.SwarmServiceStatus;
import io.swarmnet.api.service.TaskStatus;
import io.swarmnet.api.service.VirtualIP;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

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
}

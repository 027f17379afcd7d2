package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.ClusterEvents;
import io.swarmnet.operator.service.UpdateMonitor.Notice;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The Events a service's task creations and removals are told by ({@code kubectl describe ssvc}), and the telling. */
final class TaskEvents {

    private TaskEvents() {
    }

    /** How long a message that names several tasks may grow before the rest are only counted (Events hold 1,024 characters). */
    static final int MESSAGE_BUDGET = 900;

    /**
     * What a round's creations are told by: one Event per kind of creation (new, replacement, update) rather than one per
     * task, so creating a service of 10 replicas writes one Event, not 10 — at 1,000 services created at once, 1,000 writes
     * instead of 10,000 (which one writer thread took minutes to send, and dropped when the operator stopped). A kind with one
     * task is told as {@link #created(TaskPlan.Creation, Pod)} tells it; several are named with their slots and addresses,
     * as many as {@link #MESSAGE_BUDGET} holds with the count of the rest (the first always).
     *
     * @param created the round's creations and their pods, in the order they were made
     */
    static List<Notice> created(List<Map.Entry<TaskPlan.Creation, Pod>> created) {
        Map<TaskPlan.CreationReason, List<Map.Entry<TaskPlan.Creation, Pod>>> byReason = new EnumMap<>(TaskPlan.CreationReason.class);
        created.forEach(c -> byReason.computeIfAbsent(c.getKey().reason(), r -> new ArrayList<>()).add(c));
        List<Notice> notices = new ArrayList<>();
        byReason.forEach((reason, tasks) -> notices.add(tasks.size() == 1 ? created(tasks.get(0).getKey(), tasks.get(0).getValue())
                : createdSeveral(reason, tasks)));
        return notices;
    }

    private static Notice createdSeveral(TaskPlan.CreationReason reason, List<Map.Entry<TaskPlan.Creation, Pod>> tasks) {
        StringBuilder message = new StringBuilder(switch (reason) {
            case NEW -> "created " + tasks.size() + " tasks:";
            case REPLACEMENT -> "replaced the tasks of " + tasks.size() + " slots:";
            case UPDATE -> "started " + tasks.size() + " tasks from the current template:";
        });
        for (int told = 0; told < tasks.size(); told++) {
            Map.Entry<TaskPlan.Creation, Pod> task = tasks.get(told);
            String one = (told == 0 ? " " : "; ") + task.getValue().getMetadata().getName() + " for " + task.getKey().slot()
                    + " with addresses " + new ObservedTask(task.getValue()).addresses().byNetwork();
            // the first is always named; a later one only with room left for saying how many more there are after it
            String rest = told == tasks.size() - 1 ? "" : " and " + (tasks.size() - told - 1) + " more";
            if (told > 0 && message.length() + one.length() + rest.length() > MESSAGE_BUDGET) {
                message.append(" and ").append(tasks.size() - told).append(" more");
                break;
            }
            message.append(one);
        }
        return new Notice(false, reason(reason), message.toString());
    }

    private static String reason(TaskPlan.CreationReason reason) {
        return switch (reason) {
            case NEW -> "TaskCreated";
            case REPLACEMENT -> "TaskReplaced";
            case UPDATE -> "TaskUpdated";
        };
    }

    static Notice created(TaskPlan.Creation creation, Pod pod) {
        String addresses = new ObservedTask(pod).addresses().byNetwork().toString();
        String task = pod.getMetadata().getName();
        return new Notice(false, reason(creation.reason()), switch (creation.reason()) {
            case NEW -> "created task " + task + " for " + creation.slot() + " with addresses " + addresses;
            case REPLACEMENT -> "replaced the task of " + creation.slot() + " with " + task + " (addresses " + addresses + ")";
            case UPDATE -> "started task " + task + " from the current template for " + creation.slot() + " (addresses "
                    + addresses + ")";
        });
    }

    /** @param pod the removed task's pod as last seen, or null when it is not known */
    static Notice removed(TaskPlan.Removal removal, Pod pod) {
        String task = removal.podName();
        return switch (removal.reason()) {
            case SLOT_REMOVED -> new Notice(false, "TaskRemoved", "removed task " + task + ": " + removal.slot()
                    + (removal.slot().isGlobal() ? " no longer admits the service" : " is above spec.replicas"));
            case FINISHED -> new Notice(true, "TaskFailed", "task " + task + " in " + removal.slot() + " ended ("
                    + (pod == null ? "unknown" : new ObservedTask(pod).message()) + "); replacing it in the same slot");
            case UPDATE -> new Notice(false, "TaskUpdating", "stopping task " + task + " of " + removal.slot()
                    + " to replace it with the current template");
            case DUPLICATE -> new Notice(false, "TaskRemoved", "removed task " + task + ": " + removal.slot()
                    + " already has a task");
        };
    }

    static void tell(ClusterEvents events, SwarmService service, Notice notice) {
        if (notice.warning()) {
            events.warning(service, notice.reason(), notice.message());
        } else {
            events.normal(service, notice.reason(), notice.message());
        }
    }
}

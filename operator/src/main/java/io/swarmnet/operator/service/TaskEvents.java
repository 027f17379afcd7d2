package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.ClusterEvents;
import io.swarmnet.operator.service.UpdateMonitor.Notice;

/** The Events a service's task creations and removals are told by ({@code kubectl describe ssvc}), and the telling. */
final class TaskEvents {

    private TaskEvents() {
    }

    static Notice created(TaskPlan.Creation creation, Pod pod) {
        String addresses = new ObservedTask(pod).addresses().byNetwork().toString();
        return switch (creation.reason()) {
            case NEW -> new Notice(false, "TaskCreated", "created task " + pod.getMetadata().getName() + " for "
                    + creation.slot() + " with addresses " + addresses);
            case REPLACEMENT -> new Notice(false, "TaskReplaced", "replaced the task of " + creation.slot() + " with "
                    + pod.getMetadata().getName() + " (addresses " + addresses + ")");
            case UPDATE -> new Notice(false, "TaskUpdated", "started task " + pod.getMetadata().getName() + " from the "
                    + "current template for " + creation.slot() + " (addresses " + addresses + ")");
        };
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

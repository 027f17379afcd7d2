package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.service.TaskStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * status.taskHistory: the tasks each slot had before its current one, newest first, as
 * {@code docker service ps} lists them under the running task. Docker keeps five tasks per slot
 * by default (its task history retention limit), the current one included; so do we. Pure.
 */
public final class TaskHistory {

    /** Ended tasks kept per slot; with the slot's current task, Docker's default retention of five. */
    public static final int PER_SLOT = 4;

    private TaskHistory() {
    }

    /**
     * The new history: {@code ended} (rows of tasks that ended or were removed just now, with their
     * state, message and endedAt set) before {@code previous}, at most {@link #PER_SLOT} per slot,
     * only for slots in {@code wantedSlots} (labels as {@link TaskSlot#label()}).
     */
    public static List<TaskStatus> merge(List<TaskStatus> previous, List<TaskStatus> ended, Set<String> wantedSlots) {
        Map<String, List<TaskStatus>> bySlot = new LinkedHashMap<>();
        List<TaskStatus> all = new ArrayList<>(ended);
        all.sort(Comparator.comparing(TaskStatus::getEndedAt, Comparator.nullsLast(Comparator.reverseOrder())));
        if (previous != null) {
            all.addAll(previous);
        }
        for (TaskStatus row : all) {
            String slot = slotOf(row);
            List<TaskStatus> rows = bySlot.computeIfAbsent(slot, s -> new ArrayList<>());
            boolean known = rows.stream().anyMatch(r -> r.getName() != null && r.getName().equals(row.getName()));
            if (wantedSlots.contains(slot) && rows.size() < PER_SLOT && !known) {
                rows.add(row);
            }
        }
        List<TaskStatus> history = new ArrayList<>();
        bySlot.values().forEach(history::addAll);
        history.sort(Comparator.comparing(TaskStatus::getSlot, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(TaskHistory::slotOf)
                .thenComparing(TaskStatus::getEndedAt, Comparator.nullsLast(Comparator.reverseOrder())));
        return history;
    }

    /** The status.taskHistory row of a task the plan removes. */
    static TaskStatus row(Pod pod, TaskPlan.Removal removal, String templateHash, Map<String, Cidr> subnets, Instant now) {
        ObservedTask task = new ObservedTask(pod);
        TaskStatus row = task.status(subnets);
        // a task whose container exited non-zero failed, even when its pod still runs (a crash loop), as in docker service ps
        Optional<String> crashed = task.crashed();
        boolean failed = removal.reason() == TaskPlan.RemovalReason.FINISHED || crashed.isPresent();
        row.setState(failed ? ObservedTask.State.Failed.name() : "Shutdown");
        row.setMessage(switch (removal.reason()) {
            case FINISHED -> task.message();
            case UPDATE -> crashed.map(why -> why + "; replaced by a task of template " + templateHash)
                    .orElse("replaced by a task of template " + templateHash + (task.message() == null ? "" : " (it was " + task.message() + ")"));
            case SLOT_REMOVED -> "its slot is no longer wanted";
            case DUPLICATE -> "its slot had another task";
        });
        row.setEndedAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
        return row;
    }

    /** The slot label of a row: its number for a replicated task, its node for a global one. */
    static String slotOf(TaskStatus row) {
        return row.getSlot() != null ? TaskSlot.replicated(row.getSlot()).label() : TaskSlot.global(String.valueOf(row.getNode())).label();
    }
}

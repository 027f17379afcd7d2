package io.swarmnet.operator.service;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What should run: one task in each slot, from the template whose hash is {@code templateHash},
 * rolled out according to {@code policy}; while {@code hold} (a paused update) no further slot
 * starts changing, though failed tasks are still replaced. Tasks named in {@code givenUp} failed
 * their monitor window: their slot's update is over, as far as the next batch is concerned.
 */
public record DesiredTasks(List<TaskSlot> slots, String templateHash, UpdatePolicy policy, boolean hold, Set<String> givenUp) {

    public DesiredTasks {
        slots = List.copyOf(slots);
        givenUp = Set.copyOf(givenUp);
    }

    public DesiredTasks(List<TaskSlot> slots, String templateHash, UpdatePolicy policy) {
        this(slots, templateHash, policy, false, Set.of());
    }

    /** Slots 1..replicas of a replicated service. */
    public static DesiredTasks replicated(int replicas, String templateHash, UpdatePolicy policy) {
        return new DesiredTasks(replicatedSlots(replicas), templateHash, policy);
    }

    /** Slots 1..replicas. */
    public static List<TaskSlot> replicatedSlots(int replicas) {
        if (replicas < 0) {
            throw new IllegalArgumentException("spec.replicas " + replicas + " is negative; use 0 or more");
        }
        List<TaskSlot> slots = new java.util.ArrayList<>(replicas);
        for (int i = 1; i <= replicas; i++) {
            slots.add(TaskSlot.replicated(i));
        }
        return slots;
    }

    /** How many wanted slots have a ready task that is not being removed ({@code removed}: pod names). */
    public int readySlots(List<ExistingTask> existing, Set<String> removed) {
        Set<TaskSlot> wanted = new HashSet<>(slots);
        return (int) existing.stream()
                .filter(t -> t.isActive() && t.ready() && !removed.contains(t.podName()) && wanted.contains(t.slot()))
                .map(ExistingTask::slot).distinct().count();
    }
}

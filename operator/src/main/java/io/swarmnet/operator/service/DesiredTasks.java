package io.swarmnet.operator.service;

import java.util.List;

/**
 * What should run: one task in each slot, from the template whose hash is {@code templateHash},
 * rolled out according to {@code policy}.
 */
public record DesiredTasks(List<TaskSlot> slots, String templateHash, UpdatePolicy policy) {

    public DesiredTasks {
        slots = List.copyOf(slots);
    }

    /** Slots 1..replicas of a replicated service. */
    public static DesiredTasks replicated(int replicas, String templateHash, UpdatePolicy policy) {
        if (replicas < 0) {
            throw new IllegalArgumentException("spec.replicas " + replicas + " is negative; use 0 or more");
        }
        List<TaskSlot> slots = new java.util.ArrayList<>(replicas);
        for (int i = 1; i <= replicas; i++) {
            slots.add(TaskSlot.replicated(i));
        }
        return new DesiredTasks(slots, templateHash, policy);
    }
}

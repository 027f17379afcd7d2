package io.swarmnet.operator.service;

import io.swarmnet.api.service.UpdateOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What to do next with a service's task pods, decided from what should run and what exists (no
 * I/O). Swarm's orchestrator rules, slot by slot:
 * <ul>
 * <li>a slot without a running task gets one; a failed or deleted task is replaced in the same slot;</li>
 * <li>slots that are no longer wanted lose their tasks, highest slot first (scale down, or a node
 *     a global service may no longer run on);</li>
 * <li>a task from an older template is updated slot by slot in slot order, at most
 *     {@code parallelism} slots at a time, waiting {@code delay} after the last updated task
 *     became ready; stop-first removes the old task and starts the new one once the old one is
 *     gone, start-first starts the new one and removes the old one once the new one is ready;</li>
 * <li>while the rollout is held (a paused update), no further slot starts updating; a task that
 *     failed its monitor window (and the update goes on regardless) no longer holds up the next batch.</li>
 * </ul>
 *
 * @param creations    tasks to create
 * @param removals     task pods to delete, highest slot first
 * @param rollout      where the service stands, for its status
 * @param recheckAfter when set, nothing in the cluster will signal the next step (an update delay
 *                     is running); look again after this long
 */
public record TaskPlan(List<Creation> creations, List<Removal> removals, Rollout rollout, Optional<Duration> recheckAfter) {

    /** Why a task is created. */
    public enum CreationReason { NEW, REPLACEMENT, UPDATE }

    /** Why a task pod is deleted. */
    public enum RemovalReason {
        /** Its slot is no longer wanted: scaled down, or the node no longer admits the service. */
        SLOT_REMOVED,
        /** It ended (phase Failed or Succeeded); a replacement takes its slot. */
        FINISHED,
        /** It runs an older template and its slot is being updated. */
        UPDATE,
        /** Its slot has another task doing the same job. */
        DUPLICATE
    }

    public record Creation(TaskSlot slot, CreationReason reason) {
    }

    public record Removal(String podName, TaskSlot slot, RemovalReason reason) {
    }

    /**
     * @param desired  slots that should run a task
     * @param updated  desired slots whose running task comes from the current template (ready or not)
     * @param ready    desired slots whose current-template task is ready and that have nothing left to do
     * @param outdated desired slots still running, or stopping, a task from an older template
     * @param waitingForDelay an update batch waits for the update delay to pass
     */
    public record Rollout(int desired, int updated, int ready, int outdated, boolean waitingForDelay) {

        /** Every slot runs one ready task from the current template. */
        public boolean complete() {
            return ready == desired && outdated == 0;
        }
    }

    public TaskPlan {
        creations = List.copyOf(creations);
        removals = List.copyOf(removals);
    }

    public boolean changesNothing() {
        return creations.isEmpty() && removals.isEmpty();
    }

    private static final Comparator<ExistingTask> BEST_FIRST = Comparator
            .comparing(ExistingTask::ready).reversed()
            .thenComparing(ExistingTask::created, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(ExistingTask::podName);

    /** Decides the next step; {@code now} only matters for the update delay. */
    public static TaskPlan decide(DesiredTasks desired, List<ExistingTask> existing, Instant now) {
        Objects.requireNonNull(desired.templateHash(), "templateHash");
        Map<TaskSlot, List<ExistingTask>> bySlot = new TreeMap<>();
        for (ExistingTask task : existing) {
            bySlot.computeIfAbsent(task.slot(), s -> new ArrayList<>()).add(task);
        }
        Set<TaskSlot> wanted = new TreeSet<>(desired.slots());
        String hash = desired.templateHash();

        List<Creation> creations = new ArrayList<>();
        List<Removal> removals = new ArrayList<>();

        // Slots no longer wanted go first, highest first, so that a scale-down never removes a low slot.
        List<TaskSlot> unwanted = new ArrayList<>(bySlot.keySet());
        unwanted.removeAll(wanted);
        unwanted.sort(Comparator.reverseOrder());
        for (TaskSlot slot : unwanted) {
            for (ExistingTask task : bySlot.get(slot)) {
                if (task.lifecycle() != ExistingTask.Lifecycle.TERMINATING) {
                    removals.add(new Removal(task.podName(), slot, RemovalReason.SLOT_REMOVED));
                }
            }
        }

        boolean rolloutUnderway = existing.stream()
                .anyMatch(t -> t.lifecycle() != ExistingTask.Lifecycle.FINISHED && !hash.equals(t.templateHash()));
        int inProgress = 0;
        int updated = 0;
        int ready = 0;
        int outdated = 0;
        List<TaskSlot> toUpdate = new ArrayList<>();
        Map<TaskSlot, ExistingTask> outdatedTask = new TreeMap<>();
        List<Removal> slotRemovals = new ArrayList<>();

        for (TaskSlot slot : wanted) {
            List<ExistingTask> tasks = bySlot.getOrDefault(slot, List.of());
            List<ExistingTask> current = new ArrayList<>();
            List<ExistingTask> old = new ArrayList<>();
            boolean oldStopping = false;
            boolean replacing = false;
            for (ExistingTask task : tasks) {
                switch (task.lifecycle()) {
                    case FINISHED -> {
                        slotRemovals.add(new Removal(task.podName(), slot, RemovalReason.FINISHED));
                        replacing = true;
                    }
                    case TERMINATING -> {
                        if (hash.equals(task.templateHash())) {
                            replacing = true;
                        } else {
                            // stop-first: the new task starts only once the old one is really gone
                            oldStopping = true;
                        }
                    }
                    case ACTIVE -> (hash.equals(task.templateHash()) ? current : old).add(task);
                }
            }
            current.sort(BEST_FIRST);
            old.sort(BEST_FIRST);
            for (ExistingTask extra : current.subList(Math.min(1, current.size()), current.size())) {
                slotRemovals.add(new Removal(extra.podName(), slot, RemovalReason.DUPLICATE));
            }
            if (!current.isEmpty()) {
                ExistingTask task = current.get(0);
                updated++;
                if (task.ready()) {
                    // start-first: the replacement is ready, the old task may go now
                    for (ExistingTask superseded : old) {
                        slotRemovals.add(new Removal(superseded.podName(), slot, RemovalReason.UPDATE));
                    }
                    ready++;
                } else {
                    if (!desired.givenUp().contains(task.podName())) {
                        inProgress++;
                    }
                    if (!old.isEmpty()) {
                        outdated++;
                    }
                }
            } else if (!old.isEmpty()) {
                for (ExistingTask extra : old.subList(1, old.size())) {
                    slotRemovals.add(new Removal(extra.podName(), slot, RemovalReason.DUPLICATE));
                }
                outdated++;
                toUpdate.add(slot);
                outdatedTask.put(slot, old.get(0));
            } else if (oldStopping) {
                inProgress++;
                outdated++;
            } else {
                CreationReason reason = replacing ? CreationReason.REPLACEMENT
                        : rolloutUnderway ? CreationReason.UPDATE : CreationReason.NEW;
                creations.add(new Creation(slot, reason));
                inProgress++;
            }
        }

        boolean waitingForDelay = false;
        Optional<Duration> recheckAfter = Optional.empty();
        int budget = desired.hold() ? 0 : desired.policy().budget(inProgress);
        if (!toUpdate.isEmpty() && budget > 0) {
            Instant lastReady = existing.stream()
                    .filter(t -> t.isActive() && t.ready() && hash.equals(t.templateHash()) && t.readySince() != null)
                    .map(ExistingTask::readySince)
                    .max(Comparator.naturalOrder())
                    .orElse(null);
            Duration delay = desired.policy().delay();
            if (lastReady != null && !delay.isZero() && now.isBefore(lastReady.plus(delay))) {
                waitingForDelay = true;
                recheckAfter = Optional.of(Duration.between(now, lastReady.plus(delay)));
            } else {
                for (TaskSlot slot : toUpdate.subList(0, Math.min(budget, toUpdate.size()))) {
                    if (desired.policy().order() == UpdateOrder.START_FIRST) {
                        creations.add(new Creation(slot, CreationReason.UPDATE));
                    } else {
                        slotRemovals.add(new Removal(outdatedTask.get(slot).podName(), slot, RemovalReason.UPDATE));
                    }
                }
            }
        }

        slotRemovals.sort(Comparator.comparing(Removal::slot).reversed().thenComparing(Removal::podName));
        removals.addAll(slotRemovals);
        creations.sort(Comparator.comparing(Creation::slot));
        return new TaskPlan(creations, removals,
                new Rollout(wanted.size(), updated, ready, outdated, waitingForDelay), recheckAfter);
    }
}

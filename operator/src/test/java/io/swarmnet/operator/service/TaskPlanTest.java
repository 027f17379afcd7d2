package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.service.UpdateOrder;
import io.swarmnet.operator.service.ExistingTask.Lifecycle;
import io.swarmnet.operator.service.TaskPlan.CreationReason;
import io.swarmnet.operator.service.TaskPlan.RemovalReason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskPlanTest {

    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    private static final String OLD = "old";
    private static final String NEW = "new";

    /** Builds the existing tasks of one service. */
    private static final class Tasks {
        private final List<ExistingTask> tasks = new ArrayList<>();

        Tasks ready(int slot, String hash) {
            return add(slot, hash, Lifecycle.ACTIVE, true, NOW.minusSeconds(600));
        }

        Tasks readySince(int slot, String hash, Instant since) {
            return add(slot, hash, Lifecycle.ACTIVE, true, since);
        }

        Tasks starting(int slot, String hash) {
            return add(slot, hash, Lifecycle.ACTIVE, false, null);
        }

        Tasks failed(int slot, String hash) {
            return add(slot, hash, Lifecycle.FINISHED, false, null);
        }

        Tasks terminating(int slot, String hash) {
            return add(slot, hash, Lifecycle.TERMINATING, true, NOW.minusSeconds(600));
        }

        Tasks add(int slot, String hash, Lifecycle lifecycle, boolean ready, Instant readySince) {
            String name = "web-" + slot + "-" + hash + tasks.size();
            tasks.add(new ExistingTask(name, TaskSlot.replicated(slot), hash, lifecycle, ready, readySince,
                    NOW.minusSeconds(1000 - tasks.size())));
            return this;
        }

        Tasks onNode(String node, String hash) {
            tasks.add(new ExistingTask("web-" + node, TaskSlot.global(node), hash, Lifecycle.ACTIVE, true,
                    NOW.minusSeconds(600), NOW.minusSeconds(1000)));
            return this;
        }

        List<ExistingTask> list() {
            return tasks;
        }
    }

    private static TaskPlan plan(int replicas, UpdatePolicy policy, Tasks tasks) {
        return TaskPlan.decide(DesiredTasks.replicated(replicas, NEW, policy), tasks.list(), NOW);
    }

    private static TaskPlan plan(int replicas, Tasks tasks) {
        return plan(replicas, UpdatePolicy.DEFAULT, tasks);
    }

    private static List<Integer> createdSlots(TaskPlan plan) {
        return plan.creations().stream().map(c -> c.slot().number()).toList();
    }

    private static List<Integer> removedSlots(TaskPlan plan) {
        return plan.removals().stream().map(r -> r.slot().number()).toList();
    }

    @Test
    void createsOneTaskPerSlotForANewService() {
        TaskPlan plan = plan(3, new Tasks());

        assertThat(createdSlots(plan)).containsExactly(1, 2, 3);
        assertThat(plan.creations()).allMatch(c -> c.reason() == CreationReason.NEW);
        assertThat(plan.removals()).isEmpty();
        assertThat(plan.rollout().complete()).isFalse();
    }

    @Test
    void doesNothingWhenEverySlotRunsAReadyCurrentTask() {
        TaskPlan plan = plan(3, new Tasks().ready(1, NEW).ready(2, NEW).ready(3, NEW));

        assertThat(plan.changesNothing()).isTrue();
        assertThat(plan.rollout()).isEqualTo(new TaskPlan.Rollout(3, 3, 3, 0, false));
        assertThat(plan.rollout().complete()).isTrue();
        assertThat(plan.recheckAfter()).isEmpty();
    }

    @Test
    void scalingUpFillsOnlyTheNewSlots() {
        TaskPlan plan = plan(5, new Tasks().ready(1, NEW).ready(2, NEW).ready(3, NEW));

        assertThat(createdSlots(plan)).containsExactly(4, 5);
        assertThat(plan.removals()).isEmpty();
    }

    @Test
    void scalingDownRemovesTheHighestSlotsFirst() {
        TaskPlan plan = plan(2, new Tasks().ready(1, NEW).ready(2, NEW).ready(3, NEW).ready(4, NEW).ready(5, NEW));

        assertThat(removedSlots(plan)).containsExactly(5, 4, 3);
        assertThat(plan.removals()).allMatch(r -> r.reason() == RemovalReason.SLOT_REMOVED);
        assertThat(plan.creations()).isEmpty();
    }

    @Test
    void scalingToZeroRemovesEveryTaskAndIsComplete() {
        TaskPlan plan = plan(0, new Tasks().ready(1, NEW).ready(2, NEW));

        assertThat(removedSlots(plan)).containsExactly(2, 1);
        assertThat(plan.rollout().complete()).isTrue();
    }

    @Test
    void replacesAFailedTaskInTheSameSlot() {
        TaskPlan plan = plan(3, new Tasks().ready(1, NEW).failed(2, NEW).ready(3, NEW));

        assertThat(plan.removals()).singleElement().satisfies(r -> {
            assertThat(r.slot().number()).isEqualTo(2);
            assertThat(r.reason()).isEqualTo(RemovalReason.FINISHED);
        });
        assertThat(plan.creations()).containsExactly(new TaskPlan.Creation(TaskSlot.replicated(2), CreationReason.REPLACEMENT));
    }

    @Test
    void replacesADeletedTaskAtOnceWithoutWaitingForItToTerminate() {
        TaskPlan plan = plan(2, new Tasks().ready(1, NEW).terminating(2, NEW));

        assertThat(plan.removals()).isEmpty();
        assertThat(plan.creations()).containsExactly(new TaskPlan.Creation(TaskSlot.replicated(2), CreationReason.REPLACEMENT));
    }

    @Test
    void replacesAVanishedTaskInTheSameSlot() {
        TaskPlan plan = plan(3, new Tasks().ready(1, NEW).ready(3, NEW));

        assertThat(createdSlots(plan)).containsExactly(2);
    }

    @Test
    void removesDuplicateTasksOfASlotKeepingTheReadyOne() {
        TaskPlan plan = plan(1, new Tasks().starting(1, NEW).ready(1, NEW));

        assertThat(plan.removals()).singleElement().satisfies(r -> {
            assertThat(r.podName()).isEqualTo("web-1-new0");
            assertThat(r.reason()).isEqualTo(RemovalReason.DUPLICATE);
        });
        assertThat(plan.creations()).isEmpty();
    }

    @Test
    void stopFirstUpdateStopsTheLowestSlotFirstAndOnlyOneAtATime() {
        TaskPlan plan = plan(3, new Tasks().ready(1, OLD).ready(2, OLD).ready(3, OLD));

        assertThat(plan.removals()).singleElement().satisfies(r -> {
            assertThat(r.slot().number()).isEqualTo(1);
            assertThat(r.reason()).isEqualTo(RemovalReason.UPDATE);
        });
        assertThat(plan.creations()).isEmpty();
        assertThat(plan.rollout()).isEqualTo(new TaskPlan.Rollout(3, 0, 0, 3, false));
    }

    @Test
    void stopFirstStartsTheNewTaskOnlyOnceTheOldOneIsGone() {
        TaskPlan whileStopping = plan(3, new Tasks().terminating(1, OLD).ready(2, OLD).ready(3, OLD));
        assertThat(whileStopping.changesNothing()).isTrue();

        TaskPlan onceGone = plan(3, new Tasks().ready(2, OLD).ready(3, OLD));
        assertThat(onceGone.creations()).containsExactly(new TaskPlan.Creation(TaskSlot.replicated(1), CreationReason.UPDATE));
        assertThat(onceGone.removals()).isEmpty();
    }

    @Test
    void updateMovesToTheNextSlotOnlyWhenTheUpdatedTaskIsReady() {
        TaskPlan notReady = plan(3, new Tasks().starting(1, NEW).ready(2, OLD).ready(3, OLD));
        assertThat(notReady.changesNothing()).isTrue();

        TaskPlan ready = plan(3, new Tasks().ready(1, NEW).ready(2, OLD).ready(3, OLD));
        assertThat(removedSlots(ready)).containsExactly(2);
        assertThat(ready.rollout()).isEqualTo(new TaskPlan.Rollout(3, 1, 1, 2, false));
    }

    @Test
    void parallelismUpdatesThatManySlotsAtOnce() {
        UpdatePolicy two = new UpdatePolicy(2, Duration.ZERO, UpdateOrder.STOP_FIRST);

        TaskPlan first = plan(5, two, new Tasks().ready(1, OLD).ready(2, OLD).ready(3, OLD).ready(4, OLD).ready(5, OLD));
        assertThat(removedSlots(first)).containsExactly(2, 1);

        TaskPlan oneDone = plan(5, two, new Tasks().ready(1, NEW).starting(2, NEW).ready(3, OLD).ready(4, OLD).ready(5, OLD));
        assertThat(removedSlots(oneDone)).containsExactly(3);
    }

    @Test
    void parallelismZeroUpdatesEverySlotAtOnce() {
        UpdatePolicy all = new UpdatePolicy(0, Duration.ZERO, UpdateOrder.STOP_FIRST);

        TaskPlan plan = plan(4, all, new Tasks().ready(1, OLD).ready(2, OLD).ready(3, OLD).ready(4, OLD));

        assertThat(removedSlots(plan)).containsExactly(4, 3, 2, 1);
    }

    @Test
    void startFirstStartsTheReplacementBeforeStoppingTheOldTask() {
        UpdatePolicy startFirst = new UpdatePolicy(1, Duration.ZERO, UpdateOrder.START_FIRST);

        TaskPlan first = plan(2, startFirst, new Tasks().ready(1, OLD).ready(2, OLD));
        assertThat(first.creations()).containsExactly(new TaskPlan.Creation(TaskSlot.replicated(1), CreationReason.UPDATE));
        assertThat(first.removals()).isEmpty();

        TaskPlan replacementStarting = plan(2, startFirst, new Tasks().ready(1, OLD).starting(1, NEW).ready(2, OLD));
        assertThat(replacementStarting.changesNothing()).isTrue();

        TaskPlan replacementReady = plan(2, startFirst, new Tasks().ready(1, OLD).ready(1, NEW).ready(2, OLD));
        assertThat(replacementReady.removals()).extracting(TaskPlan.Removal::podName, TaskPlan.Removal::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("web-1-old0", RemovalReason.UPDATE));
        // slot 1 is done the moment its replacement is ready, so slot 2 starts in the same step
        assertThat(replacementReady.creations()).containsExactly(new TaskPlan.Creation(TaskSlot.replicated(2), CreationReason.UPDATE));
    }

    @Test
    void delayWaitsAfterTheLastUpdatedTaskBecameReady() {
        UpdatePolicy delayed = new UpdatePolicy(1, Duration.ofSeconds(10), UpdateOrder.STOP_FIRST);

        TaskPlan waiting = plan(2, delayed, new Tasks().readySince(1, NEW, NOW.minusSeconds(4)).ready(2, OLD));
        assertThat(waiting.changesNothing()).isTrue();
        assertThat(waiting.rollout().waitingForDelay()).isTrue();
        assertThat(waiting.recheckAfter()).contains(Duration.ofSeconds(6));

        TaskPlan elapsed = plan(2, delayed, new Tasks().readySince(1, NEW, NOW.minusSeconds(10)).ready(2, OLD));
        assertThat(removedSlots(elapsed)).containsExactly(2);
        assertThat(elapsed.recheckAfter()).isEmpty();
    }

    @Test
    void firstBatchOfAnUpdateDoesNotWaitForTheDelay() {
        UpdatePolicy delayed = new UpdatePolicy(1, Duration.ofMinutes(5), UpdateOrder.STOP_FIRST);

        TaskPlan plan = plan(2, delayed, new Tasks().ready(1, OLD).ready(2, OLD));

        assertThat(removedSlots(plan)).containsExactly(1);
    }

    @Test
    void failedTaskDuringAnUpdateIsReplacedFromTheNewTemplate() {
        TaskPlan plan = plan(3, new Tasks().starting(1, NEW).failed(3, OLD).ready(2, OLD));

        assertThat(plan.creations()).containsExactly(new TaskPlan.Creation(TaskSlot.replicated(3), CreationReason.REPLACEMENT));
        assertThat(plan.removals()).extracting(TaskPlan.Removal::reason).containsExactly(RemovalReason.FINISHED);
    }

    @Test
    void scaleDownDuringAnUpdateRemovesHighSlotsWhateverTheirTemplate() {
        TaskPlan plan = plan(1, new Tasks().ready(1, OLD).ready(2, OLD).ready(3, NEW));

        assertThat(plan.removals()).extracting(r -> r.slot().number(), TaskPlan.Removal::reason).containsExactly(
                org.assertj.core.groups.Tuple.tuple(3, RemovalReason.SLOT_REMOVED),
                org.assertj.core.groups.Tuple.tuple(2, RemovalReason.SLOT_REMOVED),
                org.assertj.core.groups.Tuple.tuple(1, RemovalReason.UPDATE));
    }

    @Test
    void globalSlotsFollowTheEligibleNodes() {
        DesiredTasks desired = new DesiredTasks(List.of(TaskSlot.global("node-a"), TaskSlot.global("node-c")), NEW,
                UpdatePolicy.DEFAULT);
        List<ExistingTask> existing = new Tasks().onNode("node-a", NEW).onNode("node-b", NEW).list();

        TaskPlan plan = TaskPlan.decide(desired, existing, NOW);

        assertThat(plan.creations()).extracting(c -> c.slot().node()).containsExactly("node-c");
        assertThat(plan.removals()).extracting(TaskPlan.Removal::podName).containsExactly("web-node-b");
        assertThat(plan.removals()).extracting(TaskPlan.Removal::reason).containsExactly(RemovalReason.SLOT_REMOVED);
    }

    @Test
    void terminatingTasksOfRemovedSlotsAreLeftToFinish() {
        TaskPlan plan = plan(1, new Tasks().ready(1, NEW).terminating(2, NEW));

        assertThat(plan.changesNothing()).isTrue();
    }

    @Test
    void aHeldUpdateStartsNoFurtherSlotButStillReplacesFailedTasks() {
        DesiredTasks desired = new DesiredTasks(DesiredTasks.replicatedSlots(3), NEW, UpdatePolicy.DEFAULT, true, java.util.Set.of());
        List<ExistingTask> existing = new Tasks().starting(1, NEW).failed(2, OLD).ready(3, OLD).list();

        TaskPlan plan = TaskPlan.decide(desired, existing, NOW);

        assertThat(plan.creations()).extracting(c -> c.slot().number(), TaskPlan.Creation::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(2, CreationReason.REPLACEMENT));
        assertThat(plan.removals()).extracting(r -> r.slot().number(), TaskPlan.Removal::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(2, RemovalReason.FINISHED));
    }

    @Test
    void aTaskThatFailedItsMonitorWindowNoLongerHoldsUpTheNextSlot() {
        List<ExistingTask> existing = new Tasks().starting(1, NEW).ready(2, OLD).list();
        String failedTask = existing.get(0).podName();

        TaskPlan waiting = TaskPlan.decide(DesiredTasks.replicated(2, NEW, UpdatePolicy.DEFAULT), existing, NOW);
        TaskPlan goingOn = TaskPlan.decide(new DesiredTasks(DesiredTasks.replicatedSlots(2), NEW, UpdatePolicy.DEFAULT, false,
                java.util.Set.of(failedTask)), existing, NOW);

        assertThat(waiting.changesNothing()).isTrue();
        assertThat(goingOn.removals()).extracting(r -> r.slot().number(), TaskPlan.Removal::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(2, RemovalReason.UPDATE));
    }
}

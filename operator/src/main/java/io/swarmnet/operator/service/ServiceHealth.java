package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.service.UpdateState;
import io.swarmnet.api.service.UpdateStatus;
import io.swarmnet.operator.Conditions;
import io.swarmnet.operator.Conditions.Desired;
import java.util.List;

/**
 * The service's Ready, Progressing and Degraded conditions, decided from what the reconcile saw.
 *
 * <ul>
 * <li>Ready: every wanted slot has a ready task (old or new template), and nothing blocks the service.</li>
 * <li>Progressing: tasks are being created, replaced or updated; False once the rollout is complete
 *     (reason Complete) or when something blocks it (reason says what).</li>
 * <li>Degraded: something is wrong that the operator cannot fix alone: a blocker, or failed tasks.</li>
 * </ul>
 * An update that failed (status.updateStatus paused, rolling back or rolled back) overrides
 * Progressing — False while paused, True while rolling back, False once rolled back — and makes the
 * service Degraded: the tasks do not run spec.template and the user has to act.
 */
public final class ServiceHealth {

    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";

    public static final String REASON_NETWORK_NOT_FOUND = "NetworkNotFound";
    public static final String REASON_NETWORK_NOT_READY = "NetworkNotReady";
    /** A network of another namespace that does not share itself with the service's namespace (spec.shareWith). */
    public static final String REASON_NETWORK_NOT_SHARED = "NetworkNotShared";
    public static final String REASON_ADDRESS_POOL_EXHAUSTED = "AddressPoolExhausted";
    public static final String REASON_INVALID_SPEC = "InvalidSpec";
    public static final String REASON_TASK_REFUSED = "TaskRefused";
    public static final String REASON_NO_ELIGIBLE_NODE = "NoEligibleNode";
    public static final String REASON_ALL_TASKS_READY = "AllTasksReady";
    public static final String REASON_TASKS_NOT_READY = "TasksNotReady";
    public static final String REASON_UPDATING = "Updating";
    public static final String REASON_UPDATE_DELAY = "WaitingForUpdateDelay";
    public static final String REASON_STARTING_TASKS = "StartingTasks";
    public static final String REASON_COMPLETE = "Complete";
    public static final String REASON_TASKS_FAILED = "TasksFailed";
    public static final String REASON_AS_EXPECTED = "AsExpected";
    public static final String REASON_UPDATE_PAUSED = "UpdatePaused";
    public static final String REASON_ROLLING_BACK = "RollingBack";
    public static final String REASON_ROLLBACK_PAUSED = "RollbackPaused";
    public static final String REASON_ROLLBACK_COMPLETED = "RollbackCompleted";

    /**
     * Something that stops the operator from doing its job for this service; the user has to act.
     *
     * @param reason  a condition reason such as NetworkNotFound
     * @param message names the object and field and says what to do
     */
    public record Blocker(String reason, String message) {

        /** A mistake in the spec that the schema did not catch. */
        public static Blocker invalidSpec(String message) {
            return new Blocker(REASON_INVALID_SPEC, message);
        }
    }

    /**
     * @param desired      slots that should run a task
     * @param readySlots   wanted slots that have a ready task
     * @param rollout      the plan's view of the rollout
     * @param blocker      what blocks the service, or null
     * @param failedTasks  tasks seen ended (they are being replaced)
     * @param notReadyHint what a not-ready task is waiting for, for the Ready message (may be null)
     */
    public record Assessment(int desired, int readySlots, TaskPlan.Rollout rollout, Blocker blocker, int failedTasks,
                             String notReadyHint, UpdateStatus update) {

        public Assessment(int desired, int readySlots, TaskPlan.Rollout rollout, Blocker blocker, int failedTasks, String notReadyHint) {
            this(desired, readySlots, rollout, blocker, failedTasks, notReadyHint, null);
        }
    }

    private ServiceHealth() {
    }

    private static Desired of(String type, boolean status, String reason, String message) {
        return new Desired(type, status ? Conditions.TRUE : Conditions.FALSE, reason, message);
    }

    public static List<Desired> conditions(Assessment a) {
        String tasks = a.readySlots() + "/" + a.desired() + " tasks ready";
        if (a.blocker() != null) {
            Blocker b = a.blocker();
            return List.of(
                    of(READY, false, b.reason(), b.message()),
                    of(PROGRESSING, false, b.reason(), "blocked (" + tasks + "): " + b.message()),
                    of(DEGRADED, true, b.reason(), b.message()));
        }
        boolean ready = a.readySlots() >= a.desired();
        Desired readyCondition = ready
                ? of(READY, true, REASON_ALL_TASKS_READY, tasks)
                : of(READY, false, REASON_TASKS_NOT_READY,
                        tasks + (a.notReadyHint() == null ? "" : "; " + a.notReadyHint()));

        TaskPlan.Rollout r = a.rollout();
        Desired progressing;
        if (r.complete() && ready) {
            progressing = of(PROGRESSING, false, REASON_COMPLETE,
                    "all " + r.desired() + " tasks run the current template and are ready");
        } else if (r.outdated() > 0 && r.waitingForDelay()) {
            progressing = of(PROGRESSING, true, REASON_UPDATE_DELAY,
                    "updated " + r.updated() + "/" + r.desired() + " tasks; waiting for spec.updateConfig.delay before the next batch");
        } else if (r.outdated() > 0) {
            progressing = of(PROGRESSING, true, REASON_UPDATING,
                    "updated " + r.updated() + "/" + r.desired() + " tasks to the current template");
        } else {
            progressing = of(PROGRESSING, true, REASON_STARTING_TASKS, tasks);
        }

        Desired degraded = a.failedTasks() > 0
                ? of(DEGRADED, true, REASON_TASKS_FAILED,
                        a.failedTasks() + " task(s) failed and are being replaced in their slots; see status.tasks and events")
                : of(DEGRADED, false, REASON_AS_EXPECTED, "no failed tasks");
        UpdateState state = a.update() == null ? null : a.update().getState();
        if (state != null && (state.isPaused() || state.isRollback())) {
            String reason = switch (state) {
                case PAUSED -> REASON_UPDATE_PAUSED;
                case ROLLBACK_PAUSED -> REASON_ROLLBACK_PAUSED;
                case ROLLBACK_STARTED -> REASON_ROLLING_BACK;
                default -> REASON_ROLLBACK_COMPLETED;
            };
            String message = a.update().getMessage() + " (" + tasks + ")";
            progressing = of(PROGRESSING, state == UpdateState.ROLLBACK_STARTED, reason, message);
            degraded = of(DEGRADED, true, reason, message);
        }
        return List.of(readyCondition, progressing, degraded);
    }

    /** What the first task shown that is not ready is waiting for, as the Ready condition tells it; null when none says. */
    static String notReadyHint(List<Pod> shown) {
        for (Pod pod : shown) {
            ObservedTask task = new ObservedTask(pod);
            if (task.state() != ObservedTask.State.Ready && task.state() != ObservedTask.State.Terminating && task.message() != null) {
                return "task " + task.name() + ": " + task.message();
            }
        }
        return null;
    }
}

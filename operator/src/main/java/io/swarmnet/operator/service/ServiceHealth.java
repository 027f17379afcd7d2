package io.swarmnet.operator.service;

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
 */
public final class ServiceHealth {

    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";

    public static final String REASON_NETWORK_NOT_FOUND = "NetworkNotFound";
    public static final String REASON_NETWORK_NOT_READY = "NetworkNotReady";
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

    /**
     * Something that stops the operator from doing its job for this service; the user has to act.
     *
     * @param reason  a condition reason such as NetworkNotFound
     * @param message names the object and field and says what to do
     */
    public record Blocker(String reason, String message) {
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
                             String notReadyHint) {
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
        return List.of(readyCondition, progressing, degraded);
    }
}

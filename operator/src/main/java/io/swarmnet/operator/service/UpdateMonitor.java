package io.swarmnet.operator.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.service.SwarmServiceStatus;
import io.swarmnet.api.service.TemplateRevision;
import io.swarmnet.api.service.UpdateState;
import io.swarmnet.api.service.UpdateStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Docker's update supervision, decided from the service's last status and its task pods (no I/O):
 * which template the tasks should run, whether the rollout may go on, and what status.updateStatus
 * says. The steps, in order:
 * <ol>
 * <li>a new value of the {@code swarmnet.io/rollback} annotation swaps the current and the previous
 *     template (docker service rollback);</li>
 * <li>a spec.template (or networks) change starts an update: the current template becomes the
 *     previous one. While a rollback stands, the spec's template is the one rolled back from and
 *     does not start an update again; a different template does;</li>
 * <li>a paused update or rollback resumes once metadata.generation moves past the one it paused at;</li>
 * <li>while an update or rollback runs, each task created for it is watched for the policy's
 *     monitor window; when more of the service's tasks failed than maxFailureRatio allows, the
 *     failure action is taken (pause, continue, or rollback: swap as in step 1);</li>
 * <li>once every wanted slot runs a ready task of the current template and no new task is still
 *     watched, the update (or rollback) is completed.</li>
 * </ol>
 * The spec itself is never rewritten: after a rollback it still shows the template that failed,
 * and status.currentTemplate shows what runs.
 */
public final class UpdateMonitor {

    /** Failed task names kept in status.updateStatus.failedTasks; beyond that only the action matters. */
    static final int FAILED_TASKS_KEPT = 20;

    /** An Event to write about the service. */
    public record Notice(boolean warning, String reason, String message) {
    }

    /**
     * @param specHash        hash of spec.template and the networks
     * @param specTemplate    spec.template as JSON
     * @param generation      metadata.generation
     * @param rollbackRequest the swarmnet.io/rollback annotation, or null
     * @param last            the status as last written (null for a new service)
     * @param update          spec.updateConfig read
     * @param rollback        spec.rollbackConfig read
     * @param tasks           the service's task pods
     * @param desiredSlots    slots that should run a task
     * @param now             the time of this reconcile
     */
    public record Input(String specHash, JsonNode specTemplate, long generation, String rollbackRequest, SwarmServiceStatus last,
                        UpdatePolicy update, UpdatePolicy rollback, List<WatchedTask> tasks, Set<TaskSlot> desiredSlots,
                        Instant now) {
    }

    /**
     * @param current         the template the tasks should run
     * @param previous        the template a rollback returns to (null when none is known)
     * @param status          status.updateStatus (null until the template first changes)
     * @param handledRollback the last swarmnet.io/rollback value acted on
     * @param policy          how to roll the tasks toward {@code current}
     * @param hold            paused: no further slot may start changing
     * @param notices         Events to write
     * @param recheckAfter    when a monitor window closes with nothing else to wake the reconcile
     */
    public record Outcome(TemplateRevision current, TemplateRevision previous, UpdateStatus status, String handledRollback,
                          UpdatePolicy policy, boolean hold, List<Notice> notices, Optional<Duration> recheckAfter) {

        /** The template the tasks should run is not spec.template (a rollback stands). */
        public boolean runsOtherThanSpec(String specHash) {
            return !current.getHash().equals(specHash);
        }
    }

    private UpdateMonitor() {
    }

    public static Outcome decide(Input in) {
        return new Round(in).run();
    }

    /** One decision; mutable while it is made, immutable once returned. */
    private static final class Round {
        private final Input in;
        private final List<Notice> notices = new ArrayList<>();
        private TemplateRevision current;
        private TemplateRevision previous;
        private UpdateStatus status;
        private String handledRollback;
        private Duration recheck;

        Round(Input in) {
            this.in = in;
            SwarmServiceStatus last = in.last();
            current = last == null ? null : copy(last.getCurrentTemplate());
            previous = last == null ? null : copy(last.getPreviousTemplate());
            status = last == null ? null : copy(last.getUpdateStatus());
            handledRollback = last == null ? null : last.getHandledRollback();
            if (current != null && (current.getHash() == null || current.getTemplate() == null)) {
                current = null;
            }
            if (previous != null && (previous.getHash() == null || previous.getTemplate() == null)) {
                previous = null;
            }
        }

        Outcome run() {
            if (current == null) {
                // first sight (or a status from before updates were tracked): nothing to compare with yet,
                // and an annotation already present is not a request made to this operator
                current = new TemplateRevision(in.specHash(), in.specTemplate());
                handledRollback = in.rollbackRequest();
            }
            boolean requested = in.rollbackRequest() != null && !in.rollbackRequest().equals(handledRollback);
            if (requested) {
                handledRollback = in.rollbackRequest();
                if (previous == null) {
                    notices.add(new Notice(true, "RollbackUnavailable", "annotation " + SwarmnetKeys.ANNOTATION_ROLLBACK + "="
                            + in.rollbackRequest() + " asks for a rollback, but there is no previous template: the template has not"
                            + " changed since the operator started tracking this service"));
                } else {
                    startRollback(false, "rollback requested with annotation " + SwarmnetKeys.ANNOTATION_ROLLBACK + "="
                            + in.rollbackRequest());
                }
            }
            boolean rolledBackFromSpec = status != null && status.getState().isRollback() && previous != null
                    && in.specHash().equals(previous.getHash());
            if (!in.specHash().equals(current.getHash()) && !rolledBackFromSpec) {
                startUpdate();
            } else if (status != null && status.getState().isPaused() && status.getPausedGeneration() != null
                    && in.generation() != status.getPausedGeneration()) {
                resume();
            }
            UpdatePolicy policy = policy();
            if (status != null && status.getState().isRunning()) {
                watch(policy);
            }
            policy = policy();
            boolean hold = status != null && status.getState().isPaused();
            return new Outcome(current, previous, status, handledRollback, policy, hold, List.copyOf(notices),
                    Optional.ofNullable(recheck));
        }

        private UpdatePolicy policy() {
            return status != null && status.getState().isRollback() ? in.rollback() : in.update();
        }

        private void startUpdate() {
            String from = current.getHash();
            previous = current;
            current = new TemplateRevision(in.specHash(), in.specTemplate());
            status = fresh(UpdateState.UPDATING, "updating tasks from template " + from + " to " + current.getHash());
            notices.add(new Notice(false, "UpdateStarted", status.getMessage()));
        }

        private void startRollback(boolean afterFailure, String why) {
            TemplateRevision from = current;
            current = previous;
            previous = from;
            status = fresh(UpdateState.ROLLBACK_STARTED, "rolling back from template " + from.getHash() + " to " + current.getHash()
                    + ": " + why);
            notices.add(new Notice(afterFailure, "RollbackStarted", status.getMessage()));
        }

        private void resume() {
            boolean rollback = status.getState().isRollback();
            status = fresh(rollback ? UpdateState.ROLLBACK_STARTED : UpdateState.UPDATING, (rollback ? "rollback" : "update")
                    + " to template " + current.getHash() + " resumed after a spec change");
            notices.add(new Notice(false, rollback ? "RollbackResumed" : "UpdateResumed", status.getMessage()));
        }

        private UpdateStatus fresh(UpdateState state, String message) {
            UpdateStatus fresh = new UpdateStatus();
            fresh.setState(state);
            fresh.setMessage(message);
            fresh.setStartedAt(timestamp(in.now()));
            return fresh;
        }

        /** Steps 4 and 5: the new tasks' verdicts, then the failure action or completion. */
        private void watch(UpdatePolicy policy) {
            Instant started = Timestamps.parse(status.getStartedAt());
            String target = current.getHash();
            Set<String> failed = new HashSet<>(status.getFailedTasks());
            String lastFailure = null;
            boolean newFailure = false;
            boolean watching = false;
            for (WatchedTask task : in.tasks()) {
                if (!target.equals(task.templateHash()) || task.created() == null || (started != null && task.created().isBefore(started))) {
                    // only tasks this update (or rollback) created are its to judge
                    continue;
                }
                switch (task.verdict(policy.monitor(), in.now())) {
                    case FAILED -> {
                        String reason = task.failureReason(policy.monitor());
                        if (!failed.contains(task.name())) {
                            failed.add(task.name());
                            newFailure = true;
                            if (status.getFailedTasks().size() < FAILED_TASKS_KEPT) {
                                status.getFailedTasks().add(task.name());
                            }
                            notices.add(new Notice(true, "UpdateTaskFailed", "task " + task.name() + " of template " + target
                                    + " failed within " + policy.field() + ".monitor (" + GoDuration.format(policy.monitor()) + "): "
                                    + reason));
                        }
                        lastFailure = "task " + task.name() + ": " + reason;
                    }
                    case WATCHING -> {
                        watching = true;
                        Duration left = Duration.between(in.now(), task.windowEnd(policy.monitor()));
                        recheck = recheck == null || left.compareTo(recheck) < 0 ? left : recheck;
                    }
                    case NOT_STARTED -> watching = true;
                    case PASSED -> { }
                }
            }
            int failures = Math.max(failed.size(), status.getFailedTasks().size());
            int total = Math.max(1, in.desiredSlots().size());
            boolean rollback = status.getState().isRollback();
            String what = rollback ? "rollback" : "update";
            if (policy.tooManyFailures(failures, total)) {
                String summary = failures + " of " + total + " task(s) failed, more than " + policy.field() + ".maxFailureRatio ("
                        + policy.maxFailureRatio() + ") allows" + (lastFailure == null ? "" : "; " + lastFailure);
                switch (policy.failureAction()) {
                    case PAUSE -> pause(summary);
                    case CONTINUE -> {
                        if (newFailure) {
                            status.setMessage(what + " to template " + target + " continues (" + policy.field()
                                    + ".failureAction continue): " + summary);
                            notices.add(new Notice(true, rollback ? "RollbackFailuresIgnored" : "UpdateFailuresIgnored",
                                    status.getMessage()));
                        }
                    }
                    case ROLLBACK -> {
                        if (previous == null) {
                            pause(summary + "; there is no previous template to roll back to");
                        } else {
                            startRollback(true, "update to template " + target + " failed: " + summary);
                        }
                    }
                }
                if (status.getState().isPaused() || status.getState() == UpdateState.ROLLBACK_STARTED && !rollback) {
                    recheck = null;
                    return;
                }
            }
            if (!watching && converged(target)) {
                status.setState(rollback ? UpdateState.ROLLBACK_COMPLETED : UpdateState.COMPLETED);
                status.setCompletedAt(timestamp(in.now()));
                status.setMessage(rollback
                        ? "rollback completed: the tasks run template " + target + "; spec.template (" + in.specHash()
                                + ") stays as written: fix it and apply it again to update"
                        : "update completed: every task runs template " + target);
                if (rollback && in.specHash().equals(target)) {
                    status.setMessage("rollback completed: every task runs template " + target);
                }
                notices.add(new Notice(false, rollback ? "RollbackCompleted" : "UpdateCompleted", status.getMessage()));
            }
        }

        private void pause(String summary) {
            boolean rollback = status.getState().isRollback();
            status.setState(rollback ? UpdateState.ROLLBACK_PAUSED : UpdateState.PAUSED);
            status.setPausedGeneration(in.generation());
            status.setMessage((rollback ? "rollback" : "update") + " to template " + current.getHash() + " paused: " + summary
                    + ". Fix spec.template and apply it, or change the spec in any way to resume"
                    + (rollback ? "" : ", or roll back with the annotation " + SwarmnetKeys.ANNOTATION_ROLLBACK));
            notices.add(new Notice(true, rollback ? "RollbackPaused" : "UpdatePaused", status.getMessage()));
        }

        /** Every wanted slot has a ready task of {@code target}, and no task of another template is left. */
        private boolean converged(String target) {
            Set<TaskSlot> readySlots = new HashSet<>();
            for (WatchedTask task : in.tasks()) {
                boolean gone = task.lifecycle() == ExistingTask.Lifecycle.FINISHED;
                if (!gone && !target.equals(task.templateHash())) {
                    return false;
                }
                if (task.lifecycle() == ExistingTask.Lifecycle.ACTIVE && task.ready() && task.slot() != null) {
                    readySlots.add(task.slot());
                }
            }
            return readySlots.containsAll(in.desiredSlots());
        }
    }

    private static TemplateRevision copy(TemplateRevision revision) {
        return revision == null ? null : new TemplateRevision(revision.getHash(),
                revision.getTemplate() == null ? null : revision.getTemplate().deepCopy());
    }

    private static UpdateStatus copy(UpdateStatus status) {
        if (status == null || status.getState() == null) {
            return null;
        }
        UpdateStatus copy = new UpdateStatus();
        copy.setState(status.getState());
        copy.setMessage(status.getMessage());
        copy.setStartedAt(status.getStartedAt());
        copy.setCompletedAt(status.getCompletedAt());
        copy.setFailedTasks(new ArrayList<>(Objects.requireNonNullElse(status.getFailedTasks(), List.of())));
        copy.setPausedGeneration(status.getPausedGeneration());
        return copy;
    }

    private static String timestamp(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}

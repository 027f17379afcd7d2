package io.swarmnet.operator.service;

import io.swarmnet.api.service.RollbackConfig;
import io.swarmnet.api.service.RolloutConfig;
import io.swarmnet.api.service.UpdateConfig;
import io.swarmnet.api.service.UpdateOrder;
import java.time.Duration;

/**
 * How a template change (or a rollback) rolls over the tasks, with Docker's defaults filled in
 * (parallelism 1, no delay, stop-first, monitor 5s, max failure ratio 0, failure action pause).
 *
 * @param parallelism     slots changed at the same time; 0 means all at once
 * @param delay           wait after one batch became ready before the next starts
 * @param order           whether the old task stops before or after its replacement is ready
 * @param monitor         how long a new task is watched after its containers start
 * @param maxFailureRatio share of the tasks that may fail before {@code failureAction} is taken
 * @param failureAction   what then happens
 * @param field           the spec field this policy was read from, for messages
 */
public record UpdatePolicy(int parallelism, Duration delay, UpdateOrder order, Duration monitor, double maxFailureRatio,
                           FailureAction failureAction, String field) {

    /** docker service update --update-failure-action / --rollback-failure-action. */
    public enum FailureAction { PAUSE, CONTINUE, ROLLBACK }

    public static final String UPDATE_FIELD = "spec.updateConfig";
    public static final String ROLLBACK_FIELD = "spec.rollbackConfig";
    public static final Duration DEFAULT_MONITOR = Duration.ofSeconds(5);

    public static final UpdatePolicy DEFAULT = new UpdatePolicy(1, Duration.ZERO, UpdateOrder.STOP_FIRST);
    public static final UpdatePolicy DEFAULT_ROLLBACK = new UpdatePolicy(1, Duration.ZERO, UpdateOrder.STOP_FIRST, DEFAULT_MONITOR,
            0, FailureAction.PAUSE, ROLLBACK_FIELD);

    public UpdatePolicy {
        if (parallelism < 0) {
            throw new IllegalArgumentException(field + ".parallelism " + parallelism
                    + " is negative; use 0 to change all tasks at once or a positive batch size");
        }
        if (!(maxFailureRatio >= 0 && maxFailureRatio <= 1)) {
            throw new IllegalArgumentException(field + ".maxFailureRatio " + maxFailureRatio
                    + " is not a share of the tasks; use a number from 0 (the first failure counts) to 1 (failures never count)");
        }
    }

    /** An update policy with Docker's monitoring defaults. */
    public UpdatePolicy(int parallelism, Duration delay, UpdateOrder order) {
        this(parallelism, delay, order, DEFAULT_MONITOR, 0, FailureAction.PAUSE, UPDATE_FIELD);
    }

    /** Reads spec.updateConfig; throws {@link IllegalArgumentException} naming the field that is wrong. */
    public static UpdatePolicy of(UpdateConfig config) {
        if (config == null) {
            return DEFAULT;
        }
        FailureAction action = config.getFailureAction() == null ? DEFAULT.failureAction : switch (config.getFailureAction()) {
            case PAUSE -> FailureAction.PAUSE;
            case CONTINUE -> FailureAction.CONTINUE;
            case ROLLBACK -> FailureAction.ROLLBACK;
        };
        return read(config, action, UPDATE_FIELD);
    }

    /** Reads spec.rollbackConfig; throws {@link IllegalArgumentException} naming the field that is wrong. */
    public static UpdatePolicy ofRollback(RollbackConfig config) {
        if (config == null) {
            return DEFAULT_ROLLBACK;
        }
        FailureAction action = config.getFailureAction() == null ? DEFAULT_ROLLBACK.failureAction : switch (config.getFailureAction()) {
            case PAUSE -> FailureAction.PAUSE;
            case CONTINUE -> FailureAction.CONTINUE;
        };
        return read(config, action, ROLLBACK_FIELD);
    }

    private static UpdatePolicy read(RolloutConfig config, FailureAction action, String field) {
        return new UpdatePolicy(
                config.getParallelism() == null ? DEFAULT.parallelism : config.getParallelism(),
                GoDuration.parse(config.getDelay(), field + ".delay"),
                config.getOrder() == null ? DEFAULT.order : config.getOrder(),
                config.getMonitor() == null ? DEFAULT_MONITOR : GoDuration.parse(config.getMonitor(), field + ".monitor"),
                config.getMaxFailureRatio() == null ? DEFAULT.maxFailureRatio : config.getMaxFailureRatio(),
                action, field);
    }

    /** How many more slots may start updating while {@code inProgress} are still updating. */
    int budget(int inProgress) {
        return parallelism == 0 ? Integer.MAX_VALUE : Math.max(0, parallelism - inProgress);
    }

    /** More than {@code maxFailureRatio} of {@code tasks} failed (Docker compares failed/total with the ratio). */
    boolean tooManyFailures(int failed, int tasks) {
        return failed > 0 && (double) failed / Math.max(1, tasks) > maxFailureRatio;
    }
}

package io.swarmnet.operator.service;

import io.swarmnet.api.service.UpdateConfig;
import io.swarmnet.api.service.UpdateOrder;
import java.time.Duration;

/**
 * How a template change rolls over the tasks, with Docker's defaults filled in
 * (parallelism 1, no delay, stop-first).
 *
 * @param parallelism slots updated at the same time; 0 means all at once
 * @param delay       wait after one batch became ready before the next starts
 * @param order       whether the old task stops before or after its replacement is ready
 */
public record UpdatePolicy(int parallelism, Duration delay, UpdateOrder order) {

    public static final UpdatePolicy DEFAULT = new UpdatePolicy(1, Duration.ZERO, UpdateOrder.STOP_FIRST);

    public UpdatePolicy {
        if (parallelism < 0) {
            throw new IllegalArgumentException("spec.updateConfig.parallelism " + parallelism
                    + " is negative; use 0 to update all tasks at once or a positive batch size");
        }
    }

    /** Reads the spec; throws {@link IllegalArgumentException} naming the field that is wrong. */
    public static UpdatePolicy of(UpdateConfig config) {
        if (config == null) {
            return DEFAULT;
        }
        return new UpdatePolicy(
                config.getParallelism() == null ? DEFAULT.parallelism : config.getParallelism(),
                GoDuration.parse(config.getDelay(), "spec.updateConfig.delay"),
                config.getOrder() == null ? DEFAULT.order : config.getOrder());
    }

    /** How many more slots may start updating while {@code inProgress} are still updating. */
    int budget(int inProgress) {
        return parallelism == 0 ? Integer.MAX_VALUE : Math.max(0, parallelism - inProgress);
    }
}

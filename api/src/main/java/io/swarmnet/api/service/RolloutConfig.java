package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * What an update and a rollback have in common: how many tasks change at once, how long to wait
 * between batches, how long each new task is watched and how many may fail (docker service update
 * --update-* and --rollback-*, which have the same defaults).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public abstract class RolloutConfig {

    public static final String DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

    @JsonPropertyDescription("Tasks changed at the same time (--update-parallelism, --rollback-parallelism); 0 changes all at once. "
            + "Default 1.")
    @Min(0)
    @Default("1")
    private Integer parallelism;

    @JsonPropertyDescription("Wait between one batch of tasks and the next (--update-delay, --rollback-delay), a duration such as "
            + "10s, 1m30s. Default 0s.")
    @Pattern(DURATION_PATTERN)
    @Default("0s")
    private String delay;

    @JsonPropertyDescription("stop-first (default) stops a task before starting its replacement; start-first starts the replacement "
            + "and stops the old task once the new one is ready (--update-order, --rollback-order).")
    @Default("stop-first")
    private UpdateOrder order;

    @JsonPropertyDescription("How long each new task is watched after its containers start (--update-monitor, --rollback-monitor), "
            + "a duration such as 5s, 1m. A task that ends, restarts a container or is not Ready by then counts as failed. "
            + "Default 5s.")
    @Pattern(DURATION_PATTERN)
    @Default("5s")
    private String monitor;

    @JsonPropertyDescription("Share of the service's tasks that may fail before failureAction is taken (--update-max-failure-ratio, "
            + "--rollback-max-failure-ratio), from 0 to 1. Default 0: the first failure counts.")
    @Min(0)
    @Max(1)
    @Default("0")
    private Double maxFailureRatio;

    public Integer getParallelism() { return parallelism; }
    public void setParallelism(Integer parallelism) { this.parallelism = parallelism; }
    public String getDelay() { return delay; }
    public void setDelay(String delay) { this.delay = delay; }
    public UpdateOrder getOrder() { return order; }
    public void setOrder(UpdateOrder order) { this.order = order; }
    public String getMonitor() { return monitor; }
    public void setMonitor(String monitor) { this.monitor = monitor; }
    public Double getMaxFailureRatio() { return maxFailureRatio; }
    public void setMaxFailureRatio(Double maxFailureRatio) { this.maxFailureRatio = maxFailureRatio; }
}

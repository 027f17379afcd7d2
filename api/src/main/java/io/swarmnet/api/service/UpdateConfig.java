package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** How a template change rolls over the tasks (docker service update --update-*). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UpdateConfig {

    public static final String DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

    @JsonPropertyDescription("Tasks updated at the same time (--update-parallelism); 0 updates all at once. Default 1.")
    @Min(0)
    @Default("1")
    private Integer parallelism;

    @JsonPropertyDescription("Wait between updating one batch of tasks and the next (--update-delay), a duration such as 10s, 1m30s. Default 0s.")
    @Pattern(DURATION_PATTERN)
    @Default("0s")
    private String delay;

    @JsonPropertyDescription("stop-first (default) stops a task before starting its replacement; start-first starts the replacement "
            + "and stops the old task once the new one is ready.")
    @Default("stop-first")
    private UpdateOrder order;

    public Integer getParallelism() { return parallelism; }
    public void setParallelism(Integer parallelism) { this.parallelism = parallelism; }
    public String getDelay() { return delay; }
    public void setDelay(String delay) { this.delay = delay; }
    public UpdateOrder getOrder() { return order; }
    public void setOrder(UpdateOrder order) { this.order = order; }
}

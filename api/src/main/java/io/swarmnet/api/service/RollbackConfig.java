package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** How a rollback to the previous template rolls over the tasks (docker service update --rollback-*). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RollbackConfig extends RolloutConfig {

    @JsonPropertyDescription("What to do when more tasks of the rollback fail than maxFailureRatio allows "
            + "(--rollback-failure-action): pause (default) stops the rollback until the spec changes again; continue goes on.")
    @Default("pause")
    private RollbackFailureAction failureAction;

    public RollbackFailureAction getFailureAction() { return failureAction; }
    public void setFailureAction(RollbackFailureAction failureAction) { this.failureAction = failureAction; }
}

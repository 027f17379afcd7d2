package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** How a template change rolls over the tasks (docker service update --update-*). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UpdateConfig extends RolloutConfig {

    @JsonPropertyDescription("What to do when more tasks fail than maxFailureRatio allows (--update-failure-action): pause "
            + "(default) stops updating further tasks until the spec changes again; continue goes on; rollback returns every "
            + "task to the previous template (status.previousTemplate) with rollbackConfig.")
    @Default("pause")
    private UpdateFailureAction failureAction;

    public UpdateFailureAction getFailureAction() { return failureAction; }
    public void setFailureAction(UpdateFailureAction failureAction) { this.failureAction = failureAction; }
}

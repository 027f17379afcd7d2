package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** Where the last template change stands, as docker service inspect's UpdateStatus. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UpdateStatus {

    @JsonPropertyDescription("updating, paused, completed, rollback_started, rollback_paused or rollback_completed.")
    private UpdateState state;
    @JsonPropertyDescription("What happened, e.g. which task failed and why the update paused.")
    private String message;
    @JsonPropertyDescription("When the update or rollback started.")
    private String startedAt;
    @JsonPropertyDescription("When it completed.")
    private String completedAt;
    @JsonPropertyDescription("New tasks of this update or rollback that failed within the monitor window.")
    private List<String> failedTasks = new ArrayList<>();
    @JsonPropertyDescription("While paused: the metadata.generation it paused at; a later spec change resumes it.")
    private Long pausedGeneration;

    public UpdateState getState() { return state; }
    public void setState(UpdateState state) { this.state = state; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public String getStartedAt() { return startedAt; }
    public void setStartedAt(String startedAt) { this.startedAt = startedAt; }
    public String getCompletedAt() { return completedAt; }
    public void setCompletedAt(String completedAt) { this.completedAt = completedAt; }
    public List<String> getFailedTasks() { return failedTasks; }
    public void setFailedTasks(List<String> failedTasks) { this.failedTasks = failedTasks; }
    public Long getPausedGeneration() { return pausedGeneration; }
    public void setPausedGeneration(Long pausedGeneration) { this.pausedGeneration = pausedGeneration; }
}

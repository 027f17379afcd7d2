package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The states of docker service inspect's UpdateStatus. */
public enum UpdateState {
    @JsonProperty("updating") UPDATING,
    /** More new tasks failed than updateConfig.maxFailureRatio allows and failureAction is pause. */
    @JsonProperty("paused") PAUSED,
    @JsonProperty("completed") COMPLETED,
    @JsonProperty("rollback_started") ROLLBACK_STARTED,
    /** More tasks of the rollback failed than rollbackConfig.maxFailureRatio allows and its failureAction is pause. */
    @JsonProperty("rollback_paused") ROLLBACK_PAUSED,
    @JsonProperty("rollback_completed") ROLLBACK_COMPLETED;

    /** A rollback started, paused or completed: the tasks run, or are going back to, the previous template. */
    public boolean isRollback() {
        return this == ROLLBACK_STARTED || this == ROLLBACK_PAUSED || this == ROLLBACK_COMPLETED;
    }

    public boolean isPaused() {
        return this == PAUSED || this == ROLLBACK_PAUSED;
    }

    /** Tasks are being changed and the new ones watched. */
    public boolean isRunning() {
        return this == UPDATING || this == ROLLBACK_STARTED;
    }
}

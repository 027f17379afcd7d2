package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonProperty;

/** docker service update --rollback-failure-action: a rollback that fails cannot roll back again. */
public enum RollbackFailureAction {
    /** Roll back no further task until the spec changes again (Docker's default). */
    @JsonProperty("pause") PAUSE,
    /** Go on rolling back as if nothing had failed. */
    @JsonProperty("continue") CONTINUE
}

package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonProperty;

/** docker service update --update-failure-action. */
public enum UpdateFailureAction {
    /** Update no further task until the spec changes again (Docker's default). */
    @JsonProperty("pause") PAUSE,
    /** Go on updating as if nothing had failed. */
    @JsonProperty("continue") CONTINUE,
    /** Return every task to the previous template. */
    @JsonProperty("rollback") ROLLBACK
}

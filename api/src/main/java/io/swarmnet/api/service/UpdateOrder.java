package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonProperty;

/** docker service update --update-order. */
public enum UpdateOrder {
    /** Stop the old task, then start its replacement (Docker's default). */
    @JsonProperty("stop-first") STOP_FIRST,
    /** Start the replacement, then stop the old task once the new one is ready. */
    @JsonProperty("start-first") START_FIRST
}

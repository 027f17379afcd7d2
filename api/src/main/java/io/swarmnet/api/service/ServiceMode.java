package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonProperty;

/** docker service create --mode. */
public enum ServiceMode {
    /** A fixed number of task slots, spread over eligible nodes. */
    @JsonProperty("replicated") REPLICATED,
    /** One task on every eligible node. */
    @JsonProperty("global") GLOBAL
}

package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonProperty;

/** docker service create --publish protocol=. */
public enum PortProtocol {
    @JsonProperty("tcp") TCP,
    @JsonProperty("udp") UDP;

    /** As a Kubernetes Service or container port spells it: {@code TCP}, {@code UDP}. */
    public String kubernetesName() {
        return name();
    }

    /** As Docker and the SwarmService spell it: {@code tcp}, {@code udp}. */
    public String dockerName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

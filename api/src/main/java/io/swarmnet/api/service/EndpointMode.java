package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonProperty;

/** docker service create --endpoint-mode. */
public enum EndpointMode {
    /** One virtual IP per network, load-balanced over the ready tasks. */
    @JsonProperty("vip") VIP,
    /** No virtual IP: the service name resolves to every ready task address. */
    @JsonProperty("dnsrr") DNSRR
}

package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonProperty;

/** docker service create --publish mode=. */
public enum PublishMode {
    /** Reachable on every node, routed to any task (Docker's routing mesh; here a NodePort Service and kube-proxy). */
    @JsonProperty("ingress") INGRESS,
    /** Bound on the node of each task only, to that task (a hostPort on the task's container). */
    @JsonProperty("host") HOST
}

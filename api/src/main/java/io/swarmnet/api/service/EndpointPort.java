package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A port in effect, as docker service inspect .Endpoint.Ports shows it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EndpointPort {

    @JsonPropertyDescription("ingress or host.")
    private PublishMode mode;
    @JsonPropertyDescription("tcp or udp.")
    private PortProtocol protocol;
    @JsonPropertyDescription("The task's port.")
    private Integer targetPort;
    @JsonPropertyDescription("The port reachable from outside: in mode ingress the NodePort in effect (the allocated one "
            + "when spec left it out), in mode host the port bound on each task's node.")
    private Integer publishedPort;

    public EndpointPort() {
    }

    public EndpointPort(PublishMode mode, PortProtocol protocol, Integer targetPort, Integer publishedPort) {
        this.mode = mode;
        this.protocol = protocol;
        this.targetPort = targetPort;
        this.publishedPort = publishedPort;
    }

    public PublishMode getMode() { return mode; }
    public void setMode(PublishMode mode) { this.mode = mode; }
    public PortProtocol getProtocol() { return protocol; }
    public void setProtocol(PortProtocol protocol) { this.protocol = protocol; }
    public Integer getTargetPort() { return targetPort; }
    public void setTargetPort(Integer targetPort) { this.targetPort = targetPort; }
    public Integer getPublishedPort() { return publishedPort; }
    public void setPublishedPort(Integer publishedPort) { this.publishedPort = publishedPort; }
}

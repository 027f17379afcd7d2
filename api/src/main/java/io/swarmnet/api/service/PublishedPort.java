package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** One published port: docker service create --publish published=...,target=...,protocol=...,mode=... */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.mode) || self.mode != 'host' || has(self.publishedPort)",
        message = "publishedPort is required in mode host: it is the port bound on each task's node; give one, or use"
                + " mode ingress to have one allocated",
        reason = "FieldValueRequired", fieldPath = ".publishedPort")
public class PublishedPort {

    public static final int MIN_PORT = 1;
    public static final int MAX_PORT = 65535;

    @JsonPropertyDescription("The port the task's container listens on (--publish target=).")
    @Required
    @Min(MIN_PORT)
    @Max(MAX_PORT)
    private Integer targetPort;

    @JsonPropertyDescription("The port reachable from outside (--publish published=): in mode ingress on every node (a "
            + "NodePort, inside the cluster's NodePort range; allocated by Kubernetes when left out), in mode host on each "
            + "task's node (required).")
    @Min(MIN_PORT)
    @Max(MAX_PORT)
    private Integer publishedPort;

    @JsonPropertyDescription("tcp (default) or udp (--publish protocol=).")
    @Default("tcp")
    private PortProtocol protocol;

    @JsonPropertyDescription("ingress (default): every node routes the port to the service's tasks; host: the port is "
            + "bound on each task's node, to that task only (--publish mode=).")
    @Default("ingress")
    private PublishMode mode;

    public PublishedPort() {
    }

    public PublishedPort(Integer targetPort, Integer publishedPort, PortProtocol protocol, PublishMode mode) {
        this.targetPort = targetPort;
        this.publishedPort = publishedPort;
        this.protocol = protocol;
        this.mode = mode;
    }

    public Integer getTargetPort() { return targetPort; }
    public void setTargetPort(Integer targetPort) { this.targetPort = targetPort; }
    public Integer getPublishedPort() { return publishedPort; }
    public void setPublishedPort(Integer publishedPort) { this.publishedPort = publishedPort; }
    public PortProtocol getProtocol() { return protocol; }
    public void setProtocol(PortProtocol protocol) { this.protocol = protocol; }
    public PublishMode getMode() { return mode; }
    public void setMode(PublishMode mode) { this.mode = mode; }

    /** The protocol, with the schema default applied for objects that bypassed defaulting. */
    public PortProtocol effectiveProtocol() {
        return protocol == null ? PortProtocol.TCP : protocol;
    }

    public PublishMode effectiveMode() {
        return mode == null ? PublishMode.INGRESS : mode;
    }
}

package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.ArrayList;
import java.util.List;

/** What the user asks for: docker service create's mode, replicas, networks, endpoint mode, published ports, update and rollback policy. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.replicas) || self.mode == 'replicated'",
        message = "spec.replicas can only be set when spec.mode is replicated; a global service runs one task per eligible node",
        reason = "FieldValueForbidden", fieldPath = ".replicas")
public class SwarmServiceSpec {

    /** Replicas of a replicated service that leaves {@code replicas} out, as docker service create. */
    public static final int DEFAULT_REPLICAS = 1;
    /** Most entries in spec.publish (the schema's bound keeps its duplicate rule cheap for the API server). */
    public static final int PUBLISH_MAX = 64;

    @JsonPropertyDescription("replicated (default): a fixed number of tasks; global: one task on every node the template's "
            + "nodeSelector and tolerations allow.")
    @Default("replicated")
    private ServiceMode mode;

    @JsonPropertyDescription("Number of tasks of a replicated service (default 1); not allowed for global services. "
            + "kubectl scale changes it, as docker service scale.")
    @Min(0)
    @SpecReplicas
    private Integer replicas;

    @JsonPropertyDescription("Pod template of every task, as in a Deployment.")
    @Required
    private PodTemplateSpec template;

    @JsonPropertyDescription("Overlay networks the tasks attach to, each by name (and namespace, for a network another namespace "
            + "shares) with optional aliases.")
    @Required
    @Size(min = 1, max = 32)
    // "namespace" is a CEL reserved word: Kubernetes offers the field to rules as __namespace__
    @ValidationRule(value = "self.all(a, self.exists_one(b, b.name == a.name"
            + " && (has(b.__namespace__) ? b.__namespace__ : '') == (has(a.__namespace__) ? a.__namespace__ : '')))",
            message = "spec.networks lists a network more than once; list each network once and put every alias on that entry")
    private List<NetworkAttachment> networks = new ArrayList<>();

    @JsonPropertyDescription("vip (default): one virtual IP per network, load-balanced over ready tasks; dnsrr: no virtual IP, "
            + "the service name resolves to the task addresses.")
    @Default("vip")
    private EndpointMode endpointMode;

    @JsonPropertyDescription("Ports published outside the cluster (docker service create --publish): ingress ports on "
            + "every node through a NodePort Service the operator owns, host ports on each task's node.")
    @Size(max = PUBLISH_MAX)
    @ValidationRule(value = "self.all(a, !has(a.publishedPort) || self.exists_one(b, has(b.publishedPort)"
            + " && b.publishedPort == a.publishedPort && b.protocol == a.protocol))",
            message = "spec.publish lists a publishedPort more than once for the same protocol; a port can be published"
                    + " once per protocol: remove the duplicate or give it another publishedPort")
    private List<PublishedPort> publish = new ArrayList<>();

    @JsonPropertyDescription("How template changes roll over the tasks, and what happens when new tasks fail.")
    private UpdateConfig updateConfig;

    @JsonPropertyDescription("How a rollback to the previous template rolls over the tasks (after updateConfig.failureAction "
            + "rollback, or when asked with the swarmnet.io/rollback annotation).")
    private RollbackConfig rollbackConfig;

    public ServiceMode getMode() { return mode; }
    public void setMode(ServiceMode mode) { this.mode = mode; }
    public Integer getReplicas() { return replicas; }
    public void setReplicas(Integer replicas) { this.replicas = replicas; }
    public PodTemplateSpec getTemplate() { return template; }
    public void setTemplate(PodTemplateSpec template) { this.template = template; }
    public List<NetworkAttachment> getNetworks() { return networks; }
    public void setNetworks(List<NetworkAttachment> networks) { this.networks = networks; }
    public EndpointMode getEndpointMode() { return endpointMode; }
    public void setEndpointMode(EndpointMode endpointMode) { this.endpointMode = endpointMode; }
    public List<PublishedPort> getPublish() { return publish; }
    public void setPublish(List<PublishedPort> publish) { this.publish = publish; }
    public UpdateConfig getUpdateConfig() { return updateConfig; }
    public void setUpdateConfig(UpdateConfig updateConfig) { this.updateConfig = updateConfig; }
    public RollbackConfig getRollbackConfig() { return rollbackConfig; }
    public void setRollbackConfig(RollbackConfig rollbackConfig) { this.rollbackConfig = rollbackConfig; }

    /** The mode, with the schema default applied for objects that bypassed defaulting. */
    public ServiceMode effectiveMode() {
        return mode == null ? ServiceMode.REPLICATED : mode;
    }

    public EndpointMode effectiveEndpointMode() {
        return endpointMode == null ? EndpointMode.VIP : endpointMode;
    }

    public int effectiveReplicas() {
        return replicas == null ? DEFAULT_REPLICAS : replicas;
    }
}

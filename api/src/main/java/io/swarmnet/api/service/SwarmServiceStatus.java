package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;

/** What docker service ps and docker service inspect show: tasks, nodes, states, addresses, virtual IPs. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SwarmServiceStatus {

    @JsonPropertyDescription("Tasks that exist (desired running).")
    @StatusReplicas
    private Integer replicas;
    @JsonPropertyDescription("Tasks that are running, attached to all their networks and ready.")
    private Integer readyReplicas;
    @JsonPropertyDescription("Ready tasks over desired tasks, e.g. 3/3.")
    private String tasksReady;
    @JsonPropertyDescription("Names of the networks the service is attached to, comma-separated (<namespace>/<name> for a network of another namespace).")
    private String networkNames;
    @JsonPropertyDescription("Label selector of the service's task pods (for the scale subresource).")
    @LabelSelector
    private String selector;
    @JsonPropertyDescription("The service's virtual IP on each network (none in dnsrr endpoint mode).")
    private List<VirtualIP> virtualIPs = new ArrayList<>();
    @JsonPropertyDescription("The published ports in effect (docker service inspect's Endpoint.Ports): mode, protocol, "
            + "target port and the published port, allocated ones included.")
    private List<EndpointPort> endpoints = new ArrayList<>();
    @JsonPropertyDescription("Every task: name, slot, node, state and address on each network.")
    private List<TaskStatus> tasks = new ArrayList<>();
    @JsonPropertyDescription("Tasks that ended or were removed, newest first, at most four per slot: with the slot's current task "
            + "the five docker service ps shows by default.")
    private List<TaskStatus> taskHistory = new ArrayList<>();
    @JsonPropertyDescription("Where the last template change stands (docker service inspect's UpdateStatus); absent until the "
            + "template first changes.")
    private UpdateStatus updateStatus;
    @JsonPropertyDescription("The template the tasks run or are being moved to: spec.template, or after a rollback the "
            + "template rolled back to.")
    private TemplateRevision currentTemplate;
    @JsonPropertyDescription("The template before the last update (docker service inspect's PreviousSpec): what a rollback "
            + "returns to.")
    private TemplateRevision previousTemplate;
    @JsonPropertyDescription("The last value of the swarmnet.io/rollback annotation the operator acted on.")
    private String handledRollback;
    @JsonPropertyDescription("Ready, Progressing and Degraded conditions; Published when the service publishes ports.")
    private List<Condition> conditions = new ArrayList<>();
    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    public Integer getReplicas() { return replicas; }
    public void setReplicas(Integer replicas) { this.replicas = replicas; }
    public Integer getReadyReplicas() { return readyReplicas; }
    public void setReadyReplicas(Integer readyReplicas) { this.readyReplicas = readyReplicas; }
    public String getTasksReady() { return tasksReady; }
    public void setTasksReady(String tasksReady) { this.tasksReady = tasksReady; }
    public String getNetworkNames() { return networkNames; }
    public void setNetworkNames(String networkNames) { this.networkNames = networkNames; }
    public String getSelector() { return selector; }
    public void setSelector(String selector) { this.selector = selector; }
    public List<VirtualIP> getVirtualIPs() { return virtualIPs; }
    public void setVirtualIPs(List<VirtualIP> virtualIPs) { this.virtualIPs = virtualIPs; }
    public List<EndpointPort> getEndpoints() { return endpoints; }
    public void setEndpoints(List<EndpointPort> endpoints) { this.endpoints = endpoints; }
    public List<TaskStatus> getTasks() { return tasks; }
    public void setTasks(List<TaskStatus> tasks) { this.tasks = tasks; }
    public List<TaskStatus> getTaskHistory() { return taskHistory; }
    public void setTaskHistory(List<TaskStatus> taskHistory) { this.taskHistory = taskHistory; }
    public UpdateStatus getUpdateStatus() { return updateStatus; }
    public void setUpdateStatus(UpdateStatus updateStatus) { this.updateStatus = updateStatus; }
    public TemplateRevision getCurrentTemplate() { return currentTemplate; }
    public void setCurrentTemplate(TemplateRevision currentTemplate) { this.currentTemplate = currentTemplate; }
    public TemplateRevision getPreviousTemplate() { return previousTemplate; }
    public void setPreviousTemplate(TemplateRevision previousTemplate) { this.previousTemplate = previousTemplate; }
    public String getHandledRollback() { return handledRollback; }
    public void setHandledRollback(String handledRollback) { this.handledRollback = handledRollback; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
}

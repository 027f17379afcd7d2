package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** One row of docker service ps. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TaskStatus {

    @JsonPropertyDescription("Task (pod) name, <service>-<slot>-<suffix>.")
    private String name;
    @JsonPropertyDescription("Task slot (1-based for replicated services; global services have one task per node and no slot number).")
    private Integer slot;
    @JsonPropertyDescription("Node the task runs on; empty while not yet scheduled.")
    private String node;
    @JsonPropertyDescription("Pending, Running, Ready, Failed or Terminating; in taskHistory Failed or Shutdown.")
    private String state;
    @JsonPropertyDescription("Why the task is in its state, when that is not obvious.")
    private String message;
    @JsonPropertyDescription("The task's address and MAC on each network.")
    private List<TaskAddress> addresses = new ArrayList<>();
    @JsonPropertyDescription("Hash of the template the task was created from (its swarmnet.io/template-hash label).")
    private String templateHash;
    @JsonPropertyDescription("In taskHistory: when the operator saw the task end or removed it.")
    private String endedAt;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public Integer getSlot() { return slot; }
    public void setSlot(Integer slot) { this.slot = slot; }
    public String getNode() { return node; }
    public void setNode(String node) { this.node = node; }
    public String getState() { return state; }
    public void setState(String state) { this.state = state; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public List<TaskAddress> getAddresses() { return addresses; }
    public void setAddresses(List<TaskAddress> addresses) { this.addresses = addresses; }
    public String getTemplateHash() { return templateHash; }
    public void setTemplateHash(String templateHash) { this.templateHash = templateHash; }
    public String getEndedAt() { return endedAt; }
    public void setEndedAt(String endedAt) { this.endedAt = endedAt; }
}

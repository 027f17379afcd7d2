package io.swarmnet.api.network;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator allocated and what the nodes report; the status subresource. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OverlayNetworkStatus {

    @JsonPropertyDescription("The subnet in use (given or allocated).")
    private String subnet;
    @JsonPropertyDescription("The gateway address in use; held by the bridge of the network on every node that carries it.")
    private String gateway;
    @JsonPropertyDescription("The VXLAN network identifier in use.")
    private Integer vxlanId;
    @JsonPropertyDescription("Range from which task addresses and virtual IPs are allocated.")
    private String ipRange;
    @JsonPropertyDescription("Nodes that currently carry the network (a network extends only to nodes running a task attached to it).")
    private List<NetworkNodeStatus> nodes = new ArrayList<>();
    @JsonPropertyDescription("Number of nodes that carry the network.")
    private Integer nodeCount;
    @JsonPropertyDescription("SwarmServices attached to the network (<namespace>/<name> for one of another namespace); while any remain, deletion waits.")
    private List<String> attachedServices = new ArrayList<>();
    @JsonPropertyDescription("Addresses of the range in use (gateway, virtual IPs and tasks) and in total.")
    private String addressUsage;
    @JsonPropertyDescription("Ready, Encrypted, Degraded, OutsideClusterRanges and, for a network shared with other namespaces, Shared conditions.")
    private List<Condition> conditions = new ArrayList<>();
    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    public String getSubnet() { return subnet; }
    public void setSubnet(String subnet) { this.subnet = subnet; }
    public String getGateway() { return gateway; }
    public void setGateway(String gateway) { this.gateway = gateway; }
    public Integer getVxlanId() { return vxlanId; }
    public void setVxlanId(Integer vxlanId) { this.vxlanId = vxlanId; }
    public String getIpRange() { return ipRange; }
    public void setIpRange(String ipRange) { this.ipRange = ipRange; }
    public List<NetworkNodeStatus> getNodes() { return nodes; }
    public void setNodes(List<NetworkNodeStatus> nodes) { this.nodes = nodes; }
    public Integer getNodeCount() { return nodeCount; }
    public void setNodeCount(Integer nodeCount) { this.nodeCount = nodeCount; }
    public List<String> getAttachedServices() { return attachedServices; }
    public void setAttachedServices(List<String> attachedServices) { this.attachedServices = attachedServices; }
    public String getAddressUsage() { return addressUsage; }
    public void setAddressUsage(String addressUsage) { this.addressUsage = addressUsage; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
}

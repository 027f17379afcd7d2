package io.swarmnet.api.network;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One node's view of a network, as its node agent reports it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NetworkNodeStatus {

    @JsonPropertyDescription("Node name.")
    private String name;
    @JsonPropertyDescription("Tasks attached to the network on this node.")
    private Integer localTasks;
    @JsonPropertyDescription("Other nodes this node has VXLAN peer entries for.")
    private Integer peers;
    @JsonPropertyDescription("Encryption state on this node: NotRequested, Established, or Failed.")
    private String encryption;
    @JsonPropertyDescription("How this node encrypts the network: Kernel (IPsec ESP-in-UDP in the node's kernel) or Userspace (the node agent's ESP-in-UDP datapath over a TUN device, used where the kernel has no ESP); absent for plain networks.")
    private String encryptionMode;
    @JsonPropertyDescription("Why the node's datapath for the network is not as desired, if it is not.")
    private String message;

    public NetworkNodeStatus() {
    }

    public NetworkNodeStatus(String name, Integer localTasks, Integer peers, String encryption, String message) {
        this(name, localTasks, peers, encryption, null, message);
    }

    public NetworkNodeStatus(String name, Integer localTasks, Integer peers, String encryption, String encryptionMode, String message) {
        this.name = name;
        this.localTasks = localTasks;
        this.peers = peers;
        this.encryption = encryption;
        this.encryptionMode = encryptionMode;
        this.message = message;
    }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public Integer getLocalTasks() { return localTasks; }
    public void setLocalTasks(Integer localTasks) { this.localTasks = localTasks; }
    public Integer getPeers() { return peers; }
    public void setPeers(Integer peers) { this.peers = peers; }
    public String getEncryption() { return encryption; }
    public void setEncryption(String encryption) { this.encryption = encryption; }
    public String getEncryptionMode() { return encryptionMode; }
    public void setEncryptionMode(String encryptionMode) { this.encryptionMode = encryptionMode; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
}

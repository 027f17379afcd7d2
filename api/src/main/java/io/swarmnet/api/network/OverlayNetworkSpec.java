package io.swarmnet.api.network;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.swarmnet.api.net.Vni;

/** What the user asks for; every field optional, as with {@code docker network create}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.gateway) || (has(self.subnet) && cidr(self.subnet).containsIP(self.gateway))",
        message = "spec.gateway must be an address inside spec.subnet (and spec.subnet must be set when spec.gateway is)",
        reason = "FieldValueInvalid", fieldPath = ".gateway")
@ValidationRule(value = "!has(self.ipRange) || (has(self.subnet) && cidr(self.subnet).containsCIDR(self.ipRange))",
        message = "spec.ipRange must be a CIDR inside spec.subnet (and spec.subnet must be set when spec.ipRange is)",
        reason = "FieldValueInvalid", fieldPath = ".ipRange")
@ValidationRule(value = "!has(self.subnet) || cidr(self.subnet).prefixLength() <= 29",
        message = "spec.subnet must be /29 or larger: a network needs a gateway, a virtual IP and task addresses",
        reason = "FieldValueInvalid", fieldPath = ".subnet")
public class OverlayNetworkSpec {

    /** Dotted-quad IPv4 followed by a prefix length 0..32. */
    public static final String CIDR_PATTERN =
            "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(3[0-2]|[12][0-9]|[0-9])$";
    public static final String IP_PATTERN =
            "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$";

    @JsonPropertyDescription("IPv4 subnet of the network in CIDR notation, e.g. 10.0.9.0/24 (docker network create --subnet). "
            + "Left out, the operator picks a free one from its address pools that overlaps no other network and no excluded range. "
            + "Fixed once the network is created.")
    @Pattern(CIDR_PATTERN)
    @Size(max = 18)
    @ValidationRule(value = "self == oldSelf", message = "spec.subnet cannot be changed; create a new network instead")
    private String subnet;

    @JsonPropertyDescription("IPv4 gateway address inside the subnet (docker network create --gateway). Defaults to the first address of the subnet.")
    @Pattern(IP_PATTERN)
    @Size(max = 15)
    @ValidationRule(value = "self == oldSelf", message = "spec.gateway cannot be changed; create a new network instead")
    private String gateway;

    @JsonPropertyDescription("Sub-range of the subnet, in CIDR notation, from which task addresses and virtual IPs are allocated "
            + "(docker network create --ip-range). Defaults to the whole subnet.")
    @Pattern(CIDR_PATTERN)
    @Size(max = 18)
    private String ipRange;

    @JsonPropertyDescription("Encrypt VXLAN traffic between nodes with IPsec ESP (AES-GCM), as docker network create --opt encrypted.")
    @Default("false")
    @ValidationRule(value = "self == oldSelf", message = "spec.encrypted cannot be changed; create a new network instead")
    private Boolean encrypted;

    @JsonPropertyDescription("Restrict external access to the network, as docker network create --internal: tasks reach each other "
            + "and the network's virtual IPs over it, but no task forwards traffic between it and anything else, so a route through "
            + "the network (added by hand or by another component) leads nowhere outside it. The pod's own Kubernetes network is "
            + "untouched. May be changed on a live network: running tasks switch without losing their connections on it.")
    private Boolean internal;

    @JsonPropertyDescription("Let pods that are not tasks of a SwarmService join the network, as docker network create --attachable: "
            + "any pod of the network's namespace (a Deployment's, a StatefulSet's, a Job's) that names the network in its annotation "
            + "swarmnet.io/networks gets an address on it, the embedded resolver, the network's virtual IPs and names, and a name of "
            + "its own there. Left out or false, only SwarmService tasks attach.")
    private Boolean attachable;

    @JsonPropertyDescription("Share the network with other namespaces, as every stack of a swarm can join one network (e.g. a "
            + "proxy network): SwarmServices (spec.networks[].namespace) and attachable pods (annotation swarmnet.io/networks: "
            + "<namespace>/<name>) of the namespaces namespaceSelector selects may attach, with addresses from this network's "
            + "range, and resolve and are resolved by name on it like this namespace's own. Left out, only this namespace's "
            + "services and pods attach. Narrowing it refuses new tasks and pods of namespaces no longer selected, those running "
            + "stay attached; removing it detaches every other namespace's tasks and pods at once.")
    private NetworkSharing shareWith;

    @JsonPropertyDescription("VXLAN network identifier (" + Vni.MIN + ".." + Vni.MAX + "), any one no other network holds. Left out, "
            + "the operator assigns the lowest free one of its automatic range (chart value network.vxlanIdRange, default "
            + "1048576-16777215, clear of the ids Calico, flannel and Cilium use).")
    @Min(Vni.MIN)
    @Max(Vni.MAX)
    @ValidationRule(value = "self == oldSelf", message = "spec.vxlanId cannot be changed; create a new network instead")
    private Integer vxlanId;

    @JsonPropertyDescription("MTU of the overlay interfaces in tasks (" + OverlayMtu.RANGE + "). Left out, each node "
            + "derives it from its underlay interface MTU minus the VXLAN overhead (" + OverlayMtu.VXLAN_OVERHEAD + " bytes) and, on "
            + "encrypted networks, the ESP overhead.")
    @Min(OverlayMtu.MIN)
    @Max(OverlayMtu.MAX)
    private Integer mtu;


    public String getSubnet() { return subnet; }
    public void setSubnet(String subnet) { this.subnet = subnet; }
    public String getGateway() { return gateway; }
    public void setGateway(String gateway) { this.gateway = gateway; }
    public String getIpRange() { return ipRange; }
    public void setIpRange(String ipRange) { this.ipRange = ipRange; }
    public Boolean getEncrypted() { return encrypted; }
    public void setEncrypted(Boolean encrypted) { this.encrypted = encrypted; }
    public Boolean getInternal() { return internal; }
    public void setInternal(Boolean internal) { this.internal = internal; }
    public Boolean getAttachable() { return attachable; }
    public void setAttachable(Boolean attachable) { this.attachable = attachable; }
    public NetworkSharing getShareWith() { return shareWith; }
    public void setShareWith(NetworkSharing shareWith) { this.shareWith = shareWith; }
    public Integer getVxlanId() { return vxlanId; }
    public void setVxlanId(Integer vxlanId) { this.vxlanId = vxlanId; }
    public Integer getMtu() { return mtu; }
    public void setMtu(Integer mtu) { this.mtu = mtu; }

    public boolean isEncrypted() {
        return Boolean.TRUE.equals(encrypted);
    }

    public boolean isInternal() {
        return Boolean.TRUE.equals(internal);
    }

    public boolean isAttachable() {
        return Boolean.TRUE.equals(attachable);
    }
}

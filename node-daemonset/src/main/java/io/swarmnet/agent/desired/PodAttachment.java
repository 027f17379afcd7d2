package io.swarmnet.agent.desired;

import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;

/**
 * One interface of a local task on one network, {@code interfaceName} in the pod with {@code address/prefixLength} and
 * {@code mac}: a macvlan child of the network's VXLAN device, or a veth whose other end sits on the network's bridge
 * ({@link io.swarmnet.agent.datapath.PodAttachmentMode}).
 */
public record PodAttachment(NetworkKey network, String interfaceName, IpAddress address, int prefixLength, MacAddress mac, int mtu) {
}

package io.swarmnet.agent.desired;

import io.swarmnet.api.net.IpAddress;

/**
 * What the agent knows about its own node that the cluster does not say.
 *
 * @param nodeName        the Node object's name
 * @param underlayAddress the address VXLAN packets leave from (the node's InternalIP); pinned as the VXLAN local address
 * @param underlayMtu     MTU of the interface holding {@code underlayAddress}; overlay MTUs derive from it
 */
public record NodeFacts(String nodeName, IpAddress underlayAddress, int underlayMtu) {
}

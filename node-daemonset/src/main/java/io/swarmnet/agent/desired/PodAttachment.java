package io.swarmnet.agent.desired;

import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;

/**
 * One interface of a local task on one network: a veth whose pod end is {@code interfaceName} with
 * {@code address/prefixLength} and {@code mac}, and whose other end sits on the network's bridge.
 */
public record PodAttachment(NetworkKey network, String interfaceName, IpAddress address, int prefixLength, MacAddress mac, int mtu) {
}

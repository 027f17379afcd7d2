package io.swarmnet.agent.desired;

import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;

/** A task of the network on another node: one static FDB entry (mac → vtep) and one neighbour entry (address → mac). */
public record RemoteEndpoint(IpAddress address, MacAddress mac, IpAddress vtep) {
}

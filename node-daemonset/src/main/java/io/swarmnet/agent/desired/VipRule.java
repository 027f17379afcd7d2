package io.swarmnet.agent.desired;

import io.swarmnet.api.net.IpAddress;
import java.util.List;

/**
 * A service's virtual IP as seen from one pod: traffic to {@code vip} (any protocol, any port) is DNATed
 * round-robin to one of {@code backends}, the service's ready task addresses on that network (sorted).
 * No backends means connections to the VIP are refused rather than left hanging.
 */
public record VipRule(String service, NetworkKey network, IpAddress vip, List<IpAddress> backends) {

    public VipRule {
        backends = List.copyOf(backends);
    }
}

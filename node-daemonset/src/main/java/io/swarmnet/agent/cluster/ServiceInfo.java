package io.swarmnet.agent.cluster;

import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.EndpointMode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A SwarmService as the agent needs it.
 *
 * @param networks   spec.networks in the user's order (interface names follow it)
 * @param virtualIps status.virtualIPs by network as the service's namespace records it (empty in dnsrr mode)
 */
public record ServiceInfo(ServiceKey key, EndpointMode endpointMode, List<ServiceNetwork> networks,
        Map<String, IpAddress> virtualIps) {

    public ServiceInfo {
        networks = List.copyOf(networks);
        virtualIps = Map.copyOf(virtualIps);
    }

    public String name() {
        return key.name();
    }

    /** Position of {@code network} in spec.networks, or -1. */
    public int indexOf(String network) {
        for (int i = 0; i < networks.size(); i++) {
            if (networks.get(i).network().equals(network)) {
                return i;
            }
        }
        return -1;
    }

    public Optional<ServiceNetwork> network(String network) {
        int i = indexOf(network);
        return i < 0 ? Optional.empty() : Optional.of(networks.get(i));
    }
}

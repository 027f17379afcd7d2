package io.swarmnet.agent.dns;

import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.EndpointMode;
import java.util.List;
import java.util.Map;

/**
 * What the resolver needs to know of one service.
 *
 * @param networks names of the networks the service is attached to
 * @param vips    virtual IP per network name (empty in dnsrr mode)
 * @param aliases extra names per network name
 * @param tasks   the service's ready tasks, one entry per task and network
 */
public record ServiceEndpoints(String namespace, String name, EndpointMode mode, java.util.Set<String> networks, Map<String, IpAddress> vips,
        Map<String, List<String>> aliases, List<TaskEndpoint> tasks) {

    public ServiceEndpoints {
        networks = java.util.Set.copyOf(networks);
        vips = Map.copyOf(vips);
        aliases = Map.copyOf(aliases);
        tasks = List.copyOf(tasks);
    }

    /** A ready task's address on one network; {@code name} is the task (pod) name. */
    public record TaskEndpoint(String name, String network, IpAddress address) {
    }
}

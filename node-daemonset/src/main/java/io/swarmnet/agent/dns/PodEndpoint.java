package io.swarmnet.agent.dns;

import io.swarmnet.api.net.IpAddress;
import java.util.List;

/**
 * A ready pod that is no task, on one attachable network: the resolver answers its own name and its aliases there, as
 * Docker's resolver answers a container attached with {@code docker network connect --alias}.
 *
 * @param name    the pod name
 * @param aliases the pod's extra names on that network (annotation swarmnet.io/networks, as the operator recorded it)
 */
public record PodEndpoint(String namespace, String name, String network, IpAddress address, List<String> aliases) {

    public PodEndpoint {
        aliases = List.copyOf(aliases);
    }
}

package io.swarmnet.agent.cluster;

import java.util.List;

/**
 * One entry of a SwarmService's spec.networks: the network as the service's namespace records it (its name, or
 * {@code namespace/name} for a network another namespace shares; {@link io.swarmnet.agent.desired.NetworkKey#resolve}) and
 * the service's DNS aliases there.
 */
public record ServiceNetwork(String network, List<String> aliases) {

    public ServiceNetwork {
        aliases = List.copyOf(aliases);
    }
}

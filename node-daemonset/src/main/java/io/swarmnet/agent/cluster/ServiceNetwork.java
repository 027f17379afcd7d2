package io.swarmnet.agent.cluster;

import java.util.List;

/** One entry of a SwarmService's spec.networks: the network name (same namespace) and its DNS aliases there. */
public record ServiceNetwork(String network, List<String> aliases) {

    public ServiceNetwork {
        aliases = List.copyOf(aliases);
    }
}

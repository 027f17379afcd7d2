package io.swarmnet.agent.datapath;

import java.util.Map;

/**
 * What the kernel holds in one pod's network namespace.
 *
 * @param namespace  where the pod's namespace was found
 * @param links      every device in the pod (ours are recognised by their alias)
 * @param vips       our nftables table, or {@link VipTable#ABSENT}
 * @param generation the namespace's nftables ruleset generation at which {@code vips} is what the kernel holds (read
 *                   before listing it, or the one it was known at), or {@link NftGeneration#UNKNOWN}
 */
public record PodNamespaceState(NetNamespace namespace, Map<String, LinkState> links, VipTable vips, NftGeneration generation) {

    public PodNamespaceState {
        links = Map.copyOf(links);
    }

    /** A state whose table's generation is not known (every commit then counts as someone else's). */
    public PodNamespaceState(NetNamespace namespace, Map<String, LinkState> links, VipTable vips) {
        this(namespace, links, vips, NftGeneration.UNKNOWN);
    }
}

package io.swarmnet.agent.datapath;

import java.util.Map;

/**
 * What the kernel holds in one pod's network namespace.
 *
 * @param namespace where the pod's namespace was found
 * @param links     every device in the pod (ours are recognised by their alias)
 * @param vips      our nftables table, or {@link VipTable#ABSENT}
 */
public record PodNamespaceState(NetNamespace namespace, Map<String, LinkState> links, VipTable vips) {

    public PodNamespaceState {
        links = Map.copyOf(links);
    }
}

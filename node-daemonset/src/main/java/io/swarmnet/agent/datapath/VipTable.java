package io.swarmnet.agent.datapath;

import io.swarmnet.api.net.IpAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Our nftables table in one pod, reduced to what the VIP load balancer decides on.
 *
 * @param present     the table exists
 * @param skeleton    the fixed part (verdict map, refused set, hooked chains and their rules) is exactly ours
 * @param balanced    VIPs in the verdict map with the backends of their map, in numgen order
 * @param modulus     per balanced VIP, the modulus of its numgen rule (0 when the rule is missing or unreadable)
 * @param refused     VIPs without backends, in the refused set
 * @param chains      per-VIP chains present (names), to delete leftovers
 * @param maps        per-VIP backend maps present (names), to delete leftovers
 */
public record VipTable(boolean present, boolean skeleton, Map<IpAddress, List<IpAddress>> balanced, Map<IpAddress, Integer> modulus,
        Set<IpAddress> refused, Set<String> chains, Set<String> maps) {

    public static final VipTable ABSENT = new VipTable(false, false, Map.of(), Map.of(), Set.of(), Set.of(), Set.of());

    public VipTable {
        balanced = Map.copyOf(balanced);
        modulus = Map.copyOf(modulus);
        refused = Set.copyOf(refused);
        chains = Set.copyOf(chains);
        maps = Set.copyOf(maps);
    }
}

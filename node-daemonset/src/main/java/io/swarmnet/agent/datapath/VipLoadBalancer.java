package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.VipRule;
import io.swarmnet.api.net.IpAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides the nftables transaction that brings one pod's VIP table from what the kernel has to what it should
 * have. Layout (one table per attached pod, in the pod's own namespace, so backends see the real client address):
 *
 * <pre>
 * table ip PREFIX_vip {
 *   map vips     { type ipv4_addr : verdict }          VIP → jump v_VIP   (only VIPs with backends)
 *   set refused  { type ipv4_addr }                    VIPs without backends: connections are refused, not left hanging
 *   chain prerouting / output (nat)   ip daddr vmap @vips
 *   chain refuse (filter output)      ip daddr @refused reject
 *   chain isolate (filter forward)    iifgroup INTERNAL_GROUP drop; oifgroup INTERNAL_GROUP drop
 *   chain v_VIP                       dnat to numgen inc mod N map @b_VIP
 *   map b_VIP    { typeof numgen inc mod N : ip daddr } 0 → backend0, 1 → backend1, ...
 * }
 * </pre>
 *
 * The modulus in force is the rule's: when the number of backends changes, the map is refilled and the rule
 * replaced, and the map keeps the modulus it was declared with (a declaration only names the key's type).
 *
 * A packet costs one verdict-map lookup whatever the number of services, and a backend change touches only that
 * service's map (and its rule when N changes): a transaction of a few lines, applied atomically.
 *
 * <p>The {@code isolate} chain is what makes a network internal: the planner puts a pod's interface on an internal
 * network into {@link KernelNames#INTERNAL_GROUP}, and the pod then routes nothing into or out of it. The chain is
 * the same in every pod, so whether a pod is on an internal network lives in its devices alone, and a pod keeps the
 * table (with the chain) for as long as it is attached, VIPs or not.
 */
public final class VipLoadBalancer {

    private final KernelNames names;
    private final String table;
    private final boolean nat;

    public VipLoadBalancer(KernelNames names) {
        this(names, VipBalancing.NFT);
    }

    /**
     * Balanced {@link VipBalancing#SOCKET at the socket}, the table has no NAT chains and holds only the VIPs without
     * backends (refused); the VIPs with backends are the socket load balancer's.
     */
    public VipLoadBalancer(KernelNames names, VipBalancing balancing) {
        this.names = names;
        this.table = "ip " + names.vipTable();
        this.nat = balancing.layout() == VipBalancing.NFT;
    }

    /** Of {@code desired}, what this table holds: every VIP balanced by NAT, only those without backends at the socket. */
    private Map<IpAddress, List<IpAddress>> held(Map<IpAddress, List<IpAddress>> desired) {
        if (nat || desired.values().stream().allMatch(List::isEmpty)) {
            return desired;
        }
        Map<IpAddress, List<IpAddress>> refusedOnly = new java.util.HashMap<>();
        desired.forEach((vip, backends) -> {
            if (backends.isEmpty()) {
                refusedOnly.put(vip, backends);
            }
        });
        return refusedOnly;
    }

    /**
     * The lines of one {@code nft -f -} transaction for an attached pod (with or without VIPs); empty when the kernel
     * already matches.
     */
    public List<String> transaction(Map<IpAddress, List<IpAddress>> wanted, VipTable actual) {
        Map<IpAddress, List<IpAddress>> desired = held(wanted);
        List<String> lines = new ArrayList<>();
        if (!actual.present() || !actual.skeleton()) {
            if (actual.present()) {
                // someone changed the fixed part of our table: rebuild it whole, in the same atomic transaction
                lines.add("delete table " + table);
            }
            addSkeleton(lines);
            desired.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> addVip(lines, e.getKey(), e.getValue(), false, false));
            return lines;
        }
        Set<String> keptChains = new HashSet<>();
        Set<String> keptMaps = new HashSet<>();
        Set<String> removedChains = new HashSet<>();
        Set<String> removedMaps = new HashSet<>();
        for (Map.Entry<IpAddress, List<IpAddress>> e : desired.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            IpAddress vip = e.getKey();
            List<IpAddress> backends = e.getValue();
            String chain = names.vipChain(vip);
            String map = names.backendMap(vip);
            if (backends.isEmpty()) {
                if (actual.balanced().containsKey(vip)) {
                    lines.add("delete element " + table + " vips { " + vip + " }");
                }
                removeVipObjects(lines, actual, chain, map);
                removedChains.add(chain);
                removedMaps.add(map);
                if (!actual.refused().contains(vip)) {
                    lines.add("add element " + table + " refused { " + vip + " }");
                }
                continue;
            }
            keptChains.add(chain);
            keptMaps.add(map);
            if (actual.refused().contains(vip)) {
                lines.add("delete element " + table + " refused { " + vip + " }");
            }
            List<IpAddress> current = actual.balanced().get(vip);
            if (current == null) {
                addVip(lines, vip, backends, actual.chains().contains(chain), actual.maps().contains(map));
            } else if (!current.equals(backends) || actual.modulus().getOrDefault(vip, 0) != backends.size()) {
                if (current.size() == backends.size() && actual.modulus().getOrDefault(vip, 0) == backends.size()) {
                    // same modulus: swapping the map's elements is enough
                    lines.add("flush map " + table + " " + map);
                    lines.add("add element " + table + " " + map + " " + elements(backends));
                } else {
                    // the balanced VIP's chain and map exist (the parser only reports consistent ones); the map keeps
                    // its declaration (any modulus' numbers are 32-bit integers), the rule carries the new modulus
                    lines.add("flush chain " + table + " " + chain);
                    lines.add("flush map " + table + " " + map);
                    lines.add("add element " + table + " " + map + " " + elements(backends));
                    lines.add(dnatRule(chain, map, backends.size()));
                }
            }
        }
        for (IpAddress vip : actual.balanced().keySet().stream().sorted().toList()) {
            if (!desired.containsKey(vip)) {
                lines.add("delete element " + table + " vips { " + vip + " }");
            }
        }
        for (IpAddress vip : actual.refused().stream().sorted().toList()) {
            if (!desired.containsKey(vip)) {
                lines.add("delete element " + table + " refused { " + vip + " }");
            }
        }
        // chains and maps of VIPs desired without backends were already removed in the loop above
        for (String chain : actual.chains().stream().sorted().toList()) {
            if (!keptChains.contains(chain) && !removedChains.contains(chain)) {
                lines.add("flush chain " + table + " " + chain);
                lines.add("delete chain " + table + " " + chain);
            }
        }
        for (String map : actual.maps().stream().sorted().toList()) {
            if (!keptMaps.contains(map) && !removedMaps.contains(map)) {
                lines.add("delete map " + table + " " + map);
            }
        }
        return lines;
    }

    /** The table a successful {@link #transaction} leaves behind: what reading the kernel would return. */
    public VipTable expected(Map<IpAddress, List<IpAddress>> wanted) {
        Map<IpAddress, List<IpAddress>> desired = held(wanted);
        Map<IpAddress, List<IpAddress>> balanced = new java.util.HashMap<>();
        Map<IpAddress, Integer> modulus = new java.util.HashMap<>();
        Set<IpAddress> refused = new HashSet<>();
        Set<String> chains = new HashSet<>();
        Set<String> maps = new HashSet<>();
        desired.forEach((vip, backends) -> {
            if (backends.isEmpty()) {
                refused.add(vip);
            } else {
                balanced.put(vip, backends);
                modulus.put(vip, backends.size());
                chains.add(names.vipChain(vip));
                maps.add(names.backendMap(vip));
            }
        });
        return new VipTable(true, true, balanced, modulus, refused, chains, maps);
    }

    /**
     * {@link #expected} of rules that give what {@code table}'s rules gave except for {@code vips}, whose backends are now
     * {@code changed} (a VIP without an entry there is gone): the other VIPs' parts are the table's as they are.
     */
    public VipTable expected(VipTable table, Set<IpAddress> vips, Map<IpAddress, List<IpAddress>> changed) {
        if (vips.isEmpty()) {
            return table;
        }
        VipTable part = expected(changed);
        List<String> chains = vips.stream().map(names::vipChain).toList();
        List<String> maps = vips.stream().map(names::backendMap).toList();
        return new VipTable(true, true, replaced(table.balanced(), vips, part.balanced()), replaced(table.modulus(), vips, part.modulus()),
                replaced(table.refused(), vips, part.refused()), replaced(table.chains(), chains, part.chains()),
                replaced(table.maps(), maps, part.maps()));
    }

    /** {@code whole} with the entries of {@code keys} as {@code part} has them; {@code whole} itself when they already are. */
    private static <K, V> Map<K, V> replaced(Map<K, V> whole, java.util.Collection<K> keys, Map<K, V> part) {
        if (keys.stream().allMatch(k -> java.util.Objects.equals(whole.get(k), part.get(k)))) {
            return whole;
        }
        Map<K, V> result = new java.util.HashMap<>(whole);
        keys.forEach(result::remove);
        result.putAll(part);
        return result;
    }

    /** {@code whole} with the members among {@code keys} as in {@code part}; {@code whole} itself when they already are. */
    private static <T> Set<T> replaced(Set<T> whole, java.util.Collection<T> keys, Set<T> part) {
        if (keys.stream().allMatch(k -> whole.contains(k) == part.contains(k))) {
            return whole;
        }
        Set<T> result = new HashSet<>(whole);
        keys.forEach(result::remove);
        result.addAll(part);
        return result;
    }

    /** What of {@code table} concerns {@code vips}: their elements, and the chains and maps named after them. */
    public VipTable only(VipTable table, Set<IpAddress> vips) {
        Map<IpAddress, List<IpAddress>> balanced = new java.util.HashMap<>();
        Map<IpAddress, Integer> modulus = new java.util.HashMap<>();
        Set<IpAddress> refused = new HashSet<>();
        Set<String> chains = new HashSet<>();
        Set<String> maps = new HashSet<>();
        for (IpAddress vip : vips) {
            List<IpAddress> backends = table.balanced().get(vip);
            if (backends != null) {
                balanced.put(vip, backends);
            }
            Integer n = table.modulus().get(vip);
            if (n != null) {
                modulus.put(vip, n);
            }
            if (table.refused().contains(vip)) {
                refused.add(vip);
            }
            if (table.chains().contains(names.vipChain(vip))) {
                chains.add(names.vipChain(vip));
            }
            if (table.maps().contains(names.backendMap(vip))) {
                maps.add(names.backendMap(vip));
            }
        }
        return new VipTable(table.present(), table.skeleton(), balanced, modulus, refused, chains, maps);
    }

    /** The transaction removing our table from a pod that is no longer attached (no longer ours to program). */
    public List<String> removal(VipTable actual) {
        return actual.present() ? List.of("delete table " + table) : List.of();
    }

    private void removeVipObjects(List<String> lines, VipTable actual, String chain, String map) {
        if (actual.chains().contains(chain)) {
            lines.add("flush chain " + table + " " + chain);
            lines.add("delete chain " + table + " " + chain);
        }
        if (actual.maps().contains(map)) {
            lines.add("delete map " + table + " " + map);
        }
    }

    private void addSkeleton(List<String> lines) {
        lines.add("add table " + table);
        lines.add("add map " + table + " vips { type ipv4_addr : verdict; }");
        lines.add("add set " + table + " refused { type ipv4_addr; }");
        if (nat) {
            lines.add("add chain " + table + " prerouting { type nat hook prerouting priority dstnat; }");
            // locally generated connections: the pod's own processes are the clients
            lines.add("add chain " + table + " output { type nat hook output priority -100; }");
        }
        lines.add("add chain " + table + " refuse { type filter hook output priority 0; }");
        lines.add("add chain " + table + " isolate { type filter hook forward priority 0; }");
        if (nat) {
            lines.add("add rule " + table + " prerouting ip daddr vmap @vips");
            lines.add("add rule " + table + " output ip daddr vmap @vips");
        }
        lines.add("add rule " + table + " refuse ip daddr @refused reject with tcp reset");
        lines.add("add rule " + table + " refuse ip daddr @refused reject");
        // both directions: out of an internal network (a route through a task) and into it (a task as a gateway)
        lines.add("add rule " + table + " isolate meta iifgroup " + KernelNames.INTERNAL_GROUP + " drop");
        lines.add("add rule " + table + " isolate meta oifgroup " + KernelNames.INTERNAL_GROUP + " drop");
    }

    private void addVip(List<String> lines, IpAddress vip, List<IpAddress> backends, boolean chainExists, boolean mapExists) {
        if (backends.isEmpty()) {
            lines.add("add element " + table + " refused { " + vip + " }");
            return;
        }
        String chain = names.vipChain(vip);
        String map = names.backendMap(vip);
        lines.add((chainExists ? "flush chain " : "add chain ") + table + " " + chain);
        if (mapExists) {
            lines.add("delete map " + table + " " + map);
        }
        lines.add(mapDeclaration(map, backends.size()));
        lines.add("add element " + table + " " + map + " " + elements(backends));
        lines.add(dnatRule(chain, map, backends.size()));
        lines.add("add element " + table + " vips { " + vip + " : jump " + chain + " }");
    }

    private String mapDeclaration(String map, int modulus) {
        return "add map " + table + " " + map + " { typeof numgen inc mod " + modulus + " : ip daddr; }";
    }

    private String dnatRule(String chain, String map, int modulus) {
        return "add rule " + table + " " + chain + " dnat to numgen inc mod " + modulus + " map @" + map;
    }

    private static String elements(List<IpAddress> backends) {
        StringBuilder sb = new StringBuilder("{ ");
        for (int i = 0; i < backends.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(i).append(" : ").append(backends.get(i));
        }
        return sb.append(" }").toString();
    }

    /** Desired VIP → backends for one pod; the caller has already resolved conflicting rules. */
    public static Map<IpAddress, List<IpAddress>> byVip(List<VipRule> rules) {
        return rules.stream().collect(Collectors.toMap(VipRule::vip, VipRule::backends, (a, b) -> a));
    }

    /** {@link #byVip} of the rules for {@code vips} alone (the first rule of each VIP counts, as there). */
    public static Map<IpAddress, List<IpAddress>> byVip(List<VipRule> rules, Set<IpAddress> vips) {
        Map<IpAddress, List<IpAddress>> chosen = new java.util.HashMap<>();
        for (VipRule rule : rules) {
            if (vips.contains(rule.vip())) {
                chosen.putIfAbsent(rule.vip(), rule.backends());
            }
        }
        return chosen;
    }

    /**
     * The VIPs whose backends {@link #byVip} may give differently for two rule lists of one pod: those of every position
     * where the lists differ (a superset: a rule that moved counts as changed). A backend change differs in one position
     * of a thousand, and this finds it without building either map.
     */
    public static Set<IpAddress> changedVips(List<VipRule> before, List<VipRule> after) {
        Set<IpAddress> changed = new HashSet<>();
        if (before == after) {
            return changed;
        }
        for (int i = 0; i < Math.max(before.size(), after.size()); i++) {
            VipRule was = i < before.size() ? before.get(i) : null;
            VipRule is = i < after.size() ? after.get(i) : null;
            if (was != is && (was == null || !was.equals(is))) {
                if (was != null) {
                    changed.add(was.vip());
                }
                if (is != null) {
                    changed.add(is.vip());
                }
            }
        }
        return changed;
    }
}

package io.swarmnet.agent.datapath;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Turns the JSON of {@code ip -j}, {@code bridge -j} and {@code nft -j} into state records. Pure. */
public final class KernelStateParser {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KernelNames names;
    private final VipBalancing balancing;

    public KernelStateParser(KernelNames names) {
        this(names, VipBalancing.DEFAULT);
    }

    /** {@code balancing}: the VIP table's fixed part is the one {@link VipLoadBalancer} writes for it. */
    public KernelStateParser(KernelNames names, VipBalancing balancing) {
        this.names = names;
        this.balancing = balancing.layout();
    }

    /** {@code ip -d -j addr show}: devices with their IPv4 addresses, by name. */
    public Map<String, LinkState> links(String json) {
        Map<String, LinkState> links = new LinkedHashMap<>();
        for (JsonNode link : parse(json, "ip -d -j addr show")) {
            String name = link.path("ifname").asText();
            if (name.isEmpty()) {
                continue;
            }
            boolean up = false;
            for (JsonNode flag : link.path("flags")) {
                up |= flag.asText().equals("UP");
            }
            JsonNode info = link.path("linkinfo");
            String kind = info.path("info_kind").asText("");
            LinkState.VxlanParameters vxlan = null;
            if (kind.equals("vxlan")) {
                JsonNode data = info.path("info_data");
                vxlan = new LinkState.VxlanParameters(data.path("id").asInt(),
                        data.hasNonNull("local") && IpAddress.isValid(data.path("local").asText())
                                ? IpAddress.parse(data.path("local").asText()) : null,
                        data.path("port").asInt(), data.path("learning").asBoolean(true), data.path("proxy").asBoolean(false));
            }
            LinkState.Macvlan macvlan = null;
            if (kind.equals("macvlan")) {
                macvlan = new LinkState.Macvlan(info.path("info_data").path("mode").asText(""),
                        link.hasNonNull("link") ? link.path("link").asText() : null, link.path("link_index").asInt(0));
            }
            List<LinkState.InterfaceAddress> addresses = new ArrayList<>();
            for (JsonNode a : link.path("addr_info")) {
                if (a.path("family").asText().equals("inet") && IpAddress.isValid(a.path("local").asText())) {
                    addresses.add(new LinkState.InterfaceAddress(IpAddress.parse(a.path("local").asText()), a.path("prefixlen").asInt()));
                }
            }
            MacAddress mac = null;
            String address = link.path("address").asText("");
            if (address.length() == 17) {
                mac = MacAddress.parse(address);
            }
            String alias = link.hasNonNull("ifalias") ? link.path("ifalias").asText() : null;
            String master = link.hasNonNull("master") ? link.path("master").asText() : null;
            links.put(name, new LinkState(name, kind, link.path("mtu").asInt(), up, master, mac, addresses, alias, vxlan,
                    group(link.path("group")), link.path("ifindex").asInt(0), macvlan));
        }
        return links;
    }

    /** {@code ip -j} prints a device group by its name from /etc/iproute2/group when it has one, else as a number. */
    private static int group(JsonNode group) {
        if (group.isMissingNode() || group.isNull() || group.asText().equals("default")) {
            return LinkState.DEFAULT_GROUP;
        }
        if (group.isIntegralNumber()) {
            return group.asInt();
        }
        try {
            return Integer.parseUnsignedInt(group.asText());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** {@code ip -j neigh show dev VXLAN nud permanent}: address → MAC. */
    public Map<IpAddress, MacAddress> neighbours(String json) {
        Map<IpAddress, MacAddress> neighbours = new TreeMap<>();
        for (JsonNode n : parse(json, "ip -j neigh show")) {
            String dst = n.path("dst").asText();
            String lladdr = n.path("lladdr").asText("");
            if (IpAddress.isValid(dst) && lladdr.length() == 17) {
                neighbours.put(IpAddress.parse(dst), MacAddress.parse(lladdr));
            }
        }
        return neighbours;
    }

    /** {@code bridge -j fdb show dev VXLAN}: the entries with a remote VTEP (MAC → VTEP). */
    public Map<MacAddress, IpAddress> fdb(String json) {
        Map<MacAddress, IpAddress> fdb = new HashMap<>();
        for (JsonNode e : parse(json, "bridge -j fdb show")) {
            String dst = e.path("dst").asText("");
            String mac = e.path("mac").asText("");
            if (IpAddress.isValid(dst) && mac.length() == 17 && !mac.equals("00:00:00:00:00:00")) {
                fdb.put(MacAddress.parse(mac), IpAddress.parse(dst));
            }
        }
        return fdb;
    }

    /** {@code nft -j list table ip PREFIX_vip}; empty output means the table does not exist. */
    public VipTable vipTable(String json) {
        if (json == null || json.isBlank()) {
            return VipTable.ABSENT;
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("nft -j list table " + names.vipTable() + " printed invalid JSON: " + e.getOriginalMessage());
        }
        boolean table = false;
        boolean vipsMap = false;
        boolean refusedSet = false;
        Map<String, String> hooks = new HashMap<>();
        Map<String, Integer> ruleCounts = new HashMap<>();
        Map<IpAddress, String> vipToChain = new HashMap<>();
        Set<IpAddress> refused = new HashSet<>();
        Map<String, List<IpAddress>> mapElements = new HashMap<>();
        Map<String, Integer> chainModulus = new HashMap<>();
        Set<String> chains = new HashSet<>();
        Set<String> maps = new HashSet<>();
        List<String> isolateRules = new ArrayList<>();
        for (JsonNode item : root.path("nftables")) {
            if (item.has("table")) {
                table = true;
            } else if (item.has("map")) {
                JsonNode map = item.get("map");
                String name = map.path("name").asText();
                if (name.equals("vips")) {
                    vipsMap = map.path("map").asText().equals("verdict");
                    for (JsonNode elem : map.path("elem")) {
                        String vip = elem.path(0).asText();
                        String target = elem.path(1).path("jump").path("target").asText("");
                        if (IpAddress.isValid(vip) && !target.isEmpty()) {
                            vipToChain.put(IpAddress.parse(vip), target);
                        }
                    }
                } else {
                    maps.add(name);
                    TreeMap<Integer, IpAddress> ordered = new TreeMap<>();
                    for (JsonNode elem : map.path("elem")) {
                        if (elem.path(0).isInt() && IpAddress.isValid(elem.path(1).asText())) {
                            ordered.put(elem.path(0).asInt(), IpAddress.parse(elem.path(1).asText()));
                        }
                    }
                    // a gap in the numgen keys would send some connections nowhere: treat it as a different map
                    List<IpAddress> backends = new ArrayList<>(ordered.values());
                    boolean dense = ordered.isEmpty() || ordered.lastKey() == ordered.size() - 1 && ordered.firstKey() == 0;
                    mapElements.put(name, dense ? backends : List.of());
                }
            } else if (item.has("set")) {
                JsonNode set = item.get("set");
                if (set.path("name").asText().equals("refused")) {
                    refusedSet = true;
                    for (JsonNode elem : set.path("elem")) {
                        if (IpAddress.isValid(elem.asText())) {
                            refused.add(IpAddress.parse(elem.asText()));
                        }
                    }
                }
            } else if (item.has("chain")) {
                JsonNode chain = item.get("chain");
                String name = chain.path("name").asText();
                if (chain.has("hook")) {
                    hooks.put(name, chain.path("type").asText() + "/" + chain.path("hook").asText());
                } else {
                    chains.add(name);
                }
            } else if (item.has("rule")) {
                JsonNode rule = item.get("rule");
                String chain = rule.path("chain").asText();
                ruleCounts.merge(chain, 1, Integer::sum);
                if (chain.equals("isolate")) {
                    isolateRules.add(groupDrop(rule.path("expr")));
                }
                int modulus = findNumgenModulus(rule.path("expr"));
                if (modulus > 0) {
                    chainModulus.put(chain, modulus);
                }
            }
        }
        if (!table) {
            return VipTable.ABSENT;
        }
        // balanced at the socket, the table has no NAT chain: its two hooked filter chains alone
        boolean nat = balancing == VipBalancing.NFT;
        boolean skeleton = vipsMap && refusedSet
                && (!nat || "nat/prerouting".equals(hooks.get("prerouting")) && "nat/output".equals(hooks.get("output")))
                && "filter/output".equals(hooks.get("refuse")) && "filter/forward".equals(hooks.get("isolate"))
                && hooks.size() == (nat ? 4 : 2)
                && (!nat || ruleCounts.getOrDefault("prerouting", 0) == 1 && ruleCounts.getOrDefault("output", 0) == 1)
                && ruleCounts.getOrDefault("refuse", 0) == 2
                && isolateRules.equals(List.of("iifgroup " + KernelNames.INTERNAL_GROUP, "oifgroup " + KernelNames.INTERNAL_GROUP));
        Map<IpAddress, List<IpAddress>> balanced = new HashMap<>();
        Map<IpAddress, Integer> modulus = new HashMap<>();
        for (Map.Entry<IpAddress, String> e : vipToChain.entrySet()) {
            IpAddress vip = e.getKey();
            String map = names.backendMap(vip);
            if (e.getValue().equals(names.vipChain(vip)) && chains.contains(e.getValue()) && mapElements.containsKey(map)) {
                balanced.put(vip, mapElements.get(map));
                int rules = ruleCounts.getOrDefault(e.getValue(), 0);
                modulus.put(vip, rules == 1 ? chainModulus.getOrDefault(e.getValue(), 0) : 0);
            } else {
                // a verdict element we would not have written: rebuild the table rather than patch around it
                skeleton = false;
            }
        }
        return new VipTable(true, skeleton, balanced, modulus, refused, chains, maps);
    }

    /**
     * "iifgroup N" or "oifgroup N" for a rule that is exactly {@code meta KEY N drop}, else "": the isolate chain is
     * checked rule by rule, since a wrong group number would quietly leave internal networks open.
     */
    private static String groupDrop(JsonNode expr) {
        if (expr.size() != 2 || !expr.get(1).has("drop")) {
            return "";
        }
        JsonNode match = expr.get(0).path("match");
        String key = match.path("left").path("meta").path("key").asText("");
        if (!match.path("op").asText().equals("==") || !(key.equals("iifgroup") || key.equals("oifgroup"))
                || !match.path("right").isIntegralNumber()) {
            return "";
        }
        return key + " " + match.path("right").asLong();
    }

    private static int findNumgenModulus(JsonNode node) {
        if (node.isObject()) {
            if (node.has("numgen")) {
                return node.get("numgen").path("mod").asInt(0);
            }
            for (JsonNode child : node) {
                int m = findNumgenModulus(child);
                if (m > 0) {
                    return m;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode child : node) {
                int m = findNumgenModulus(child);
                if (m > 0) {
                    return m;
                }
            }
        }
        return 0;
    }

    private static JsonNode parse(String json, String what) {
        if (json == null || json.isBlank()) {
            return JSON.createArrayNode();
        }
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(what + " printed invalid JSON: " + e.getOriginalMessage());
        }
    }
}

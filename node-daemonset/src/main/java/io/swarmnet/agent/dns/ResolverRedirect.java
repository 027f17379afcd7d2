package io.swarmnet.agent.dns;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmnet.api.contract.SwarmnetKeys;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where 127.0.0.11:53 of one pod really goes: the resolver's sockets listen on 127.0.0.11 at ports the kernel chose,
 * and a NAT rule in the pod's namespace sends the pod's DNS there, as Docker does. Port 53 itself stays free, so a
 * task may run a DNS server on 0.0.0.0:53. Decides the nftables table; pure.
 *
 * <pre>
 * table ip swarmnet_dns {
 *   chain output      (nat, output hook)        ip daddr 127.0.0.11 udp dport 53 dnat to 127.0.0.11:UDP   (same for tcp)
 *   chain postrouting (nat, postrouting hook)   ip saddr 127.0.0.11 udp sport UDP snat to 127.0.0.11:53   (same for tcp)
 * }
 * </pre>
 *
 * With VIPs balanced at the socket ({@code SWARMNET_VIP_BALANCING=socket}) nothing else in the pod asks the kernel
 * to track connections, and NAT here would make it track all of them, the overlay's too. There the table rewrites the
 * ports without NAT, {@link #untrackedTransaction() stateless}, in one filter chain at the output hook (every packet
 * on loopback passes it once, on its sender's side):
 *
 * <pre>
 * table ip swarmnet_dns {
 *   chain output (filter, output hook, priority raw)   ip daddr 127.0.0.11 udp dport 53 udp dport set UDP   (same for tcp)
 *                                                      ip saddr 127.0.0.11 udp sport UDP udp sport set 53   (same for tcp)
 * }
 * </pre>
 *
 * Conntrack turns the replies of a redirected query back into replies from port 53; the postrouting rules do the
 * same for a reply whose conntrack entry is gone (flushed while the query was in flight), which the client would
 * otherwise drop as coming from a port it never asked. The table is apart from the VIP table: it must exist in every
 * attached pod, VIPs or not, its ports are known only once the resolver has opened its sockets (after the datapath
 * ran), and the datapath rebuilds the VIP table whole when it finds anything it did not put there. Its name carries no
 * node prefix: a pod namespace is served by the one agent of its node.
 */
public record ResolverRedirect(int udpPort, int tcpPort) {

    public static final String TABLE = "swarmnet_dns";
    /** The port clients ask; nothing listens on it. */
    public static final int DNS_PORT = 53;
    private static final String ADDRESS = SwarmnetKeys.EMBEDDED_DNS_ADDRESS;
    private static final ObjectMapper JSON = new ObjectMapper();

    public ResolverRedirect {
        if (udpPort < 1 || udpPort > 65535 || tcpPort < 1 || tcpPort > 65535 || udpPort == DNS_PORT || tcpPort == DNS_PORT) {
            throw new IllegalArgumentException("resolver ports " + udpPort + "/udp, " + tcpPort + "/tcp must be 1-65535 and not "
                    + DNS_PORT + ", the port they stand in for");
        }
    }

    /** One {@code nft -f -} transaction that replaces whatever table is there with this one, atomically. */
    public List<String> transaction() {
        String table = "ip " + TABLE;
        return replacingTheTable(
                "add chain " + table + " output { type nat hook output priority -100; }",
                "add rule " + table + " output " + redirect("udp", udpPort),
                "add rule " + table + " output " + redirect("tcp", tcpPort),
                "add chain " + table + " postrouting { type nat hook postrouting priority 100; }",
                "add rule " + table + " postrouting " + fromPort53("udp", udpPort),
                "add rule " + table + " postrouting " + fromPort53("tcp", tcpPort));
    }

    /** The same redirect without NAT: the ports rewritten both ways, nothing tracked. */
    public List<String> untrackedTransaction() {
        String table = "ip " + TABLE;
        return replacingTheTable(
                "add chain " + table + " output { type filter hook output priority raw; }",
                "add rule " + table + " output " + rewrite("daddr", "udp", "dport", DNS_PORT, udpPort),
                "add rule " + table + " output " + rewrite("daddr", "tcp", "dport", DNS_PORT, tcpPort),
                "add rule " + table + " output " + rewrite("saddr", "udp", "sport", udpPort, DNS_PORT),
                "add rule " + table + " output " + rewrite("saddr", "tcp", "sport", tcpPort, DNS_PORT));
    }

    /** {@code lines} after emptying the table: add-then-delete deletes an existing one without failing when there is none. */
    private static List<String> replacingTheTable(String... lines) {
        String table = "ip " + TABLE;
        List<String> all = new java.util.ArrayList<>(List.of("add table " + table, "delete table " + table, "add table " + table));
        all.addAll(List.of(lines));
        return List.copyOf(all);
    }

    private static String rewrite(String addressField, String protocol, String portField, int from, int to) {
        return "ip " + addressField + " " + ADDRESS + " " + protocol + " " + portField + " " + from + " " + protocol + " " + portField
                + " set " + to;
    }

    private static String redirect(String protocol, int port) {
        return "ip daddr " + ADDRESS + " " + protocol + " dport " + DNS_PORT + " dnat to " + ADDRESS + ":" + port;
    }

    private static String fromPort53(String protocol, int port) {
        return "ip saddr " + ADDRESS + " " + protocol + " sport " + port + " snat to " + ADDRESS + ":" + DNS_PORT;
    }

    /**
     * The redirect a pod's namespace holds, from {@code nft -j list table ip swarmnet_dns}; empty when the table is
     * absent or is not exactly what {@link #transaction} makes (then it is to be replaced whole).
     */
    public static Optional<ResolverRedirect> parse(String json) {
        return parse(json, false);
    }

    /** As {@link #parse(String)}, of the table {@link #untrackedTransaction} makes when {@code untracked}. */
    public static Optional<ResolverRedirect> parse(String json, boolean untracked) {
        if (json == null || json.isBlank()) {
            return Optional.empty();
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
        Set<String> found = new HashSet<>();
        int udp = 0;
        int tcp = 0;
        for (JsonNode item : root.path("nftables")) {
            if (item.has("chain")) {
                JsonNode chain = item.get("chain");
                found.add("chain " + chain.path("name").asText() + " " + chain.path("type").asText() + " "
                        + chain.path("hook").asText() + " " + chain.path("prio").asInt());
            } else if (item.has("rule")) {
                Rule rule = Rule.of(item.get("rule"));
                found.add(rule.toString());
                boolean toResolver = rule.nat().equals("dnat") || rule.nat().equals("set") && rule.portField().equals("dport");
                if (toResolver && rule.protocol().equals("udp")) {
                    udp = rule.natPort();
                } else if (toResolver && rule.protocol().equals("tcp")) {
                    tcp = rule.natPort();
                }
            }
        }
        if (udp < 1 || tcp < 1 || udp > 65535 || tcp > 65535 || udp == DNS_PORT || tcp == DNS_PORT) {
            return Optional.empty();
        }
        ResolverRedirect candidate = new ResolverRedirect(udp, tcp);
        return found.equals(untracked ? candidate.expectedUntrackedItems() : candidate.expectedItems()) ? Optional.of(candidate)
                : Optional.empty();
    }

    /** What {@link #parse} sees of the table {@link #transaction} makes, in {@link Rule#toString} form. */
    private Set<String> expectedItems() {
        return Set.of("chain output nat output -100", "chain postrouting nat postrouting 100",
                new Rule("output", "daddr " + ADDRESS, "udp", "dport", DNS_PORT, "dnat", ADDRESS, udpPort).toString(),
                new Rule("output", "daddr " + ADDRESS, "tcp", "dport", DNS_PORT, "dnat", ADDRESS, tcpPort).toString(),
                new Rule("postrouting", "saddr " + ADDRESS, "udp", "sport", udpPort, "snat", ADDRESS, DNS_PORT).toString(),
                new Rule("postrouting", "saddr " + ADDRESS, "tcp", "sport", tcpPort, "snat", ADDRESS, DNS_PORT).toString());
    }

    /** What {@link #parse} sees of the table {@link #untrackedTransaction} makes. */
    private Set<String> expectedUntrackedItems() {
        return Set.of("chain output filter output -300",
                new Rule("output", "daddr " + ADDRESS, "udp", "dport", DNS_PORT, "set", "", udpPort).toString(),
                new Rule("output", "daddr " + ADDRESS, "tcp", "dport", DNS_PORT, "set", "", tcpPort).toString(),
                new Rule("output", "saddr " + ADDRESS, "udp", "sport", udpPort, "set", "", DNS_PORT).toString(),
                new Rule("output", "saddr " + ADDRESS, "tcp", "sport", tcpPort, "set", "", DNS_PORT).toString());
    }

    /** One rule of the table as nft's JSON shows it: an address match ("daddr 127.0.0.11"), a port match, a NAT statement. */
    private record Rule(String chain, String address, String protocol, String portField, int port, String nat, String natAddress,
            int natPort) {

        static Rule of(JsonNode rule) {
            String address = "";
            String protocol = "";
            String portField = "";
            int port = 0;
            String nat = "";
            String natAddress = "";
            int natPort = 0;
            int expressions = 0;
            for (JsonNode expr : rule.path("expr")) {
                expressions++;
                JsonNode match = expr.path("match");
                JsonNode payload = match.path("left").path("payload");
                if (match.path("op").asText().equals("==") && payload.path("protocol").asText().equals("ip")) {
                    address = payload.path("field").asText() + " " + match.path("right").asText();
                } else if (match.path("op").asText().equals("==") && !payload.isMissingNode()) {
                    protocol = payload.path("protocol").asText();
                    portField = payload.path("field").asText();
                    port = match.path("right").asInt();
                } else if (expr.has("mangle") && expr.path("mangle").path("key").path("payload").path("field").asText().equals(portField)
                        && expr.path("mangle").path("key").path("payload").path("protocol").asText().equals(protocol)) {
                    // a port rewritten in place: the field it matched, set to another value
                    nat = "set";
                    natPort = expr.path("mangle").path("value").asInt();
                } else if (expr.has("dnat") || expr.has("snat")) {
                    nat = expr.has("dnat") ? "dnat" : "snat";
                    natAddress = expr.path(nat).path("addr").asText();
                    natPort = expr.path(nat).path("port").asInt();
                }
            }
            // a rule with anything more in it is not ours: the table then differs from every expected one
            return expressions == 3 ? new Rule(rule.path("chain").asText(), address, protocol, portField, port, nat, natAddress, natPort)
                    : new Rule(rule.path("chain").asText(), "?", "?", "?", 0, "?", "?", 0);
        }
    }
}

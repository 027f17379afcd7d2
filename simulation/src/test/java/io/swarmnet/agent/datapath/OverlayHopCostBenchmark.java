package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmnet.api.net.IpAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import io.swarmnet.agent.bpf.Bpf;
import io.swarmnet.agent.bpf.SocketLoadBalancer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What each hop of the overlay costs in TCP throughput (issue 18): side by side in one run, over one underlay (a veth
 * pair between two "node" namespaces, 198.18.0.1 and .2, MTU 1500), a raw underlay flow; bare VXLAN pairs tuned in
 * the ways that might make them faster (UDP checksum on or off, GRO on the underlay veths); bare VXLAN with a bridge;
 * swarmnet's layout (bridge and VXLAN device in a network namespace, a veth into the pod's namespace, static neighbour
 * and FDB entries), without and with the nftables table every attached pod has, and through a VIP; that layout with
 * settings that might make it cheaper (GRO on the veths, the network namespace's bridged traffic not handed to the IP
 * hooks, no outer UDP checksum); and lighter attachments: macvlan (bridge mode) and ipvlan (l2) on the VXLAN device.
 *
 * <p>iperf3, one flow, {@code swarmnet.bench.seconds} (3) each, {@code swarmnet.bench.rounds} (5) rounds, each round
 * measuring every path once (a different one first each round), so the machine's load falls on all alike. Prints the
 * median of each in Gbit/s, its spread, and its ratio to the fastest bare VXLAN pair of the same run. Everything lives in
 * namespaces named with a per-run prefix, which are removed also when the run fails. Run on purpose:
 * {@code mvn -pl simulation -am test -Dtest=OverlayHopCostBenchmark -Dgroups=benchmark -DexcludedGroups=none -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class OverlayHopCostBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SECONDS = Integer.getInteger("swarmnet.bench.seconds", 3);
    private static final int ROUNDS = Integer.getInteger("swarmnet.bench.rounds", 5);
    private static final int MTU = 1450;
    private static final String[] NODE_ADDRESS = {"198.18.0.1", "198.18.0.2"};
    /** Devices inside the run's namespaces need no unique names; the namespaces do. */
    private static final String UNDERLAY = "ul";
    /** Which pods of a pair get the pods' nft table: bit 0 the client, bit 1 the server. */
    private static final int NO_TABLE = 0;
    private static final int BOTH_TABLES = 3;

    private final String prefix = "zh" + Integer.toString(36 * 36 * 36 * 36 + new SecureRandom().nextInt(35 * 36 * 36 * 36 * 36), 36);
    private final KernelTools tools = new KernelTools(Duration.ofSeconds(SECONDS + 30L));
    private final List<String> namespaces = new ArrayList<>();
    /** Only paths whose name matches this are measured, besides the bare VXLAN pairs the ratios need; all by default. */
    private static final Pattern PATHS = Pattern.compile(System.getProperty("swarmnet.bench.paths", ".*"));
    private SocketLoadBalancer socketBalancer;

    /** One measured path: an iperf3 client in one namespace, its server in another, and commands run around it. */
    private record Route(String name, String client, String server, String target, List<List<String>> before, List<List<String>> after) {
        Route(String name, String client, String server, String target) {
            this(name, client, server, target, List.of(), List.of());
        }
    }

    @BeforeEach
    void checkTools() {
        KernelAvailability.assumeKernelTestsCanRun("ip", "bridge", "nft", "nsenter", "iperf3", "ethtool", "sysctl");
    }

    @AfterEach
    void removeEverything() {
        if (socketBalancer != null) {
            socketBalancer.close();
        }
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            tools.run(List.of("ip", "netns", "del", namespaces.get(i)), null);
        }
        assertThat(leftovers()).as("namespaces of run %s left behind", prefix).isEmpty();
        tools.close();
    }

    @Test
    void throughputOfEachHopAndOfLighterAttachments() throws Exception {
        String[] node = {namespace("a"), namespace("b")};
        run(new NetNamespace.Named(node[0]), List.of("ip", "link", "add", UNDERLAY, "mtu", "1500", "type", "veth", "peer", "name", UNDERLAY,
                "mtu", "1500", "netns", node[1]));
        for (int s = 0; s < 2; s++) {
            ip(node[s], "link set dev lo up", "addr add " + NODE_ADDRESS[s] + "/24 dev " + UNDERLAY, "link set dev " + UNDERLAY + " up");
        }
        List<Route> routes = new ArrayList<>();
        routes.add(new Route("raw underlay veth (node -> node)", node[0], node[1], NODE_ADDRESS[1]));

        // bare VXLAN pairs between the node namespaces, addressed on the VXLAN device itself
        bareVxlan(node, 1, "udpcsum", false);
        bareVxlan(node, 2, "noudpcsum", false);
        routes.add(new Route("bare VXLAN, udpcsum", node[0], node[1], overlay(1, 2)));
        routes.add(new Route("bare VXLAN, noudpcsum", node[0], node[1], overlay(2, 2)));
        List<List<String>> underlayGroOn = onBoth(node, "ethtool", "-K", UNDERLAY, "gro", "on");
        List<List<String>> underlayGroOff = onBoth(node, "ethtool", "-K", UNDERLAY, "gro", "off");
        routes.add(new Route("bare VXLAN, udpcsum, GRO on underlay veths", node[0], node[1], overlay(1, 2), underlayGroOn, underlayGroOff));
        routes.add(new Route("bare VXLAN, noudpcsum, GRO on underlay veths", node[0], node[1], overlay(2, 2), underlayGroOn, underlayGroOff));
        int bareRoutes = routes.size();
        bareVxlan(node, 3, "udpcsum", true);
        routes.add(new Route("bare VXLAN + bridge (address on the bridge)", node[0], node[1], overlay(3, 2)));

        // swarmnet's layout: network namespace with bridge + VXLAN device, pods attached by veth pairs
        String[] net4 = networkNamespaces(node, 4, "udpcsum");
        String[] plain = vethPods(net4, 4, 10, "plain", NO_TABLE, false);
        String[] nft = vethPods(net4, 4, 11, "nft", BOTH_TABLES, false);
        String[] gro = vethPods(net4, 4, 12, "gro", BOTH_TABLES, true);
        IpAddress vip = IpAddress.parse(overlay(4, 200));
        routes.add(new Route("our layout: + netns, bridge, veth into pods", plain[0], plain[1], overlay(4, 2 * 10)));
        routes.add(new Route("our layout + the pods' nft table", nft[0], nft[1], overlay(4, 2 * 11)));
        // which end's conntrack costs what: the table (and so conntrack) in one of the two pods only
        String[] clientTable = vethPods(net4, 4, 13, "ctc", 1, false);
        String[] serverTable = vethPods(net4, 4, 14, "cts", 2, false);
        routes.add(new Route("our layout, nft table in the client pod only", clientTable[0], clientTable[1], overlay(4, 2 * 13)));
        routes.add(new Route("our layout, nft table in the server pod only", serverTable[0], serverTable[1], overlay(4, 2 * 14)));
        routes.add(new Route("our layout + nft, through a VIP", nft[0], nft[1], vip.toString()));
        routes.add(new Route("our layout + nft, GRO on both veth ends", gro[0], gro[1], overlay(4, 2 * 12)));
        routes.add(new Route("our layout + nft, GRO on veths, through a VIP", gro[0], gro[1], vip.toString()));
        if (Files.exists(Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables"))) {
            // br_netfilter is loaded: bridged IPv4 frames pass the IP hooks of the bridge's namespace (each namespace's own switch)
            List<List<String>> off = onBoth(net4, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=0");
            List<List<String>> on = onBoth(net4, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1");
            routes.add(new Route("bare VXLAN + bridge, bridge-nf-call-iptables=0", node[0], node[1], overlay(3, 2),
                    onBoth(node, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=0"),
                    onBoth(node, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1")));
            routes.add(new Route("our layout, bridge-nf-call-iptables=0", plain[0], plain[1], overlay(4, 2 * 10), off, on));
            routes.add(new Route("our layout + nft, bridge-nf-call-iptables=0", nft[0], nft[1], overlay(4, 2 * 11), off, on));
            routes.add(new Route("our layout + nft, bridge-nf-call-iptables=0, VIP", nft[0], nft[1], vip.toString(), off, on));
        } else {
            System.out.println("br_netfilter is not loaded: bridged frames pass no IP hooks, nothing to switch off");
        }
        String[] net5 = networkNamespaces(node, 5, "noudpcsum");
        String[] nocsum = vethPods(net5, 5, 11, "nocsum", BOTH_TABLES, false);
        routes.add(new Route("our layout + nft, noudpcsum", nocsum[0], nocsum[1], overlay(5, 2 * 11)));
        String[] nocsumGro = vethPods(net5, 5, 12, "nocsumgro", BOTH_TABLES, true);
        routes.add(new Route("our layout + nft, noudpcsum, GRO on veths", nocsumGro[0], nocsumGro[1], overlay(5, 2 * 12)));

        // lighter attachments: the pod's interface is a child of the VXLAN device itself, no bridge and no veth
        String[] net6 = networkNamespaces(node, 6, null);
        String[] bareMacvlan = childPods(net6, 6, 13, "macvlanbare", "macvlan mode bridge", false);
        String[] macvlan = childPods(net6, 6, 11, "macvlan", "macvlan mode bridge", true);
        if (macvlan != null && bareMacvlan != null) {
            routes.add(new Route("macvlan (bridge) on VXLAN, no nft table", bareMacvlan[0], bareMacvlan[1], overlay(6, 2 * 13)));
            routes.add(new Route("macvlan (bridge) on VXLAN + nft", macvlan[0], macvlan[1], overlay(6, 2 * 11)));
            routes.add(new Route("macvlan (bridge) on VXLAN + nft, through a VIP", macvlan[0], macvlan[1], overlay(6, 200)));
        }
        // the VIP balanced at the socket (SocketLoadBalancer's BPF programs): the pods' table keeps its filter chains
        // (refused VIPs, internal networks) but has no NAT chain and no DNAT rule, so nothing registers conntrack there
        String[] socketLb = childPods(net6, 6, 14, "macvlansock", "macvlan mode bridge", false);
        Optional<Path> cgroup = SocketLoadBalancer.cgroup2Root();
        if (socketLb != null && cgroup.isPresent()) {
            for (String pod : socketLb) {
                filterTableOnly(pod);
            }
            socketBalancer = SocketLoadBalancer.attach(cgroup.get(), prefix.substring(0, 6));
            IpAddress socketVip = IpAddress.parse(overlay(6, 201));
            socketBalancer.backends(1, List.of(IpAddress.parse(overlay(6, podHost(14, 1)))), 0);
            socketBalancer.route(Bpf.netnsCookie(Path.of("/run/netns", socketLb[0])), socketVip, 1);
            routes.add(new Route("macvlan + filter table, VIP at the socket: direct", socketLb[0], socketLb[1], overlay(6, 2 * 14)));
            routes.add(new Route("macvlan + filter table, VIP at the socket: via VIP", socketLb[0], socketLb[1], socketVip.toString()));
        } else if (socketLb != null) {
            System.out.println("skipped the VIP at the socket: no cgroup2 mount to attach its programs to");
        }
        String[] net7 = networkNamespaces(node, 7, null);
        String[] ipvlan = childPods(net7, 7, 11, "ipvlan", "ipvlan mode l2", true);
        if (ipvlan != null) {
            routes.add(new Route("ipvlan (l2) on VXLAN + nft", ipvlan[0], ipvlan[1], overlay(7, 2 * 11)));
        }

        List<Route> bares = List.copyOf(routes.subList(1, bareRoutes));
        Route raw = routes.get(0);
        routes.removeIf(r -> r != raw && !bares.contains(r) && !PATHS.matcher(r.name()).find());
        String loadBefore = loadAverage();
        Map<Route, List<Double>> results = new LinkedHashMap<>();
        routes.forEach(r -> results.put(r, new ArrayList<>()));
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < routes.size(); i++) {
                Route r = routes.get((i + round * 3) % routes.size());
                results.get(r).add(measure(r));
            }
        }
        String loadAfter = loadAverage();

        Map<Route, Double> medians = new LinkedHashMap<>();
        results.forEach((r, v) -> medians.put(r, median(v)));
        Route fastestBare = routes.subList(1, bareRoutes).stream().max((x, y) -> Double.compare(medians.get(x), medians.get(y))).orElseThrow();
        double bare = medians.get(fastestBare);
        System.out.printf(Locale.ROOT, "%n== overlay hop costs: TCP, one flow, iperf3 %d s x %d rounds, median (min-max); load average %s -> %s ==%n",
                SECONDS, ROUNDS, loadBefore, loadAfter);
        System.out.printf(Locale.ROOT, "%-50s %8s %15s %9s%n", "path", "Gbit/s", "min-max", "/ bare");
        for (Route r : routes) {
            List<Double> v = results.get(r);
            System.out.printf(Locale.ROOT, "%-50s %8.2f %6.2f-%-6.2f %8.2f%s%n", r.name(), medians.get(r), v.stream().mapToDouble(d -> d).min().orElse(0),
                    v.stream().mapToDouble(d -> d).max().orElse(0), medians.get(r) / bare, r == fastestBare ? "  (fastest bare pair)" : "");
        }
        System.out.printf(Locale.ROOT, "each round's values: %s%n", results.entrySet().stream()
                .map(e -> e.getKey().name() + "=" + e.getValue().stream().map(d -> String.format(Locale.ROOT, "%.2f", d)).toList()).toList());
        assertThat(medians.values()).as("every path carried traffic").allMatch(v -> v > 0);
    }

    // --- building --------------------------------------------------------------------------------------------

    /** A bare VXLAN pair (VNI 100 + k) in the node namespaces, the address on the device or on a bridge it is a port of. */
    private void bareVxlan(String[] node, int k, String checksum, boolean bridge) {
        for (int s = 0; s < 2; s++) {
            String vx = "vx" + k;
            List<String> lines = new ArrayList<>(List.of(vxlanAdd(vx, k, s, checksum, false), "link set dev " + vx + " mtu " + MTU + " up"));
            if (bridge) {
                lines.addAll(List.of("link add name br" + k + " type bridge", "link set dev br" + k + " mtu " + MTU + " up",
                        "link set dev " + vx + " master br" + k, "addr add " + overlay(k, s + 1) + "/24 dev br" + k));
            } else {
                lines.add("addr add " + overlay(k, s + 1) + "/24 dev " + vx);
            }
            ip(node[s], lines.toArray(String[]::new));
            fdb(node[s], "fdb append 00:00:00:00:00:00 dev " + vx + " dst " + NODE_ADDRESS[1 - s] + " self permanent");
        }
    }

    /**
     * Each node's network namespace for VNI 100 + k, as {@code DatapathPlanner} lays it out: the VXLAN device made in
     * the node namespace (its socket on the underlay) and moved in, {@code nolearning proxy}; with {@code checksum} a
     * bridge holding the gateway address and the VXLAN device, without it the VXLAN device alone (for child devices).
     */
    private String[] networkNamespaces(String[] node, int k, String checksum) {
        String[] net = new String[2];
        for (int s = 0; s < 2; s++) {
            net[s] = namespace("n" + k + (char) ('a' + s));
            String vx = "vx" + k;
            ip(node[s], vxlanAdd(vx, k, s, checksum == null ? "udpcsum" : checksum, true), "link set dev " + vx + " netns " + net[s]);
            if (checksum != null) {
                ip(net[s], "link set dev lo up", "link add name br" + k + " type bridge", "link set dev br" + k + " mtu " + MTU + " up",
                        "addr add " + overlay(k, 1) + "/24 dev br" + k, "link set dev " + vx + " master br" + k + " mtu " + MTU + " up");
            } else {
                ip(net[s], "link set dev lo up", "link set dev " + vx + " address " + mac(k, 250 + s) + " mtu " + MTU + " up");
            }
        }
        return net;
    }

    /** A client pod on node a and a server pod on node b (hosts {@link #podHost}), attached by veth pairs to the bridges. */
    private String[] vethPods(String[] net, int k, int i, String name, int tables, boolean gro) {
        String[] pod = new String[2];
        for (int s = 0; s < 2; s++) {
            pod[s] = namespace(name + (char) ('a' + s));
            String port = "p" + i;
            ip(pod[s], "link set dev lo up", "link add name eth0 mtu " + MTU + " address " + mac(k, podHost(i, s))
                    + " type veth peer name " + port + " mtu " + MTU + " netns " + net[s],
                    "addr add " + overlay(k, podHost(i, s)) + "/24 dev eth0", "link set dev eth0 up");
            ip(net[s], "link set dev " + port + " master br" + k + " mtu " + MTU + " up");
            if (gro) {
                run(new NetNamespace.Named(pod[s]), List.of("ethtool", "-K", "eth0", "gro", "on"));
                run(new NetNamespace.Named(net[s]), List.of("ethtool", "-K", port, "gro", "on"));
            }
            if ((tables & (1 << s)) != 0) {
                vipTable(pod[s], k, i);
            }
        }
        remoteEntries(net, "vx" + k, k, i);
        return pod;
    }

    /**
     * A client and a server pod whose interface is a {@code type} child of the VXLAN device, with the pods' nft table;
     * null (and a line saying why) when the kernel cannot make such a device.
     */
    private String[] childPods(String[] net, int k, int i, String name, String type, boolean table) {
        String[] pod = new String[2];
        for (int s = 0; s < 2; s++) {
            pod[s] = namespace(name + (char) ('a' + s));
            ip(pod[s], "link set dev lo up");
            boolean ownMac = type.startsWith("macvlan");
            KernelTools.Result added = tools.ipBatch(new NetNamespace.Named(net[s]), List.of("link add link vx" + k + " name c" + i + " mtu " + MTU
                    + (ownMac ? " address " + mac(k, podHost(i, s)) : "") + " type " + type));
            if (!added.ok()) {
                System.out.printf("skipped %s: the kernel cannot make one here (%s)%n", type, added.describe());
                return null;
            }
            ip(net[s], "link set dev c" + i + " netns " + pod[s]);
            ip(pod[s], "addr add " + overlay(k, podHost(i, s)) + "/24 dev c" + i, "link set dev c" + i + " up");
            // the peer's address resolved in the pod itself: no ARP through the VXLAN device's proxy
            String remoteMac = ownMac ? mac(k, podHost(i, 1 - s)) : mac(k, 250 + 1 - s);
            ip(pod[s], "neigh add " + overlay(k, podHost(i, 1 - s)) + " lladdr " + remoteMac + " dev c" + i + " nud permanent");
            // (ipvlan children share the VXLAN device's MAC: one pair of them per network here)
            fdb(net[s], "fdb append " + remoteMac + " dev vx" + k + " dst " + NODE_ADDRESS[1 - s] + " self permanent");
            if (table) {
                vipTable(pod[s], k, i);
            }
        }
        return pod;
    }

    /** The remote pod's static neighbour and FDB entry on each side's VXLAN device, as {@code RemoteEndpointEntries} writes them. */
    private void remoteEntries(String[] net, String vx, int k, int i) {
        for (int s = 0; s < 2; s++) {
            int remote = podHost(i, 1 - s);
            ip(net[s], "neigh add " + overlay(k, remote) + " lladdr " + mac(k, remote) + " dev " + vx + " nud permanent");
            fdb(net[s], "fdb append " + mac(k, remote) + " dev " + vx + " dst " + NODE_ADDRESS[1 - s] + " self permanent");
        }
    }

    /** The table the agent gives every attached pod when VIPs are balanced at the socket: no NAT chain, only filter chains. */
    private void filterTableOnly(String pod) {
        List<String> lines = new VipLoadBalancer(new KernelNames("zh"), VipBalancing.SOCKET).transaction(Map.of(), VipTable.ABSENT);
        KernelTools.Result r = tools.nft(new NetNamespace.Named(pod), lines);
        assertThat(r.ok()).as(r.describe()).isTrue();
        KernelTools.Result listed = tools.run(List.of("ip", "netns", "exec", pod, "nft", "list", "ruleset"), null);
        assertThat(listed.stdout()).as("no NAT in %s", pod).doesNotContain("type nat").doesNotContain("dnat");
    }

    /** The table {@code LinuxDatapath} gives every attached pod, with one VIP (.200) balanced to the server pod. */
    private void vipTable(String pod, int k, int i) {
        List<String> lines = new VipLoadBalancer(new KernelNames("zh")).transaction(
                Map.of(IpAddress.parse(overlay(k, 200)), List.of(IpAddress.parse(overlay(k, podHost(i, 1))))), VipTable.ABSENT);
        KernelTools.Result r = tools.nft(new NetNamespace.Named(pod), lines);
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    private static String vxlanAdd(String vx, int k, int side, String checksum, boolean proxy) {
        return "link add name " + vx + " type vxlan id " + (100 + k) + " local " + NODE_ADDRESS[side] + " dstport 4789 nolearning "
                + checksum + (proxy ? " proxy" : "");
    }

    /** Pod i's host number: the client (side 0) 2i - 1... kept apart from the gateway .1 and the VIP .200. */
    private static int podHost(int i, int side) {
        return 2 * i - 1 + side;
    }

    private static String overlay(int k, int host) {
        return "10.77." + k + "." + host;
    }

    private static String mac(int k, int host) {
        return String.format(Locale.ROOT, "02:77:00:00:%02x:%02x", k, host);
    }

    private List<List<String>> onBoth(String[] namespaces, String... command) {
        return Arrays.stream(namespaces).map(ns -> new NetNamespace.Named(ns).wrap(List.of(command))).toList();
    }

    private String namespace(String suffix) {
        String ns = prefix + "-" + suffix;
        run(new NetNamespace.Root(), List.of("ip", "netns", "add", ns));
        namespaces.add(ns);
        return ns;
    }

    private void ip(String ns, String... lines) {
        KernelTools.Result r = tools.ipBatch(new NetNamespace.Named(ns), List.of(lines));
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    private void fdb(String ns, String line) {
        KernelTools.Result r = tools.bridgeBatch(new NetNamespace.Named(ns), List.of(line));
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    private void run(NetNamespace ns, List<String> command) {
        KernelTools.Result r = tools.run(ns.wrap(command), null);
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    // --- measuring -------------------------------------------------------------------------------------------

    private double measure(Route route) throws Exception {
        route.before().forEach(c -> assertThat(tools.run(c, null).ok()).as("%s", c).isTrue());
        Process server = new ProcessBuilder("ip", "netns", "exec", route.server(), "iperf3", "-s", "-1", "-p", "5299")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Thread.sleep(300);
            KernelTools.Result r = tools.run(List.of("ip", "netns", "exec", route.client(), "iperf3", "-c", route.target(), "-p", "5299",
                    "-t", Integer.toString(SECONDS), "--connect-timeout", "3000", "-J"), null);
            assertThat(r.ok()).as("%s: %s", route.name(), r.describe()).isTrue();
            JsonNode json = JSON.readTree(r.stdout());
            return json.path("end").path("sum_received").path("bits_per_second").asDouble() / 1e9;
        } finally {
            server.destroyForcibly();
            server.waitFor(5, TimeUnit.SECONDS);
            route.after().forEach(c -> tools.run(c, null));
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n == 0 ? 0 : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private List<String> leftovers() {
        KernelTools.Result r = tools.run(List.of("ip", "netns", "list"), null);
        return r.stdout().lines().map(l -> l.split(" ")[0]).filter(n -> n.startsWith(prefix + "-")).toList();
    }
}

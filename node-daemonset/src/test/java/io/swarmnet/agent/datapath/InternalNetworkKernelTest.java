package io.swarmnet.agent.datapath;

import static io.swarmnet.agent.datapath.Topology.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.agent.simulation.SimulatedPod;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Internal networks on real kernel objects. The overlay itself never forwards anywhere (the network namespace holds
 * no route beyond the subnet), so the way out of a network is a task that routes: here a "router" task with
 * forwarding on and a second interface into an "outside" namespace, standing for its pod's own Kubernetes network,
 * and tasks that route towards the outside through it. On a plain network that works, as it does with Docker's
 * overlays; on an internal one nothing passes the router in either direction, while the tasks still reach each
 * other, the router itself and a VIP.
 */
class InternalNetworkKernelTest {

    /** The outside, as the router's pod network sees it (198.18.0.0/15 is for benchmarks: never routed anywhere). */
    private static final String OUTSIDE = "198.18.77.1";
    private static final String ROUTER_OUTSIDE = "198.18.77.2";
    /** A client's own pod network link to the outside namespace, not through any overlay. */
    private static final String OUTSIDE_ON_CLIENT_LINK = "198.18.78.1";
    private static final String CLIENT_OWN = "198.18.78.2";

    private SimulatedCluster cluster;
    private final Map<SimulatedNode, LinuxDatapath> datapaths = new HashMap<>();
    private final List<Topology.Node> nodes = new ArrayList<>();
    private final Topology topology = new Topology();
    private final Map<PodRef, SimulatedPod> pods = new HashMap<>();
    private final KernelTools tools = new KernelTools();
    private String outside;

    @BeforeEach
    void startCluster() {
        KernelAvailability.assumeKernelTestsCanRun("ip", "nft", "busybox", "sysctl");
        cluster = SimulatedCluster.start(3);
        for (SimulatedNode node : cluster.nodes()) {
            datapaths.put(node, cluster.datapath(node));
            nodes.add(new Topology.Node(node.name(), node.underlayAddress(), node.underlayMtu()));
        }
        outside = cluster.prefix() + "-out";
        must(tools.run(List.of("ip", "netns", "add", outside), null));
        must(tools.run(List.of("ip", "-n", outside, "link", "set", "dev", "lo", "up"), null));
    }

    @AfterEach
    void removeEverything() {
        if (cluster == null) {
            return;
        }
        datapaths.values().forEach(LinuxDatapath::close);
        if (outside != null) {
            tools.run(List.of("ip", "netns", "del", outside), null);
        }
        String prefix = cluster.prefix();
        cluster.close();
        assertThat(cluster.leftovers()).as("kernel objects of run %s left behind", prefix).isEmpty();
    }

    @Test
    void aRouterTaskCarriesAPlainNetworkOutsideButNothingCrossesItInOrOutOfAnInternalOne() throws Exception {
        Topology.Network plain = topology.network("plain", 4121, "10.221.0.0/24");
        Topology.Network inner = topology.network("inner", 4122, "10.222.0.0/24");
        topology.internal(inner, true);
        place(pod("router"), 2, plain, "10.221.0.30"); // eth1
        place(pod("router"), 2, inner, "10.222.0.30"); // eth2
        place(pod("p-client"), 1, plain, "10.221.0.10");
        place(pod("i-client"), 1, inner, "10.222.0.10");
        place(pod("i-server"), 3, inner, "10.222.0.20");
        topology.service("db", inner, "10.222.0.2", List.of(pod("i-server")));
        applyAll();
        connectRouterToOutside(plain.subnet().toString(), inner.subnet().toString());
        SimulatedPod pClient = pods.get(pod("p-client"));
        SimulatedPod iClient = pods.get(pod("i-client"));
        routeOutsideVia(pClient, "10.221.0.30");
        routeOutsideVia(iClient, "10.222.0.30");
        connectToOutsideDirectly(iClient);

        // the plain network does what overlays do today: a task that routes takes traffic out and back in
        assertThat(ping(pClient, OUTSIDE)).as("plain network: a task reaches the outside through the router task").isTrue();
        assertThat(pingFromOutside("10.221.0.10")).as("plain network: the outside reaches a task through the router task").isTrue();

        // the internal network: nothing crosses the router, either way, even with routes that say it should
        assertThat(ping(iClient, OUTSIDE)).as("internal network: a task reaches the outside through the router task").isFalse();
        assertThat(pingFromOutside("10.222.0.10")).as("internal network: the outside reaches a task through the router task").isFalse();
        assertThat(cluster.exec(pClient, "ip", "route", "add", "10.222.0.0/24", "via", "10.221.0.30", "dev", "eth1").ok()).isTrue();
        assertThat(ping(pClient, "10.222.0.10")).as("a task of another network reaches into the internal one through the router").isFalse();

        // ...while on it every task, the router included, and the VIP answer
        assertThat(ping(iClient, "10.222.0.20")).as("internal network: a task on another node").isTrue();
        assertThat(ping(iClient, "10.222.0.30")).as("internal network: the router task itself").isTrue();
        try (NamedEcho server = NamedEcho.start(pods.get(pod("i-server")).namespacePath(), "i-server", 7010);
                Socket viaVip = connect(iClient, "10.222.0.2", 7010)) {
            assertThat(exchange(viaVip, "hello")).isEqualTo("i-server hello");
        }
        // and the pod's own network is untouched
        assertThat(ping(iClient, OUTSIDE_ON_CLIENT_LINK)).as("internal network: the client's own pod network").isTrue();

        for (SimulatedNode node : cluster.nodes()) {
            ApplyReport again = datapaths.get(node).apply(topology.desired(nodes.get(node.index() - 1)));
            assertThat(again.changes()).as("changes on %s: %s", node.name(), datapaths.get(node).lastPlan()).isZero();
        }
    }

    @Test
    void switchingALiveNetworkToInternalAndBackKeepsItsConnectionsAndOpensAndClosesTheWayOut() throws Exception {
        Topology.Network net = topology.network("flip", 4123, "10.223.0.0/24");
        place(pod("client"), 1, net, "10.223.0.10");
        place(pod("router"), 2, net, "10.223.0.30");
        place(pod("server"), 3, net, "10.223.0.20");
        topology.service("echo", net, "10.223.0.2", List.of(pod("server")));
        applyAll();
        connectRouterToOutside(net.subnet().toString());
        SimulatedPod client = pods.get(pod("client"));
        routeOutsideVia(client, "10.223.0.30");
        assertThat(ping(client, OUTSIDE)).as("plain: through the router").isTrue();

        try (NamedEcho server = NamedEcho.start(pods.get(pod("server")).namespacePath(), "server", 7011);
                Socket direct = connect(client, "10.223.0.20", 7011);
                Socket viaVip = connect(client, "10.223.0.2", 7011)) {
            assertThat(exchange(direct, "1")).isEqualTo("server 1");
            assertThat(exchange(viaVip, "1")).isEqualTo("server 1");

            topology.internal(net, true);
            applyAll();
            for (SimulatedNode node : cluster.nodes()) {
                Plan plan = datapaths.get(node).lastPlan();
                assertThat(plan.lines(Plan.Tool.IP)).as("%s: the change is the task's device group, in place", node.name())
                        .containsExactly("link set dev eth1 group " + KernelNames.INTERNAL_GROUP);
                assertThat(plan.size()).as("%s: nothing else: %s", node.name(), plan).isEqualTo(1);
            }
            assertThat(exchange(direct, "2")).as("a connection across the overlay survives the switch").isEqualTo("server 2");
            assertThat(exchange(viaVip, "2")).as("a connection through the VIP survives the switch").isEqualTo("server 2");
            assertThat(ping(client, OUTSIDE)).as("internal: through the router").isFalse();

            topology.internal(net, false);
            applyAll();
            assertThat(datapaths.get(cluster.node(1)).lastPlan().lines(Plan.Tool.IP)).containsExactly("link set dev eth1 group 0");
            assertThat(ping(client, OUTSIDE)).as("plain again: through the router").isTrue();
            assertThat(exchange(direct, "3")).isEqualTo("server 3");
            assertThat(exchange(viaVip, "3")).isEqualTo("server 3");
        }
    }

    // --- helpers -------------------------------------------------------------------------------------------

    private void place(PodRef ref, int node, Topology.Network network, String address) {
        topology.task(ref, nodes.get(node - 1), network, address);
        if (!pods.containsKey(ref)) {
            pods.put(ref, cluster.createPod(cluster.node(node), ref));
        }
    }

    private void applyAll() {
        for (SimulatedNode node : cluster.nodes()) {
            NodeDatapath desired = topology.desired(nodes.get(node.index() - 1));
            ApplyReport report = datapaths.get(node).apply(desired);
            assertThat(report.complete()).as("apply on %s: %s", node.name(), report).isTrue();
            assertThat(report.attachedPods()).hasSize(desired.pods().size());
        }
    }

    /**
     * Gives the router task a second interface into the outside namespace (its pod network, as far as this test is
     * concerned), turns forwarding on in it, and routes the overlay subnets back from the outside through it.
     */
    private void connectRouterToOutside(String... subnets) {
        SimulatedPod router = pods.get(pod("router"));
        must(tools.run(List.of("ip", "-n", outside, "link", "add", "name", "r0", "type", "veth", "peer", "name", "up0", "netns",
                router.namespace()), null));
        must(tools.run(List.of("ip", "-n", outside, "addr", "add", OUTSIDE + "/24", "dev", "r0"), null));
        must(tools.run(List.of("ip", "-n", outside, "link", "set", "dev", "r0", "up"), null));
        must(cluster.exec(router, "ip", "addr", "add", ROUTER_OUTSIDE + "/24", "dev", "up0"));
        must(cluster.exec(router, "ip", "link", "set", "dev", "up0", "up"));
        must(cluster.exec(router, "sysctl", "-qw", "net.ipv4.ip_forward=1"));
        for (String subnet : subnets) {
            must(tools.run(List.of("ip", "-n", outside, "route", "add", subnet, "via", ROUTER_OUTSIDE), null));
        }
    }

    /** What a route added by hand or by another component in the task does: the outside through a task of the network. */
    private void routeOutsideVia(SimulatedPod task, String router) {
        must(cluster.exec(task, "ip", "route", "add", OUTSIDE + "/32", "via", router, "dev", "eth1"));
    }

    /** The client's own link to the outside namespace, as its pod's Kubernetes network would be. */
    private void connectToOutsideDirectly(SimulatedPod client) {
        must(tools.run(List.of("ip", "-n", outside, "link", "add", "name", "c0", "type", "veth", "peer", "name", "up0", "netns",
                client.namespace()), null));
        must(tools.run(List.of("ip", "-n", outside, "addr", "add", OUTSIDE_ON_CLIENT_LINK + "/24", "dev", "c0"), null));
        must(tools.run(List.of("ip", "-n", outside, "link", "set", "dev", "c0", "up"), null));
        must(cluster.exec(client, "ip", "addr", "add", CLIENT_OWN + "/24", "dev", "up0"));
        must(cluster.exec(client, "ip", "link", "set", "dev", "up0", "up"));
    }

    private boolean ping(SimulatedPod from, String address) {
        return cluster.exec(from, "busybox", "ping", "-c", "2", "-W", "1", address).ok();
    }

    private boolean pingFromOutside(String address) {
        return tools.run(List.of("ip", "netns", "exec", outside, "busybox", "ping", "-c", "2", "-W", "1", address), null).ok();
    }

    private static Socket connect(SimulatedPod from, String address, int port) throws IOException {
        // connected on a thread inside the namespace: an unconnected java.net.Socket has no kernel socket yet
        Socket socket = NetworkNamespace.callInside(from.namespacePath(), "tcp-client", () -> {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(address, port), 3000);
            return s;
        });
        socket.setSoTimeout(3000);
        return socket;
    }

    private static String exchange(Socket connection, String line) throws IOException {
        connection.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        // one line per request: a reader per call is safe since the server sends nothing unasked
        String answer = readLine(connection);
        assertThat(answer).as("answer to %s", line).isNotNull();
        return answer;
    }

    private static String readLine(Socket connection) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = connection.getInputStream().read()) != -1 && c != '\n') {
            line.append((char) c);
        }
        return c == -1 && line.isEmpty() ? null : line.toString();
    }

    private static void must(KernelTools.Result result) {
        assertThat(result.ok()).as("%s", result.describe()).isTrue();
    }
}

package io.swarmnet.agent.datapath;

import static io.swarmnet.agent.datapath.Topology.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.agent.simulation.SimulatedPod;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux datapath on real kernel objects: three simulated nodes, desired states built by hand (no API),
 * traffic from real tools (ping, curl, busybox httpd, python sockets) inside pod namespaces. Pods are attached by veth
 * + bridge here (pinned, so that layout stays covered now that macvlan is the default);
 * {@link LinuxDatapathMacvlanKernelTest} runs every case again with macvlan children.
 */
@Tag("kernel")
class LinuxDatapathKernelTest {

    // internal networks: the outside, as a router task's pod network sees it (198.18.0.0/15: never routed anywhere)
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
    @TempDir
    Path temp;

    @BeforeEach
    void startCluster() {
        KernelAvailability.assumeKernelTestsCanRun("ip", "bridge", "nft", "nsenter", "busybox", "python3");
        cluster = SimulatedCluster.start(3);
        cluster.attachPodsBy(attachment());
        for (SimulatedNode node : cluster.nodes()) {
            datapaths.put(node, cluster.datapath(node));
            nodes.add(new Topology.Node(node.name(), node.underlayAddress(), node.underlayMtu()));
        }
    }

    /** How the datapaths of this class attach pods. */
    PodAttachmentMode attachment() {
        return PodAttachmentMode.VETH;
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
    void tasksOnThreeNodesPingAndExchangeTcpAcrossTheOverlay() throws Exception {
        Topology.Network net = topology.network("front", 4101, "10.201.0.0/24");
        for (int i = 1; i <= 3; i++) {
            place(pod("task-" + i), i, net, "10.201.0." + (10 + i));
        }
        applyAll();

        for (int from = 1; from <= 3; from++) {
            for (int to = 1; to <= 3; to++) {
                if (from != to) {
                    KernelTools.Result ping = cluster.exec(pods.get(pod("task-" + from)), "busybox", "ping", "-c", "1", "-W", "2", "10.201.0." + (10 + to));
                    assertThat(ping.ok()).as("task-%d pings task-%d: %s", from, to, ping.describe()).isTrue();
                }
            }
        }
        serveHttp(pods.get(pod("task-3")), "task-3");
        assertThat(httpGet(pods.get(pod("task-1")), "10.201.0.13")).isEqualTo("task-3");
        assertThat(httpGet(pods.get(pod("task-2")), "10.201.0.13")).isEqualTo("task-3");
        // the node with no task of the network does not carry it; the others carry exactly one network namespace
        assertThat(networkNamespaces(cluster.node(1))).containsExactly(cluster.node(1).datapathPrefix() + "-net-4101");
    }

    @Test
    void aTaskReachesItsGatewayAndItsArpForARemoteTaskIsAnsweredByTheVxlanDevice() {
        Topology.Network net = topology.network("arp", 4124, "10.224.0.0/24");
        place(pod("near"), 1, net, "10.224.0.11");
        place(pod("far"), 2, net, "10.224.0.12");
        applyAll();
        SimulatedPod near = pods.get(pod("near"));

        assertThat(ping(near, "10.224.0.1")).as("the network's gateway address, on node 1").isTrue();
        must(cluster.exec(near, "ip", "neigh", "flush", "dev", "eth1"));
        assertThat(ping(near, "10.224.0.12")).as("a task on node 2, its address resolved afresh").isTrue();
        // nothing answers ARP for a remote task but the VXLAN device's proxy, from its static entry
        KernelTools.Result neighbour = cluster.exec(near, "ip", "neigh", "show", "10.224.0.12", "dev", "eth1");
        assertThat(neighbour.stdout()).as(neighbour.describe())
                .contains(io.swarmnet.api.net.MacAddress.forTask(io.swarmnet.api.net.IpAddress.parse("10.224.0.12")).toString());
    }

    @Test
    void aTaskOnOneNetworkCannotReachATaskOnAnother() {
        Topology.Network a = topology.network("net-a", 4102, "10.202.0.0/24");
        Topology.Network b = topology.network("net-b", 4103, "10.203.0.0/24");
        place(pod("a-1"), 1, a, "10.202.0.11");
        place(pod("a-2"), 2, a, "10.202.0.12");
        place(pod("b-2"), 2, b, "10.203.0.12");
        place(pod("b-3"), 3, b, "10.203.0.13");
        applyAll();

        SimulatedPod a1 = pods.get(pod("a-1"));
        assertThat(cluster.exec(a1, "busybox", "ping", "-c", "1", "-W", "2", "10.202.0.12").ok()).isTrue();
        // give a-1 every chance: a route to net-b's subnet through its net-a interface; the VNI still separates them
        assertThat(cluster.exec(a1, "ip", "route", "add", "10.203.0.0/24", "dev", "eth1").ok()).isTrue();
        assertThat(cluster.exec(a1, "busybox", "ping", "-c", "2", "-W", "1", "10.203.0.12").ok()).as("net-a reaches a net-b task on the same node").isFalse();
        assertThat(cluster.exec(a1, "busybox", "ping", "-c", "2", "-W", "1", "10.203.0.13").ok()).as("net-a reaches a net-b task on another node").isFalse();
        assertThat(cluster.exec(pods.get(pod("b-3")), "busybox", "ping", "-c", "1", "-W", "2", "10.203.0.12").ok()).isTrue();
    }

    @Test
    void aVipSpreadsRequestsOverEveryBackendAndARemovedBackendStopsReceivingTraffic() throws Exception {
        Topology.Network net = topology.network("web", 4104, "10.204.0.0/24");
        place(pod("client"), 1, net, "10.204.0.10");
        for (int i = 1; i <= 3; i++) {
            place(pod("web-" + i), i, net, "10.204.0." + (20 + i));
        }
        topology.service("web", net, "10.204.0.2", List.of(pod("web-1"), pod("web-2"), pod("web-3")));
        applyAll();
        for (int i = 1; i <= 3; i++) {
            serveHttp(pods.get(pod("web-" + i)), "web-" + i);
        }

        Map<String, Integer> hits = hits(pods.get(pod("client")), "10.204.0.2", 30);
        assertThat(hits).containsOnlyKeys("web-1", "web-2", "web-3");
        assertThat(hits.values()).allMatch(n -> n == 10);

        topology.service("web", net, "10.204.0.2", List.of(pod("web-1"), pod("web-3")));
        ApplyReport change = datapaths.get(cluster.node(1)).apply(topology.desired(nodes.get(0)));
        assertThat(change.complete()).as("%s", change).isTrue();
        List<Plan.Step> transactions = datapaths.get(cluster.node(1)).lastPlan().phases().stream()
                .flatMap(p -> p.steps().stream()).toList();
        assertThat(transactions.stream().filter(s -> s.tool() == Plan.Tool.NFT)).as("one nft transaction per local pod (client, web-1)")
                .hasSize(2).allMatch(s -> s.commands().size() <= 5);
        assertThat(transactions.stream().filter(s -> s.tool() != Plan.Tool.NFT)).as("and in each, the flows to web-2 deleted; nothing else")
                .hasSize(2).allMatch(s -> s.tool() == Plan.Tool.CONNTRACK && s.commands().size() == 1);
        Map<String, Integer> after = hits(pods.get(pod("client")), "10.204.0.2", 30);
        assertThat(after).containsOnlyKeys("web-1", "web-3");

        // no backends: connections are refused at once instead of hanging
        topology.service("web", net, "10.204.0.2", List.of());
        datapaths.get(cluster.node(1)).apply(topology.desired(nodes.get(0)));
        long start = System.nanoTime();
        KernelTools.Result refused = cluster.exec(pods.get(pod("client")), "curl", "-sS", "--max-time", "5", "http://10.204.0.2/");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(refused.exitCode()).as("curl exit code (7: could not connect, 28: timed out): %s", refused.describe()).isEqualTo(7);
        assertThat(millis).as("refused at once, not after the 5 s timeout").isLessThan(2000);
    }

    @Test
    void theNetworkNamespaceLeavesANodeWithItsLastTask() {
        Topology.Network net = topology.network("short", 4105, "10.205.0.0/24");
        place(pod("s-1"), 1, net, "10.205.0.11");
        place(pod("s-2"), 1, net, "10.205.0.12");
        place(pod("s-3"), 2, net, "10.205.0.13");
        applyAll();
        SimulatedNode node1 = cluster.node(1);
        assertThat(networkNamespaces(node1)).hasSize(1);

        topology.remove(pod("s-1"));
        cluster.deletePod(pod("s-1"));
        applyAll();
        assertThat(networkNamespaces(node1)).as("one task remains").hasSize(1);
        assertThat(cluster.exec(pods.get(pod("s-2")), "busybox", "ping", "-c", "1", "-W", "2", "10.205.0.13").ok()).isTrue();

        topology.remove(pod("s-2"));
        cluster.deletePod(pod("s-2"));
        applyAll();
        assertThat(networkNamespaces(node1)).as("last task gone").isEmpty();
        assertThat(linkNames(node1.hostNamespace())).noneMatch(n -> n.startsWith(node1.datapathPrefix()));
        // node 2 no longer has a remote endpoint for the removed tasks
        String ns2 = cluster.node(2).datapathPrefix() + "-net-4105";
        KernelTools.Result neigh = new KernelTools().read(new NetNamespace.Named(ns2), List.of("ip", "neigh", "show", "nud", "permanent"));
        assertThat(neigh.stdout()).doesNotContain("10.205.0.11").doesNotContain("10.205.0.12");
    }

    @Test
    void reapplyingTheSameStateChangesNothing() {
        Topology.Network net = topology.network("steady", 4106, "10.206.0.0/24");
        for (int i = 1; i <= 3; i++) {
            place(pod("st-" + i), i, net, "10.206.0." + (10 + i));
        }
        topology.service("steady", net, "10.206.0.2", List.of(pod("st-1"), pod("st-2"), pod("st-3")));
        applyAll();
        for (SimulatedNode node : cluster.nodes()) {
            ApplyReport again = datapaths.get(node).apply(topology.desired(nodes.get(node.index() - 1)));
            assertThat(again.changes()).as("changes on %s: %s", node.name(), datapaths.get(node).lastPlan()).isZero();
            assertThat(datapaths.get(node).lastPlan().isEmpty()).isTrue();
            assertThat(again.attachedPods()).hasSize(1);
        }
    }

    @Test
    void aRestartedDatapathKeepsEstablishedConnectionsAcrossTheOverlayAndThroughAVip() throws Exception {
        Topology.Network net = topology.network("keep", 4107, "10.207.0.0/24");
        place(pod("client"), 1, net, "10.207.0.10");
        place(pod("server"), 2, net, "10.207.0.20");
        topology.service("echo", net, "10.207.0.2", List.of(pod("server")));
        applyAll();
        Path server = resource("echo_server.py");
        Path client = resource("echo_client.py");
        cluster.startProcess(pods.get(pod("server")), "/usr/bin/python3", server.toString(), "9000", "60");
        waitForListener(pods.get(pod("server")), 9000);

        Process direct = cluster.startProcessWithOutput(pods.get(pod("client")), "/usr/bin/python3", client.toString(), "10.207.0.20", "9000", "6");
        Process viaVip = cluster.startProcessWithOutput(pods.get(pod("client")), "/usr/bin/python3", client.toString(), "10.207.0.2", "9000", "6");
        LineWatcher directLines = new LineWatcher(direct.getInputStream());
        LineWatcher vipLines = new LineWatcher(viaVip.getInputStream());
        assertThat(directLines.await("ok 3", 10)).as("direct connection established: %s", directLines.lines()).isTrue();
        assertThat(vipLines.await("ok 3", 10)).as("VIP connection established: %s", vipLines.lines()).isTrue();

        // the agent restarts: new datapath instances, nothing remembered, kernel read afresh
        for (SimulatedNode node : cluster.nodes()) {
            datapaths.remove(node).close();
            LinuxDatapath fresh = cluster.datapath(node);
            datapaths.put(node, fresh);
            ApplyReport report = fresh.apply(topology.desired(nodes.get(node.index() - 1)));
            assertThat(report.changes()).as("restart of %s changed the kernel: %s", node.name(), fresh.lastPlan()).isZero();
        }

        assertThat(direct.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(viaVip.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(direct.exitValue()).as("direct connection: %s", directLines.lines()).isZero();
        assertThat(viaVip.exitValue()).as("VIP connection: %s", vipLines.lines()).isZero();
        assertThat(directLines.lines()).anyMatch(l -> l.startsWith("done"));
    }

    @Test
    void aUdpStreamThroughAVipMovesToALiveBackendAsSoonAsItsBackendLeavesTheVip() throws Exception {
        Topology.Network net = clientAndTwoBackends("stream", 4108, "10.208.0");
        try (NamedEcho b1 = NamedEcho.start(pods.get(pod("b-1")).namespacePath(), "b-1", 7000);
                NamedEcho b2 = NamedEcho.start(pods.get(pod("b-2")).namespacePath(), "b-2", 7000);
                UdpStream stream = UdpStream.start(pods.get(pod("client")).namespacePath(), "10.208.0.2", 7000,
                        Duration.ofMillis(50), Duration.ofSeconds(10))) {
            assertThat(stream.awaitAnswers(5, 5)).as("answers through the VIP: %s", stream.answers()).isTrue();
            String chosen = stream.answers().get(0).backend();
            assertThat(stream.answers()).as("one source port, one flow, one backend").allMatch(a -> a.backend().equals(chosen));
            String other = chosen.equals("b-1") ? "b-2" : "b-1";

            // the chosen task becomes not ready: it leaves the VIP, but still runs and would go on answering
            topology.service("stream", net, "10.208.0.2", List.of(pod(other)));
            ApplyReport report = datapaths.get(cluster.node(1)).apply(topology.desired(nodes.get(0)));
            long applied = System.nanoTime();
            assertThat(report.complete()).as("%s", report).isTrue();
            assertThat(datapaths.get(cluster.node(1)).lastPlan().lines(Plan.Tool.CONNTRACK))
                    .containsExactly("delete orig-dst 10.208.0.2 reply-src " + topology.address(pod(chosen), net) + " keep-tcp");
            sleep(1000);

            List<UdpStream.Answer> after = stream.answers().stream().filter(a -> a.sentNanos() > applied).toList();
            assertThat(after).as("answers to datagrams sent after the change: %s", after).isNotEmpty()
                    .allMatch(a -> a.backend().equals(other));
            long firstMillis = TimeUnit.NANOSECONDS.toMillis(after.get(0).arrivedNanos() - applied);
            System.out.printf("UDP stream: first answer from the live backend %d ms after the apply returned%n", firstMillis);
            assertThat(firstMillis).as("the very next datagrams reach the live backend").isLessThan(300);
        }
    }

    @Test
    void aTcpConnectionToANotReadyBackendGoesOnAndOneToAGoneBackendIsResetAtItsNextSegment() throws Exception {
        Topology.Network net = clientAndTwoBackends("conn", 4109, "10.209.0");
        try (NamedEcho b1 = NamedEcho.start(pods.get(pod("b-1")).namespacePath(), "b-1", 7001);
                NamedEcho b2 = NamedEcho.start(pods.get(pod("b-2")).namespacePath(), "b-2", 7001);
                // connected on the thread in the namespace: an unconnected java.net.Socket has no kernel socket yet
                java.net.Socket connection = io.swarmnet.agent.netns.NetworkNamespace.callInside(
                        pods.get(pod("client")).namespacePath(), "tcp-client", () -> {
                            java.net.Socket s = new java.net.Socket();
                            s.connect(new java.net.InetSocketAddress("10.209.0.2", 7001), 3000);
                            return s;
                        })) {
            connection.setSoTimeout(3000);
            BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8));
            String chosen = exchange(connection, in, "1").split(" ")[0];
            String other = chosen.equals("b-1") ? "b-2" : "b-1";

            // not ready: the task leaves the VIP but lives; its open connection may finish (UDP flows would move)
            topology.service("conn", net, "10.209.0.2", List.of(pod(other)));
            applyAll();
            assertThat(exchange(connection, in, "2")).isEqualTo(chosen + " 2");

            // gone: the task and its namespace are removed; the next segment goes through the VIP to a live backend
            topology.remove(pod(chosen));
            cluster.deletePod(pod(chosen));
            pods.remove(pod(chosen));
            applyAll();
            long sent = System.nanoTime();
            // the connection's next segment may be the client's delayed ACK of "2"'s answer when the change lands
            // within the ACK delay: then the reset is already there and the write reports it, else the read does
            Throwable reset = org.assertj.core.api.Assertions.catchThrowable(() -> {
                connection.getOutputStream().write("3\n".getBytes(StandardCharsets.UTF_8));
                in.readLine();
            });
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            System.out.printf("TCP to a gone backend: %s after %d ms%n", reset, millis);
            assertThat(reset).as("the connection to the gone task is reset, not left hanging").isInstanceOf(java.net.SocketException.class)
                    .hasMessageContaining("reset");
            assertThat(millis).isLessThan(1000);
        }
    }

    @Test
    void aBackendChangeStartsNoProcessAndDriftIsRepairedOnceWhatWasReadIsDueAgain() throws Exception {
        Topology.Network net = topology.network("trust", 4110, "10.210.0.0/24");
        place(pod("client"), 1, net, "10.210.0.10");
        place(pod("b-1"), 2, net, "10.210.0.21");
        place(pod("b-2"), 3, net, "10.210.0.22");
        topology.service("trust", net, "10.210.0.2", List.of(pod("b-1"), pod("b-2")));
        applyAll();
        Duration trust = Duration.ofSeconds(2);
        try (LinuxDatapath node1 = cluster.datapath(cluster.node(1), trust)) {
            long readStarted = System.nanoTime();
            assertThat(node1.apply(topology.desired(nodes.get(0))).changes()).as("a new datapath finds node 1 converged").isZero();
            long processes = node1.processesStarted();
            assertThat(processes).as("the first apply reads the kernel").isPositive();

            // a backend leaves the VIP: the VIP tables change, nothing is read, no process starts
            topology.service("trust", net, "10.210.0.2", List.of(pod("b-2")));
            ApplyReport change = node1.apply(topology.desired(nodes.get(0)));
            assertThat(change.complete()).as("%s", change).isTrue();
            assertThat(node1.lastPlan().lines(Plan.Tool.NFT)).isNotEmpty();
            assertThat(node1.processesStarted()).as("processes started by a backend change").isEqualTo(processes);
            assertThat(node1.lastTimings().tablesListed()).isZero();

            // someone removes the network namespace's neighbour entries: trusted until what was read is due again
            KernelNames names = new KernelNames(cluster.node(1).datapathPrefix());
            io.swarmnet.api.net.Vni vni = new io.swarmnet.api.net.Vni(4110);
            KernelTools.Result flush = cluster.execOnNode(cluster.node(1), "ip", "netns", "exec", names.networkNamespace(vni),
                    "ip", "neigh", "flush", "dev", names.vxlan(vni), "nud", "permanent");
            assertThat(flush.ok()).as(flush.describe()).isTrue();
            if (System.nanoTime() - readStarted < trust.toNanos()) {
                assertThat(node1.apply(topology.desired(nodes.get(0))).changes()).as("within the trust, nothing is read").isZero();
                assertThat(node1.processesStarted()).isEqualTo(processes);
            }
            sleep(trust.toMillis() + 200);
            ApplyReport repaired = node1.apply(topology.desired(nodes.get(0)));
            assertThat(repaired.complete()).as("%s", repaired).isTrue();
            assertThat(node1.lastPlan().lines(Plan.Tool.IP)).as("the neighbours put back").anyMatch(l -> l.contains("neigh"));
            KernelTools.Result ping = cluster.exec(pods.get(pod("client")), "busybox", "ping", "-c", "1", "-W", "2", "10.210.0.22");
            assertThat(ping.ok()).as(ping.describe()).isTrue();
            assertThat(node1.apply(topology.desired(nodes.get(0))).changes()).as("converged again").isZero();
        }
    }

    @Test
    void aBackendChangeListsNoTableAndRepairsDriftTheRefresherFoundBetweenApplies() throws Exception {
        Topology.Network net = clientAndTwoBackends("fresh", 4113, "10.213.0");
        Duration trust = Duration.ofSeconds(1);
        try (LinuxDatapath node1 = convergedNode1(trust)) {
            // someone removes the network namespace's neighbour entries; what was read is due again meanwhile
            KernelNames names = new KernelNames(cluster.node(1).datapathPrefix());
            io.swarmnet.api.net.Vni vni = new io.swarmnet.api.net.Vni(4113);
            KernelTools.Result flush = cluster.execOnNode(cluster.node(1), "ip", "netns", "exec", names.networkNamespace(vni),
                    "ip", "neigh", "flush", "dev", names.vxlan(vni), "nud", "permanent");
            assertThat(flush.ok()).as(flush.describe()).isTrue();
            sleep(3 * trust.toMillis());

            // a backend leaves: its apply lists nothing, and repairs what the refresher read between the applies
            topology.service("fresh", net, "10.213.0.2", List.of(pod("b-2")));
            ApplyReport change = node1.apply(topology.desired(nodes.get(0)));
            assertThat(change.complete()).as("%s", change).isTrue();
            assertThat(node1.lastTimings().tablesListed()).as("pod tables listed by the change's apply").isZero();
            assertThat(node1.lastPlan().lines(Plan.Tool.NFT)).isNotEmpty();
            assertThat(node1.lastPlan().lines(Plan.Tool.IP)).as("the neighbours put back").anyMatch(l -> l.contains("neigh"));
            KernelTools.Result ping = cluster.exec(pods.get(pod("client")), "busybox", "ping", "-c", "1", "-W", "2", "10.213.0.22");
            assertThat(ping.ok()).as(ping.describe()).isTrue();
        }
    }

    @Test
    void aQuietPodsTableIsNotListedAgainWhileItsNamespaceRulesetStaysAtTheSameGeneration() throws Exception {
        Topology.Network net = clientAndTwoBackends("quiet", 4114, "10.214.0");
        Duration trust = Duration.ofMillis(500);
        try (LinuxDatapath node1 = convergedNode1(trust)) {
            long listed = node1.tablesListed();
            assertThat(listed).as("the first apply lists the client's table").isEqualTo(1);

            // a backend change: our own commit, which the kernel reports as the namespace's next generation
            topology.service("quiet", net, "10.214.0.2", List.of(pod("b-2")));
            ApplyReport change = node1.apply(topology.desired(nodes.get(0)));
            assertThat(change.complete()).as("%s", change).isTrue();
            assertThat(node1.lastPlan().lines(Plan.Tool.NFT)).isNotEmpty();

            // the table is due every half second: each time the generation is asked for, the table not listed again
            sleep(8 * trust.toMillis());
            assertThat(node1.tablesFoundUnchanged()).as("due tables found unchanged by their generation").isGreaterThanOrEqualTo(4);
            assertThat(node1.tablesListed()).as("tables listed while nothing but the datapath committed").isEqualTo(listed);
            assertThat(node1.apply(topology.desired(nodes.get(0))).changes()).as("still converged").isZero();
            assertThat(node1.tablesListed()).as("listed by a resync apply with nothing changed").isEqualTo(listed);
        }
    }

    @Test
    void anElementDeletedAndATableFlushedByHandInThePodAreRepairedAfterTheNextRefresh() throws Exception {
        Topology.Network net = clientAndTwoBackends("byhand", 4115, "10.215.0");
        String vip = "10.215.0.2";
        SimulatedPod client = pods.get(pod("client"));
        serveHttp(pods.get(pod("b-2")), "b-2");
        String table = new KernelNames(cluster.node(1).datapathPrefix()).vipTable();
        Duration trust = Duration.ofMillis(500);
        try (LinuxDatapath node1 = convergedNode1(trust)) {
            // once the table is known at the namespace's generation, the refresher stops listing it
            awaitUntil(() -> node1.tablesFoundUnchanged() > 0, "a due table found unchanged");
            assertThat(vipMap(client, table)).contains(vip);

            // someone deletes the VIP's element by hand: the next refresh lists the table, the next apply puts it back
            must(cluster.exec(client, "nft", "delete", "element", "ip", table, "vips", "{ " + vip + " }"));
            assertThat(vipMap(client, table)).doesNotContain(vip);
            awaitListedAndTaken(node1, node1.tablesListed());
            topology.service("byhand", net, vip, List.of(pod("b-2")));
            ApplyReport repaired = node1.apply(topology.desired(nodes.get(0)));
            assertThat(repaired.complete()).as("%s", repaired).isTrue();
            assertThat(node1.lastTimings().tablesListed()).as("tables listed by the change's apply").isZero();
            assertThat(vipMap(client, table)).as("the VIP's element, put back").contains(vip);
            assertThat(httpGet(client, vip)).isEqualTo("b-2");

            // someone flushes the whole table (every rule goes; chains, maps and elements stay) once the repaired table is
            // known at a generation again (libnftables ran the repair, whose commit it does not report: listed once more)
            awaitListedAndTaken(node1, node1.tablesListed());
            must(cluster.exec(client, "nft", "flush", "table", "ip", table));
            assertThat(nftList(client, "table", "ip", table)).doesNotContain("vmap @vips").doesNotContain("dnat to");
            awaitListedAndTaken(node1, node1.tablesListed());
            ApplyReport rebuilt = node1.apply(topology.desired(nodes.get(0)));
            assertThat(rebuilt.complete()).as("%s", rebuilt).isTrue();
            assertThat(rebuilt.changes()).as("the flushed table, rebuilt").isPositive();
            assertThat(nftList(client, "table", "ip", table)).contains("ip daddr vmap @vips").contains("dnat to numgen inc mod 1");
            assertThat(httpGet(client, vip)).isEqualTo("b-2");
            assertThat(node1.apply(topology.desired(nodes.get(0))).changes()).as("converged again").isZero();
        }
    }

    /** The VIP map of the pod's table as {@code nft} lists it. */
    private String vipMap(SimulatedPod pod, String table) {
        return nftList(pod, "map", "ip", table, "vips");
    }

    /** {@code nft list WHAT} in the pod. */
    private String nftList(SimulatedPod pod, String... what) {
        List<String> command = new ArrayList<>(List.of("nft", "list"));
        command.addAll(List.of(what));
        KernelTools.Result list = cluster.exec(pod, command.toArray(String[]::new));
        must(list);
        return list.stdout();
    }

    /**
     * Waits until the refresher, with no apply running, has listed a table after {@code listedBefore} listings and taken
     * the listing: a due table is then found unchanged by its generation (a listing not taken would be made again).
     */
    private static void awaitListedAndTaken(LinuxDatapath datapath, long listedBefore) {
        awaitUntil(() -> datapath.tablesListed() > listedBefore, "a table listed by the refresher");
        long unchanged = datapath.tablesFoundUnchanged();
        awaitUntil(() -> datapath.tablesFoundUnchanged() > unchanged, "the listed table found unchanged at its next due time");
    }

    private static void awaitUntil(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
            sleep(50);
        }
    }

    /*
     * Internal networks. The overlay itself never forwards anywhere (the network namespace holds no route beyond the
     * subnet), so the way out of a network is a task that routes: here a "router" task with forwarding on and a link
     * into an "outside" namespace, standing for its pod's own Kubernetes network, and tasks that route towards the
     * outside through it. On a plain network that works, as it does with Docker's overlays; on an internal one
     * nothing passes the router in either direction, while the tasks still reach each other, the router and a VIP.
     */
    @Test
    void backendChangesWorkedOutFromTheChangeLeaveTheKernelAsAFreshDatapathWantsIt() {
        Topology.Network net = topology.network("churn", 4112, "10.212.0.0/24");
        place(pod("c-1"), 1, net, "10.212.0.10");
        place(pod("c-2"), 1, net, "10.212.0.11");
        List<PodRef> tasks = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            tasks.add(pod("t-" + i));
            place(tasks.get(i - 1), 2 + i % 2, net, "10.212.0." + (20 + i));
        }
        java.util.Random random = new java.util.Random(7);
        Map<String, List<PodRef>> services = new java.util.TreeMap<>();
        for (int s = 0; s < 8; s++) {
            services.put("s" + s, new ArrayList<>(tasks.subList(s % 3, s % 3 + 3)));
        }
        services.forEach((name, backends) -> topology.service(name, net, vip(name), backends));
        applyAll();
        LinuxDatapath node1 = datapaths.get(cluster.node(1));
        int fromMemory = 0;
        for (int round = 1; round <= 40; round++) {
            // a backend leaves or comes back; now and then a service loses every backend or gets a new one
            String name = "s" + random.nextInt(10);
            List<PodRef> backends = services.computeIfAbsent(name, n -> new ArrayList<>());
            PodRef task = tasks.get(random.nextInt(tasks.size()));
            if (random.nextInt(8) == 0) {
                backends.clear();
            } else if (!backends.remove(task)) {
                backends.add(task);
            }
            topology.service(name, net, vip(name), backends);
            ApplyReport change = node1.apply(topology.desired(nodes.get(0)));
            assertThat(change.complete()).as("round %d: %s", round, change).isTrue();
            if (node1.lastTimings().tablesListed() == 0 && !node1.lastPlan().lines(Plan.Tool.NFT).isEmpty()) {
                fromMemory++;
            }
            if (round % 8 == 0) {
                // a datapath that reads every table from the kernel and compares it whole finds nothing to do
                try (LinuxDatapath fresh = cluster.datapath(cluster.node(1))) {
                    ApplyReport again = fresh.apply(topology.desired(nodes.get(0)));
                    assertThat(again.changes()).as("round %d, a fresh datapath's plan: %s", round, fresh.lastPlan()).isZero();
                }
            }
        }
        assertThat(fromMemory).as("changes planned against the tables the datapath remembered").isGreaterThan(20);
    }

    private static String vip(String service) {
        return "10.212.0." + (200 + Integer.parseInt(service.substring(1)));
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
        linkToOutside(iClient, "c0", OUTSIDE_ON_CLIENT_LINK, CLIENT_OWN);

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
            assertThat(exchange(viaVip, reader(viaVip), "hello")).isEqualTo("i-server hello");
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
            BufferedReader directIn = reader(direct);
            BufferedReader vipIn = reader(viaVip);
            assertThat(exchange(direct, directIn, "1")).isEqualTo("server 1");
            assertThat(exchange(viaVip, vipIn, "1")).isEqualTo("server 1");

            topology.internal(net, true);
            applyAll();
            for (SimulatedNode node : cluster.nodes()) {
                Plan plan = datapaths.get(node).lastPlan();
                assertThat(plan.lines(Plan.Tool.IP)).as("%s: the change is the task's device group, in place", node.name())
                        .containsExactly("link set dev eth1 group " + KernelNames.INTERNAL_GROUP);
                assertThat(plan.size()).as("%s: nothing else: %s", node.name(), plan).isEqualTo(1);
            }
            assertThat(exchange(direct, directIn, "2")).as("a connection across the overlay survives the switch").isEqualTo("server 2");
            assertThat(exchange(viaVip, vipIn, "2")).as("a connection through the VIP survives the switch").isEqualTo("server 2");
            assertThat(ping(client, OUTSIDE)).as("internal: through the router").isFalse();

            topology.internal(net, false);
            applyAll();
            assertThat(datapaths.get(cluster.node(1)).lastPlan().lines(Plan.Tool.IP)).containsExactly("link set dev eth1 group 0");
            assertThat(ping(client, OUTSIDE)).as("plain again: through the router").isTrue();
            assertThat(exchange(direct, directIn, "3")).isEqualTo("server 3");
            assertThat(exchange(viaVip, vipIn, "3")).isEqualTo("server 3");
        }
    }

    // --- helpers -------------------------------------------------------------------------------------------

    private void place(PodRef ref, int node, Topology.Network network, String address) {
        topology.task(ref, nodes.get(node - 1), network, address);
        if (!pods.containsKey(ref)) {
            pods.put(ref, cluster.createPod(cluster.node(node), ref));
        }
    }

    /** A network PREFIX.0/24 with a client on node 1 and tasks b-1, b-2 on nodes 2 and 3 behind service NAME's VIP PREFIX.2. */
    private Topology.Network clientAndTwoBackends(String name, int vni, String prefix) {
        Topology.Network net = topology.network(name, vni, prefix + ".0/24");
        place(pod("client"), 1, net, prefix + ".10");
        place(pod("b-1"), 2, net, prefix + ".21");
        place(pod("b-2"), 3, net, prefix + ".22");
        topology.service(name, net, prefix + ".2", List.of(pod("b-1"), pod("b-2")));
        applyAll();
        return net;
    }

    /** A new datapath for node 1 that trusts what it read for {@code trust}, after its first apply found nothing to do. */
    private LinuxDatapath convergedNode1(Duration trust) {
        LinuxDatapath node1 = cluster.datapath(cluster.node(1), trust);
        try {
            assertThat(node1.apply(topology.desired(nodes.get(0))).changes()).as("a new datapath finds node 1 converged").isZero();
            return node1;
        } catch (RuntimeException | AssertionError e) {
            node1.close();
            throw e;
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

    private void serveHttp(SimulatedPod pod, String name) throws IOException {
        Path root = Files.createDirectories(temp.resolve("www-" + name));
        Files.writeString(root.resolve("index.html"), name);
        cluster.startProcess(pod, "busybox", "httpd", "-f", "-p", "80", "-h", root.toString());
        waitForListener(pod, 80);
    }

    private void waitForListener(SimulatedPod pod, int port) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            KernelTools.Result ss = cluster.exec(pod, "ss", "-Hltn", "sport", "= :" + port);
            if (ss.ok() && !ss.stdout().isBlank()) {
                return;
            }
            sleep(50);
        }
        throw new AssertionError("nothing listens on port " + port + " in pod " + pod.ref() + " after 10 s");
    }

    private String httpGet(SimulatedPod from, String address) {
        KernelTools.Result r = cluster.exec(from, "curl", "-sS", "--max-time", "3", "http://" + address + "/");
        assertThat(r.ok()).as("GET http://%s/ from %s: %s", address, from.ref(), r.describe()).isTrue();
        return r.stdout().strip();
    }

    private Map<String, Integer> hits(SimulatedPod from, String address, int requests) {
        // one process for all requests: each curl is a new connection, so a new round-robin pick
        KernelTools.Result r = cluster.exec(from, "sh", "-c",
                "for i in $(seq " + requests + "); do curl -sS --max-time 3 http://" + address + "/; echo; done");
        assertThat(r.ok()).as("%d requests to %s: %s", requests, address, r.describe()).isTrue();
        Map<String, Integer> hits = new HashMap<>();
        Arrays.stream(r.stdout().split("\n")).map(String::strip).filter(s -> !s.isEmpty()).forEach(s -> hits.merge(s, 1, Integer::sum));
        assertThat(hits.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(requests);
        return hits;
    }

    private List<String> networkNamespaces(SimulatedNode node) {
        String[] all = new java.io.File("/run/netns").list();
        return all == null ? List.of() : Arrays.stream(all).filter(n -> n.startsWith(node.datapathPrefix() + "-net-")).sorted().toList();
    }

    private static List<String> linkNames(NetNamespace ns) {
        KernelTools.Result r = new KernelTools().read(ns, List.of("ip", "-o", "link", "show"));
        return Arrays.stream(r.stdout().split("\n")).filter(l -> l.contains(": "))
                .map(l -> l.split(":\\s+")[1].split("@")[0]).toList();
    }

    private Path resource(String name) throws IOException {
        Path target = temp.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/simulation/" + name)) {
            Files.copy(in, target);
        }
        return target;
    }

    private static String exchange(java.net.Socket connection, BufferedReader in, String line) throws IOException {
        connection.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        String answer = in.readLine();
        assertThat(answer).as("answer to %s", line).isNotNull();
        return answer;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Collects a process's output lines on a thread, so the test can wait for one. */
    static final class LineWatcher {
        private final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

        LineWatcher(InputStream stream) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                        queue.add(line);
                    }
                } catch (IOException e) {
                    lines.add("read error: " + e);
                }
            }, "line-watcher");
            t.setDaemon(true);
            t.start();
        }

        boolean await(String wanted, int seconds) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                String line = queue.poll(100, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith(wanted)) {
                    return true;
                }
            }
            return false;
        }

        List<String> lines() {
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }
    }

    /**
     * Gives the router task a link into the outside namespace (its pod network, as far as these tests are concerned),
     * turns forwarding on in it, and routes the overlay subnets back from the outside through it.
     */
    private void connectRouterToOutside(String... subnets) {
        SimulatedPod router = pods.get(pod("router"));
        linkToOutside(router, "r0", OUTSIDE, ROUTER_OUTSIDE);
        must(cluster.exec(router, "sysctl", "-qw", "net.ipv4.ip_forward=1"));
        for (String subnet : subnets) {
            must(tools.run(List.of("ip", "-n", outside(), "route", "add", subnet, "via", ROUTER_OUTSIDE), null));
        }
    }

    /** A veth between {@code pod} (up0, {@code podAddress}/24) and the outside namespace ({@code end}, {@code outsideAddress}/24). */
    private void linkToOutside(SimulatedPod pod, String end, String outsideAddress, String podAddress) {
        must(tools.run(List.of("ip", "-n", outside(), "link", "add", "name", end, "type", "veth", "peer", "name", "up0", "netns",
                pod.namespace()), null));
        must(tools.run(List.of("ip", "-n", outside(), "addr", "add", outsideAddress + "/24", "dev", end), null));
        must(tools.run(List.of("ip", "-n", outside(), "link", "set", "dev", end, "up"), null));
        must(cluster.exec(pod, "ip", "addr", "add", podAddress + "/24", "dev", "up0"));
        must(cluster.exec(pod, "ip", "link", "set", "dev", "up0", "up"));
    }

    /** The namespace standing for what lies beyond the overlays, made on first use and removed after the test. */
    private String outside() {
        if (outside == null) {
            String name = cluster.prefix() + "-out";
            must(tools.run(List.of("ip", "netns", "add", name), null));
            outside = name;
            must(tools.run(List.of("ip", "-n", outside, "link", "set", "dev", "lo", "up"), null));
        }
        return outside;
    }

    /** What a route added by hand or by another component in the task does: the outside through a task of the network. */
    private void routeOutsideVia(SimulatedPod task, String router) {
        must(cluster.exec(task, "ip", "route", "add", OUTSIDE + "/32", "via", router, "dev", "eth1"));
    }

    private boolean ping(SimulatedPod from, String address) {
        return cluster.exec(from, "busybox", "ping", "-c", "2", "-W", "1", address).ok();
    }

    private boolean pingFromOutside(String address) {
        return tools.run(List.of("ip", "netns", "exec", outside(), "busybox", "ping", "-c", "2", "-W", "1", address), null).ok();
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

    private static BufferedReader reader(Socket connection) throws IOException {
        return new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8));
    }

    private static void must(KernelTools.Result result) {
        assertThat(result.ok()).as("%s", result.describe()).isTrue();
    }
}

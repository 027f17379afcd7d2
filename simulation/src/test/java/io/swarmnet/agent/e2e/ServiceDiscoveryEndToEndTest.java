package io.swarmnet.agent.e2e;

import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.PodAttachmentMode;
import io.swarmnet.agent.desired.DesiredDatapath;
import io.swarmnet.agent.dns.DnsSettings;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 4 end to end: three simulated nodes with real node agents (Linux datapath, embedded resolver,
 * encryption on), a real dnsmasq standing for the cluster DNS, and real {@code dig} and busybox
 * {@code nslookup} inside task namespaces.
 *
 * <pre>
 *   front 10.230.0.0/24: my-web (vip 10.230.0.2, alias "web"; tasks on node-2, node-3, node-2),
 *                        my-dnsrr (dnsrr; tasks on node-2, node-3, node-1), client-1 on node-1
 *   back  10.231.0.0/24: other-1 on node-1 (shares no network with my-web)
 * </pre>
 *
 * One stage for the class (starting it costs seconds); the freshness test changes the cluster and
 * runs last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("e2e")
class ServiceDiscoveryEndToEndTest {

    /** The one name the stand-in cluster DNS knows. */
    private static final String CLUSTER_NAME = "kubernetes.default.svc.cluster.local";
    private static final String CLUSTER_NAME_ADDRESS = "10.96.0.1";
    private static final String VIP = "10.230.0.2";
    private static final List<String> WEB_TASKS = List.of("10.230.0.21", "10.230.0.22", "10.230.0.23");
    private static final List<String> DNSRR_TASKS = List.of("10.230.0.31", "10.230.0.32", "10.230.0.33");

    AgentCluster stage;
    private Process upstream;

    /**
     * How the agents attach pods: the default (macvlan children); {@link ServiceDiscoveryOverVethEndToEndTest} runs every
     * case with veths on a bridge.
     */
    PodAttachmentMode attachment() {
        return PodAttachmentMode.DEFAULT;
    }

    @BeforeAll
    void start() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        for (String tool : List.of("ip", "bridge", "nft", "dig", "busybox", "dnsmasq", "ss")) {
            assumeTrue(AgentCluster.onPath(tool), "needs '" + tool + "' on PATH (scripts/install-deps.sh installs it)");
        }
        int upstreamPort = freeUdpPort();
        upstream = startDnsmasq(upstreamPort);
        stage = AgentCluster.start(3, attachment());
        stage.createWithStatus(network("front").allocated("10.230.0.0/24", "10.230.0.1", 4701).build());
        stage.createWithStatus(network("back").allocated("10.231.0.0/24", "10.231.0.1", 4702).build());
        stage.createWithStatus(service("my-web").network("front", "web").vip("front", VIP).build());
        stage.createWithStatus(service("my-dnsrr").network("front").dnsrr().build());
        stage.createWithStatus(service("client").network("front").vip("front", "10.230.0.3").build());
        stage.createWithStatus(service("other").network("back").vip("back", "10.231.0.2").build());
        stage.runAgents(new DnsSettings(Optional.of(new InetSocketAddress("127.0.0.1", upstreamPort)), Duration.ofSeconds(1)));
        stage.runTask("client-1", "client", 1, Map.of("front", "10.230.0.10"));
        stage.runTask("other-1", "other", 1, Map.of("back", "10.231.0.10"));
        stage.runTask("my-web-1", "my-web", 2, Map.of("front", WEB_TASKS.get(0)));
        stage.runTask("my-web-2", "my-web", 3, Map.of("front", WEB_TASKS.get(1)));
        stage.runTask("my-web-3", "my-web", 2, Map.of("front", WEB_TASKS.get(2)));
        stage.runTask("my-dnsrr-1", "my-dnsrr", 2, Map.of("front", DNSRR_TASKS.get(0)));
        stage.runTask("my-dnsrr-2", "my-dnsrr", 3, Map.of("front", DNSRR_TASKS.get(1)));
        stage.runTask("my-dnsrr-3", "my-dnsrr", 1, Map.of("front", DNSRR_TASKS.get(2)));
        stage.awaitAttached("client-1", "other-1", "my-web-1", "my-web-2", "my-web-3", "my-dnsrr-1", "my-dnsrr-2", "my-dnsrr-3");
        AgentCluster.await("client-1's resolver lists all three my-web tasks",
                () -> digShort("client-1", "tasks.my-web").containsAll(WEB_TASKS), Duration.ofSeconds(20));
    }

    @AfterAll
    void stop() {
        try {
            if (stage != null) {
                stage.close();
            }
        } finally {
            if (upstream != null) {
                upstream.destroyForcibly();
            }
        }
    }

    @Test
    @Order(0)
    void theTasksInterfaceIsOfTheAttachmentsKindAndNoneIsOfTheOther() {
        for (PodAttachmentMode mode : PodAttachmentMode.values()) {
            KernelTools.Result link = stage.exec("client-1", "ip", "-d", "-o", "link", "show", "type", mode.setting());
            assertThat(link.ok()).as(link.describe()).isTrue();
            if (mode == attachment()) {
                assertThat(link.stdout()).as("client-1's %s links", mode).contains(DesiredDatapath.INTERFACE_PREFIX)
                        .contains(mode.setting());
            } else {
                assertThat(link.stdout()).as("client-1's %s links", mode).isBlank();
            }
        }
    }

    @Test
    @Order(1)
    void aServiceNameGivesItsVipAndTasksNameGivesEveryReadyTask() {
        String vip = nslookup("client-1", "my-web");
        assertThat(addressesIn(vip)).as("busybox nslookup my-web:%n%s", vip).containsExactly(VIP);
        String tasks = nslookup("client-1", "tasks.my-web");
        assertThat(addressesIn(tasks)).as("busybox nslookup tasks.my-web:%n%s", tasks).containsExactlyInAnyOrderElementsOf(WEB_TASKS);
        // the same from a task on another node than the client, and through the resolver of a task of the service itself
        assertThat(digShort("my-web-2", "my-web")).containsExactly(VIP);
        assertThat(digShort("my-dnsrr-1", "tasks.my-web")).containsExactlyInAnyOrderElementsOf(WEB_TASKS);
    }

    @Test
    @Order(2)
    void qualifiedNamesTaskNamesAliasesAndPointers() {
        assertThat(digShort("client-1", "my-web.front")).as("<service>.<network>").containsExactly(VIP);
        assertThat(digShort("client-1", "tasks.my-web.front")).containsExactlyInAnyOrderElementsOf(WEB_TASKS);
        assertThat(digShort("client-1", "web")).as("alias from spec.networks[].aliases").containsExactly(VIP);
        assertThat(digShort("client-1", "my-web-2")).as("task name").containsExactly(WEB_TASKS.get(1));
        assertThat(digShort("client-1", "-x", WEB_TASKS.get(1))).as("PTR of a task address").containsExactly("my-web-2.front.");
        assertThat(digShort("client-1", "-x", VIP)).as("PTR of the VIP").containsExactly("my-web.front.");
        String ptr = nslookup("client-1", WEB_TASKS.get(0));
        assertThat(ptr).as("busybox nslookup of an address:%n%s", ptr).contains("my-web-1.front");
    }

    @Test
    @Order(3)
    void aDnsrrServiceGivesItsTasksInARotatingOrder() {
        Set<List<String>> orders = new LinkedHashSet<>();
        for (int i = 0; i < 6; i++) {
            List<String> answer = digShort("client-1", "my-dnsrr");
            assertThat(answer).as("dnsrr answer %d", i).containsExactlyInAnyOrderElementsOf(DNSRR_TASKS);
            orders.add(answer);
        }
        System.out.printf(Locale.ROOT, "dnsrr orders over 6 queries: %s%n", orders);
        assertThat(orders).as("the order of a dnsrr answer rotates between queries").hasSizeGreaterThan(1);
        String nslookup = nslookup("client-1", "my-dnsrr");
        assertThat(addressesIn(nslookup)).containsExactlyInAnyOrderElementsOf(DNSRR_TASKS);
    }

    @Test
    @Order(4)
    void aaaaForOurNamesIsAnEmptyNoError() {
        String answer = dig("client-1", "my-web", "AAAA").stdout();
        assertThat(answer).as("dig my-web AAAA:%n%s", answer).contains("status: NOERROR").contains("ANSWER: 0,");
        String tasks = dig("client-1", "tasks.my-web", "AAAA").stdout();
        assertThat(tasks).contains("status: NOERROR").contains("ANSWER: 0,");
    }

    @Test
    @Order(5)
    void answersCarryShortTtls() {
        assertThat(ttls(dig("client-1", "+noall", "+answer", "tasks.my-web").stdout())).as("tasks.my-web TTLs").containsOnly(1L);
        assertThat(ttls(dig("client-1", "+noall", "+answer", "my-dnsrr").stdout())).as("dnsrr TTLs").containsOnly(1L);
        assertThat(ttls(dig("client-1", "+noall", "+answer", "my-web").stdout())).as("VIP TTL").containsOnly(10L);
    }

    @Test
    @Order(6)
    void aTaskOnAnotherNetworkCannotResolveTheServiceButResolvesClusterNames() {
        String fromOther = dig("other-1", "my-web").stdout();
        assertThat(fromOther).as("my-web from a task on 'back' is forwarded upstream, which does not know it:%n%s", fromOther)
                .doesNotContain(VIP).doesNotContain("status: NOERROR");
        assertThat(digShort("other-1", "tasks.my-web")).isEmpty();
        assertThat(digShort("other-1", "my-web-1")).as("task names are scoped too").isEmpty();
        assertThat(digShort("other-1", CLUSTER_NAME)).as("a cluster name through the upstream").containsExactly(CLUSTER_NAME_ADDRESS);
        assertThat(digShort("client-1", CLUSTER_NAME)).containsExactly(CLUSTER_NAME_ADDRESS);
        String nslookup = nslookup("other-1", "my-web");
        assertThat(addressesIn(nslookup)).as("busybox nslookup my-web on 'back':%n%s", nslookup).doesNotContain(VIP);
    }

    @Test
    @Order(7)
    void nothingListensOnPort53OutsideThePods() {
        for (int node = 1; node <= 3; node++) {
            String udp = stage.execOnNode(node, "ss", "-Hlnu").stdout();
            String tcp = stage.execOnNode(node, "ss", "-Hltn").stdout();
            assertThat(udp + tcp).as("sockets listening in node-%d's host namespace", node).doesNotContain(":53 ");
        }
        // the agents run in this JVM: none of its sockets listens on 53 in the machine's own namespace
        long pid = ProcessHandle.current().pid();
        KernelTools.Result own = new KernelTools().run(List.of("ss", "-Hlnptu"), null);
        assertThat(own.stdout().lines().filter(l -> l.contains("pid=" + pid + ",")).filter(l -> l.contains(":53 ")).toList())
                .as("listening sockets of the agents' JVM on port 53").isEmpty();
        // inside a pod: the resolver on 127.0.0.11 (UDP and TCP), and port 53 left to the pod's tasks
        String inPod = stage.exec("my-web-1", "ss", "-Hlnut").stdout();
        assertThat(inPod.lines().filter(l -> l.contains(" 127.0.0.11:")).toList()).hasSize(2);
        assertThat(inPod).as("sockets in my-web-1's namespace").doesNotContain(":53 ");
        // and a query sent to a task's overlay address, or to a node's address, gets no answer
        KernelTools.Result overlay = stage.exec("client-1", "dig", "@" + WEB_TASKS.get(0), "+time=1", "+tries=1", "my-web");
        assertThat(overlay.stdout()).as("query to an overlay address:%n%s", overlay.stdout())
                .doesNotContain("ANSWER SECTION").contains("no servers could be reached");
        assertThat(overlay.ok()).isFalse();
        KernelTools.Result underlay = stage.execOnNode(1, "dig", "@" + stage.node(2).underlayAddress(), "+time=1", "+tries=1", "my-web");
        assertThat(underlay.ok()).as("query to node-2's address from node-1:%n%s", underlay.stdout()).isFalse();
        assertThat(underlay.stdout()).doesNotContain("ANSWER SECTION").contains("no servers could be reached");
    }

    @Test
    @Order(8)
    void aTaskThatStopsBeingReadyLeavesWithinOneSecondAndANewOneEnters() {
        // each change is measured from a quiet node: node-1's agent has finished the previous round (its kernel
        // programming shows in client-1's VIP map), as a single change in a running cluster finds it
        String leaving = WEB_TASKS.get(2);
        long start = System.nanoTime();
        stage.setContainersReady("my-web-3", false);
        long left = pollUntil("client-1", "tasks.my-web", answer -> !answer.contains(leaving)) - start;
        awaitVipBackends(backends -> !backends.contains(leaving));

        start = System.nanoTime();
        stage.setContainersReady("my-web-3", true);
        long back = pollUntil("client-1", "tasks.my-web", answer -> answer.contains(leaving)) - start;
        awaitVipBackends(backends -> backends.contains(leaving));

        start = System.nanoTime();
        stage.deleteTask("my-web-1");
        long deleted = pollUntil("client-1", "tasks.my-web", answer -> !answer.contains(WEB_TASKS.get(0))) - start;
        awaitVipBackends(backends -> !backends.contains(WEB_TASKS.get(0)));

        // a brand-new task: created, attached by node-3's agent (namespace, veth, routes), then in every resolver
        start = System.nanoTime();
        stage.runTask("my-web-4", "my-web", 3, Map.of("front", "10.230.0.24"));
        long created = pollUntil("client-1", "tasks.my-web", answer -> answer.contains("10.230.0.24")) - start;
        awaitVipBackends(backends -> backends.contains("10.230.0.24"));

        List<String> dnsrrBefore = digShort("client-1", "my-dnsrr");
        start = System.nanoTime();
        stage.setContainersReady("my-dnsrr-2", false);
        long dnsrrLeft = pollUntil("client-1", "my-dnsrr", answer -> !answer.contains(DNSRR_TASKS.get(1))) - start;

        System.out.printf(Locale.ROOT, "%n== DNS freshness (API write -> dig tasks.my-web in client-1 on node-1 changed, polled every 50 ms) ==%n"
                + "task becomes unready: %d ms; ready again: %d ms; pod deleted: %d ms; dnsrr task unready: %d ms%n"
                + "new task (pod creation, attachment on node-3, then DNS): %d ms%n",
                left / 1_000_000, back / 1_000_000, deleted / 1_000_000, dnsrrLeft / 1_000_000, created / 1_000_000);
        assertThat(dnsrrBefore).contains(DNSRR_TASKS.get(1));
        assertThat(Duration.ofNanos(left)).as("unready task left tasks.my-web").isLessThan(Duration.ofSeconds(1));
        assertThat(Duration.ofNanos(back)).as("task ready again entered tasks.my-web").isLessThan(Duration.ofSeconds(1));
        assertThat(Duration.ofNanos(deleted)).as("deleted task left tasks.my-web").isLessThan(Duration.ofSeconds(1));
        assertThat(Duration.ofNanos(dnsrrLeft)).as("unready task left the dnsrr answer").isLessThan(Duration.ofSeconds(1));
        assertThat(digShort("client-1", "tasks.my-web")).containsExactlyInAnyOrder(WEB_TASKS.get(1), WEB_TASKS.get(2), "10.230.0.24");
    }

    @Test
    @Order(9)
    void anAnswerTooBigForUdpIsTruncatedAndServedInFullOverTcp() {
        // 100 ready tasks of one service on a node without an agent here (node-9): remote endpoints for every agent
        stage.client().resource(ClusterObjects.node("node-9", "192.0.2.99")).create();
        stage.createWithStatus(service("big").network("front").vip("front", "10.230.0.4").build());
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String address = "10.230.0." + (100 + i);
            addresses.add(address);
            stage.createRemoteReadyTask("big-" + i, "big", "node-9", Map.of("front", address));
        }
        AgentCluster.await("client-1's resolver lists the 100 tasks of big",
                () -> digShort("client-1", "+tcp", "tasks.big").size() == 100, Duration.ofSeconds(30));

        String udp = dig("client-1", "+notcp", "+ignore", "tasks.big").stdout();
        assertThat(udp).as("dig +notcp +ignore tasks.big:%n%s", udp).containsPattern("flags:[a-z ]* tc[ ;]")
                .doesNotContain("ANSWER: 100,");
        // dig retries over TCP on TC, as resolvers do
        assertThat(digShort("client-1", "tasks.big")).as("dig tasks.big (UDP, then TCP)").containsExactlyInAnyOrderElementsOf(addresses);
        String tcp = dig("client-1", "+tcp", "tasks.big").stdout();
        assertThat(tcp).contains("ANSWER: 100,").doesNotContainPattern("flags:[a-z ]* tc[ ;]");
    }

    @Test
    @Order(10)
    void whenTheUpstreamIsGoneForwardedNamesFailFastWithServfailAndOurNamesStillResolve() throws Exception {
        upstream.destroy();
        assertThat(upstream.waitFor(5, TimeUnit.SECONDS)).as("dnsmasq stopped").isTrue();
        long start = System.nanoTime();
        String answer = stage.exec("other-1", "dig", "@127.0.0.11", "+time=5", "+tries=1", CLUSTER_NAME).stdout();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.printf(Locale.ROOT, "forwarded query with the upstream gone: answered in %d ms%n", took.toMillis());
        assertThat(answer).as("dig %s with the upstream gone:%n%s", CLUSTER_NAME, answer).contains("status: SERVFAIL");
        assertThat(took).as("SERVFAIL within the configured upstream timeout (1 s), not dig's 5 s").isLessThan(Duration.ofSeconds(3));
        assertThat(digShort("client-1", "my-web")).containsExactly(VIP);
    }

    @Test
    @Order(11)
    void aTaskMayServeDnsOnPort53ToOtherTasksWhile127_0_0_11KeepsAnswering() throws Exception {
        // a DNS server run as a service task: dnsmasq on 0.0.0.0:53 (UDP and TCP) in my-web-2's namespace
        java.nio.file.Path pidFile = java.nio.file.Files.createTempFile("swarmnet-task-dns", ".pid");
        try {
            KernelTools.Result started = stage.exec("my-web-2", "dnsmasq", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                    "--user=root", "--port=53", "--pid-file=" + pidFile, "--address=/my-web/192.0.2.53");
            assertThat(started.ok()).as("the task's dnsmasq on port 53 starts: %s", started.stderr()).isTrue();
            String task = WEB_TASKS.get(1);
            assertThat(digShort("client-1", "@" + task, "my-web")).as("the task's server, from another node").containsExactly("192.0.2.53");
            assertThat(digShort("client-1", "@" + task, "+tcp", "my-web")).as("the same over TCP").containsExactly("192.0.2.53");
            assertThat(digShort("my-web-2", "my-web")).as("127.0.0.11 in the task itself").containsExactly(VIP);
            assertThat(digShort("my-web-2", "+tcp", "my-web")).as("127.0.0.11 over TCP").containsExactly(VIP);
        } finally {
            String pid = java.nio.file.Files.readString(pidFile).strip();
            if (!pid.isEmpty()) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
            java.nio.file.Files.deleteIfExists(pidFile);
        }
    }

    @Test
    @Order(12)
    void afterAnAgentRestartAPodWhoseResolverCannotListenIsNotAttachedWithTheReasonUntilItCan() throws Exception {
        stage.stopAgent(1);
        // other-1 (node-1) loses 127.0.0.0/8 on its loopback: nothing can listen on 127.0.0.11 there
        assertThat(stage.exec("other-1", "ip", "addr", "del", "127.0.0.1/8", "dev", "lo").ok()).isTrue();
        try {
            stage.startAgent(1);
            AgentCluster.await("other-1 not attached, for its resolver", () -> stage.attachedCondition("other-1")
                    .filter(c -> "False".equals(c.getStatus()) && c.getMessage().contains("DNS resolver")
                            && c.getMessage().contains("could not listen on 127.0.0.11")).isPresent(), Duration.ofSeconds(30));
            assertThat(digShort("client-1", "my-web")).as("client-1's resolver, on the same node, after the restart").containsExactly(VIP);
        } finally {
            stage.exec("other-1", "ip", "addr", "add", "127.0.0.1/8", "dev", "lo");
        }
        stage.awaitAttached("other-1");
        assertThat(digShort("other-1", "other")).as("other-1's resolver once it could listen").containsExactly("10.231.0.2");
    }

    /** Waits (bounded) until the my-web VIP's backends in client-1's nftables map satisfy {@code done}. */
    private void awaitVipBackends(Predicate<String> done) {
        String table = stage.node(1).datapathPrefix() + "_vip";
        AgentCluster.await("node-1's agent programmed client-1's VIP map", () -> done.test(
                stage.exec("client-1", "nft", "list", "map", "ip", table, "b_" + VIP.replace('.', '_')).stdout()), Duration.ofSeconds(10));
        AgentCluster.sleep(200);
    }

    // --- clients -------------------------------------------------------------------------------------------

    /** Polls dig every 50 ms (bounded at 10 s) until the answer satisfies {@code done}; returns System.nanoTime() then. */
    private long pollUntil(String pod, String name, Predicate<List<String>> done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            long before = System.nanoTime();
            List<String> answer = digShort(pod, name);
            long now = System.nanoTime();
            if (done.test(answer)) {
                // the change happened at the latest when this query was sent
                return before;
            }
            if (now > deadline) {
                throw new AssertionError("dig " + name + " in " + pod + " still answers " + answer + " after 10 s");
            }
            long sleep = 50 - (now - before) / 1_000_000;
            if (sleep > 0) {
                AgentCluster.sleep(sleep);
            }
        }
    }

    /** dig in the pod, asking 127.0.0.11 unless the arguments name another server. */
    private KernelTools.Result dig(String pod, String... args) {
        List<String> command = new ArrayList<>(List.of("dig", "+time=2", "+tries=1"));
        if (java.util.Arrays.stream(args).noneMatch(a -> a.startsWith("@"))) {
            command.add("@127.0.0.11");
        }
        command.addAll(List.of(args));
        return stage.exec(pod, command.toArray(String[]::new));
    }

    private List<String> digShort(String pod, String... args) {
        List<String> command = new ArrayList<>(List.of("+short"));
        command.addAll(List.of(args));
        KernelTools.Result result = dig(pod, command.toArray(String[]::new));
        return result.stdout().lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith(";")).toList();
    }

    private String nslookup(String pod, String name) {
        return stage.nslookup(pod, name);
    }

    private static List<String> addressesIn(String nslookupOutput) {
        return AgentCluster.addressesIn(nslookupOutput);
    }

    private static Set<Long> ttls(String answerSection) {
        Set<Long> ttls = new HashSet<>();
        answerSection.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith(";"))
                .forEach(l -> ttls.add(Long.parseLong(l.split("\\s+")[1])));
        assertThat(ttls).as("TTLs in%n%s", answerSection).isNotEmpty();
        return ttls;
    }

    // --- the stand-in cluster DNS --------------------------------------------------------------------------

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** dnsmasq on 127.0.0.1 of this machine knowing one cluster name and forwarding nowhere. */
    private static Process startDnsmasq(int port) throws IOException {
        Process process = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--listen-address=127.0.0.1", "--bind-interfaces", "--port=" + port, "--pid-file=",
                "--host-record=" + CLUSTER_NAME + "," + CLUSTER_NAME_ADDRESS, "--user=root")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        KernelTools tools = new KernelTools();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (tools.run(List.of("dig", "@127.0.0.1", "-p", Integer.toString(port), "+short", "+time=1", "+tries=1", CLUSTER_NAME), null)
                    .stdout().contains(CLUSTER_NAME_ADDRESS)) {
                return process;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("dnsmasq on 127.0.0.1:" + port + " exited with " + process.exitValue());
            }
            AgentCluster.sleep(50);
        }
        process.destroyForcibly();
        throw new IllegalStateException("dnsmasq on 127.0.0.1:" + port + " did not answer " + CLUSTER_NAME + " within 5 s");
    }
}

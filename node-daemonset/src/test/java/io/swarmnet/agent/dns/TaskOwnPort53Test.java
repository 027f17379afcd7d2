package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.netns.TestNamespaces;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Port 53 of a pod belongs to its tasks (issue 13.4): the resolver listens on 127.0.0.11 at other ports and a NAT rule
 * sends 127.0.0.11:53 there. Real namespaces, a real dnsmasq as the task's own DNS server, real dig.
 */
@Tag("kernel")
class TaskOwnPort53Test {

    private static final PodRef POD = new PodRef("default", "my-dns-1-aaaaa", "uid-dns");
    /** What the task's own server answers for my-web, unlike our 10.0.9.2. */
    private static final String TASK_ANSWER = "192.0.2.53";
    private static final String OVERLAY_ADDRESS = "10.0.9.77";
    private static TestNamespaces namespaces;
    private final List<Process> taskServers = new ArrayList<>();
    private final List<AutoCloseable> resolvers = new ArrayList<>();

    @BeforeAll
    static void namespaces() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        namespaces = new TestNamespaces("sn53");
    }

    @AfterAll
    static void removeNamespaces() throws IOException {
        if (namespaces != null) {
            namespaces.close();
        }
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (Process server : taskServers) {
            server.destroyForcibly();
            server.waitFor(5, TimeUnit.SECONDS);
        }
        for (AutoCloseable resolver : resolvers) {
            resolver.close();
        }
    }

    @Test
    void aTaskListeningOnPort53BeforeTheResolverKeepsItAnd127_0_0_11StillAnswers() throws Exception {
        Path ns = pod("early");
        startTaskDnsServer("early");
        serving(new PodResolver(ns, EmbeddedDnsServerTest.walkthroughNames()));
        assertBothServersAnswer("early");
    }

    @Test
    void aTaskMayListenOnPort53AfterTheResolverIsSetUp() throws Exception {
        Path ns = pod("late");
        serving(new PodResolver(ns, EmbeddedDnsServerTest.walkthroughNames()));
        assertThat(namespaces.exec("late", "ss", "-Hlnut").output()).as("sockets on port 53 before the task's server")
                .doesNotContain(":53 ");
        startTaskDnsServer("late");
        assertBothServersAnswer("late");
    }

    @Test
    void aReplyWhoseConntrackEntryWasFlushedWhileTheQueryWaitedStillComesFromPort53() throws Exception {
        assumeTrue(TestNamespaces.run(List.of("sh", "-c", "command -v conntrack")).exit() == 0, "needs conntrack on PATH");
        Path ns = pod("flushed");
        // an upstream that never answers: the query waits a second for its SERVFAIL, time enough to flush conntrack
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             EmbeddedDnsServer server = new EmbeddedDnsServer((InetSocketAddress) silent.getLocalSocketAddress(), Duration.ofSeconds(1),
                     new KernelTools(Duration.ofSeconds(10)));
             DatagramSocket client = NetworkNamespace.callInside(ns, "test-client", DatagramSocket::new)) {
            assertThat(server.sync(Map.of(POD, new PodResolver(ns, NameTable.EMPTY)))).isEmpty();
            client.setSoTimeout(3_000);
            byte[] query = Message.newQuery(Record.newRecord(Name.fromString("example.org."), Type.A, DClass.IN)).toWire();
            client.send(new DatagramPacket(query, query.length, new InetSocketAddress("127.0.0.11", 53)));
            Thread.sleep(200);
            TestNamespaces.Result flushed = namespaces.exec("flushed", "conntrack", "-F");
            assertThat(flushed.exit()).as("conntrack -F: %s", flushed.output()).isZero();
            DatagramPacket reply = new DatagramPacket(new byte[4096], 4096);
            client.receive(reply);
            assertThat(reply.getPort()).as("source port of the reply").isEqualTo(53);
            assertThat(new Message(java.util.Arrays.copyOf(reply.getData(), reply.getLength())).getRcode())
                    .isEqualTo(org.xbill.DNS.Rcode.SERVFAIL);
        }
    }

    @Test
    void aRestartedResolverTakesThePortsBackSoAClientKeepingItsSourcePortIsStillAnswered() throws Exception {
        PodResolver resolver = walkthroughPod("restart");
        Path ns = resolver.networkNamespace();
        EmbeddedDnsServer first = serving(resolver);
        ResolverRedirect before = redirectIn(ns).orElseThrow();
        // one connected socket for the whole test, as nginx's resolver keeps one: its conntrack entry outlives the agent
        try (DatagramSocket client = NetworkNamespace.callInside(ns, "test-client", DatagramSocket::new)) {
            client.setSoTimeout(3_000);
            client.connect(new InetSocketAddress("127.0.0.11", 53));
            assertThat(addresses(ask(client, null, "my-web"))).containsExactly("10.0.9.2");
            first.close();
            serving(resolver);
            assertThat(addresses(ask(client, null, "my-web"))).as("the same client after the restart").containsExactly("10.0.9.2");
            assertThat(redirectIn(ns)).as("the redirect after the restart").contains(before);
        }
    }

    @Test
    void aPortTakenWhileTheResolverWasAwayGivesANewPortAndARuleForIt() throws Exception {
        PodResolver resolver = walkthroughPod("taken");
        Path ns = resolver.networkNamespace();
        EmbeddedDnsServer first = serving(resolver);
        ResolverRedirect before = redirectIn(ns).orElseThrow();
        first.close();
        try (DatagramSocket squatter = NetworkNamespace.callInside(ns, "test-squatter",
                () -> new DatagramSocket(new InetSocketAddress("127.0.0.11", before.udpPort())))) {
            serving(resolver);
            ResolverRedirect after = redirectIn(ns).orElseThrow();
            assertThat(after.udpPort()).isNotEqualTo(before.udpPort()).isNotEqualTo(squatter.getLocalPort());
            assertThat(dig("taken", "+short", "my-web")).isEqualTo("10.0.9.2");
        }
    }

    @Test
    void aRedirectTableSomeoneChangedIsReplacedWhole() throws Exception {
        PodResolver resolver = walkthroughPod("changed");
        Path ns = resolver.networkNamespace();
        EmbeddedDnsServer first = serving(resolver);
        first.close();
        namespaces.exec("changed", "nft", "add", "rule", "ip", ResolverRedirect.TABLE, "output", "udp", "dport", "53", "drop");
        assertThat(redirectIn(ns)).as("a table with a rule of someone else's is not ours").isEmpty();
        serving(resolver);
        assertThat(redirectIn(ns)).isPresent();
        assertThat(namespaces.exec("changed", "nft", "list", "table", "ip", ResolverRedirect.TABLE).output()).doesNotContain("drop");
        assertThat(dig("changed", "+short", "my-web")).isEqualTo("10.0.9.2");
    }

    @Test
    void aResolverThatCannotListenIsReportedForItsPodAndRedirectsNothing() throws Exception {
        Path ns = pod("nolo");
        // without 127.0.0.0/8 on loopback 127.0.0.11 is no local address: nothing can bind it
        namespaces.exec("nolo", "ip", "addr", "del", "127.0.0.1/8", "dev", "lo");
        Map<PodRef, String> failures = resolver().sync(Map.of(POD, new PodResolver(ns, NameTable.EMPTY)));
        assertThat(failures).containsOnlyKeys(POD);
        assertThat(failures.get(POD)).contains("DNS resolver for pod " + POD).contains("could not listen on 127.0.0.11");
        assertThat(redirectIn(ns)).isEmpty();
    }

    @Test
    void aRedirectThatCannotBeInstalledIsReportedForItsPodAndLeavesNoSockets() throws Exception {
        Path ns = pod("owned");
        // a process in the pod holds a table of that name for itself (nft's "owner" flag): nobody else may touch it
        Process owner = new ProcessBuilder("ip", "netns", "exec", ns.getFileName().toString(), "nft", "-i")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        taskServers.add(owner);
        owner.getOutputStream().write(("add table ip " + ResolverRedirect.TABLE + " { flags owner; }\n").getBytes());
        owner.getOutputStream().flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!namespaces.exec("owned", "nft", "list", "tables").output().contains(ResolverRedirect.TABLE)) {
            assertThat(System.nanoTime()).as("the owned table exists within 5 s").isLessThan(deadline);
            Thread.sleep(20);
        }
        Map<PodRef, String> failures = resolver().sync(Map.of(POD, new PodResolver(ns, NameTable.EMPTY)));
        assertThat(failures).containsOnlyKeys(POD);
        assertThat(failures.get(POD)).contains("DNS resolver for pod " + POD).contains("could not redirect 127.0.0.11:53")
                .contains("Operation not permitted");
        assertThat(namespaces.exec("owned", "ss", "-Hlnut").output()).as("sockets left in the pod's namespace").isBlank();
    }

    @Test
    void withoutNatTheRedirectRewritesThePortsTracksNothingAndLeavesPort53ToTheTask() throws Exception {
        assumeTrue(TestNamespaces.run(List.of("sh", "-c", "command -v conntrack")).exit() == 0, "needs conntrack on PATH");
        PodResolver resolver = walkthroughPod("untracked");
        Path ns = resolver.networkNamespace();
        // first with NAT, as before the node balanced VIPs at the socket: the next resolver replaces that table
        serving(resolver).close();
        assertThat(redirectIn(ns)).as("the NAT redirect").isPresent();
        EmbeddedDnsServer untracked = resolver().redirectUntracked(true);
        assertThat(untracked.sync(Map.of(POD, resolver))).isEmpty();
        RedirectTable withoutNat = new RedirectTable(new KernelTools(Duration.ofSeconds(10)), true);
        String table = namespaces.exec("untracked", "nft", "list", "table", "ip", ResolverRedirect.TABLE).output();
        ResolverRedirect redirect = withoutNat.read(ns).orElseThrow(() -> new AssertionError("the table without NAT is not read back: "
                + table));
        assertThat(redirectIn(ns)).as("no NAT redirect any more").isEmpty();
        assertThat(table).contains("udp dport set " + redirect.udpPort()).contains("tcp sport set 53").doesNotContain("nat");

        startTaskDnsServer("untracked");
        assertBothServersAnswer("untracked");
        TestNamespaces.Result tracked = namespaces.exec("untracked", "conntrack", "-L");
        assertThat(tracked.output()).as("connections tracked in the pod").doesNotContain("dport=53").doesNotContain("sport=53");
        // served again, the table read back is the one it wants: nothing rewritten
        String generation = namespaces.exec("untracked", "nft", "list", "ruleset", "-a").output();
        assertThat(untracked.sync(Map.of(POD, resolver))).isEmpty();
        assertThat(namespaces.exec("untracked", "nft", "list", "ruleset", "-a").output()).as("handles after a second sync").isEqualTo(generation);
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    /** A pod namespace with an overlay-like address of its own. */
    private static Path pod(String name) throws IOException {
        Path ns = namespaces.create(name);
        for (String[] step : new String[][] {{"link", "add", "ov0", "type", "veth", "peer", "name", "ov1"},
                {"addr", "add", OVERLAY_ADDRESS + "/24", "dev", "ov0"}, {"link", "set", "ov0", "up"}, {"link", "set", "ov1", "up"}}) {
            List<String> argv = new ArrayList<>(List.of("ip"));
            argv.addAll(List.of(step));
            TestNamespaces.Result result = namespaces.exec(name, argv.toArray(String[]::new));
            assertThat(result.exit()).as("%s: %s", argv, result.output()).isZero();
        }
        return ns;
    }

    private EmbeddedDnsServer resolver() throws IOException {
        EmbeddedDnsServer server = new EmbeddedDnsServer(null, Duration.ofSeconds(1), new KernelTools(Duration.ofSeconds(10)));
        resolvers.add(server);
        return server;
    }

    /** A pod in a new namespace resolving the walkthrough's names (my-web is 10.0.9.2). */
    private static PodResolver walkthroughPod(String name) throws IOException {
        return new PodResolver(pod(name), EmbeddedDnsServerTest.walkthroughNames());
    }

    /** A resolver serving the one pod {@code resolver}. */
    private EmbeddedDnsServer serving(PodResolver resolver) throws IOException {
        EmbeddedDnsServer server = resolver();
        assertThat(server.sync(Map.of(POD, resolver))).isEmpty();
        return server;
    }

    private static Optional<ResolverRedirect> redirectIn(Path ns) {
        return new RedirectTable(new KernelTools(Duration.ofSeconds(10)), false).read(ns);
    }

    /** dnsmasq on 0.0.0.0:53 (UDP and TCP) in the pod, as a DNS server run as a swarm service would listen. */
    private void startTaskDnsServer(String pod) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", namespaces.names().stream()
                .filter(n -> n.endsWith("-" + pod)).findFirst().orElseThrow()));
        argv.addAll(List.of("dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--user=root",
                "--port=53", "--pid-file=", "--address=/my-web/" + TASK_ANSWER));
        Process server = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        taskServers.add(server);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!namespaces.exec(pod, "ss", "-Hlnu").output().contains("0.0.0.0:53 ")) {
            assertThat(server.isAlive()).as("the task's dnsmasq on 0.0.0.0:53 is running").isTrue();
            assertThat(System.nanoTime()).as("the task's dnsmasq listens within 5 s").isLessThan(deadline);
            Thread.sleep(50);
        }
        assertThat(namespaces.exec(pod, "ss", "-Hlnt").output()).as("the task's dnsmasq over TCP").contains("0.0.0.0:53 ");
    }

    private static void assertBothServersAnswer(String pod) throws IOException {
        assertThat(dig(pod, "+short", "my-web")).as("127.0.0.11 over UDP").isEqualTo("10.0.9.2");
        assertThat(dig(pod, "+short", "+tcp", "my-web")).as("127.0.0.11 over TCP").isEqualTo("10.0.9.2");
        for (String address : List.of("127.0.0.1", OVERLAY_ADDRESS)) {
            assertThat(dig(pod, "@" + address, "-p", "53", "+short", "my-web")).as("the task's own server at %s", address)
                    .isEqualTo(TASK_ANSWER);
            assertThat(dig(pod, "@" + address, "-p", "53", "+short", "+tcp", "my-web")).as("the task's own server at %s over TCP", address)
                    .isEqualTo(TASK_ANSWER);
        }
    }

    /** dig's short answer in the pod, asking 127.0.0.11 unless the arguments name another server. */
    private static String dig(String pod, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("dig", "+time=2", "+tries=1"));
        if (List.of(args).stream().noneMatch(a -> a.startsWith("@"))) {
            argv.add("@127.0.0.11");
        }
        argv.addAll(List.of(args));
        return namespaces.exec(pod, argv.toArray(String[]::new)).output().strip();
    }

    /** Sends an A query for {@code name} (to {@code to}, or where the socket is connected) and returns the reply. */
    private static DatagramPacket ask(DatagramSocket client, InetSocketAddress to, String name) throws IOException {
        byte[] query = Message.newQuery(Record.newRecord(Name.fromString(name + "."), Type.A, DClass.IN)).toWire();
        client.send(to == null ? new DatagramPacket(query, query.length) : new DatagramPacket(query, query.length, to));
        DatagramPacket reply = new DatagramPacket(new byte[4096], 4096);
        try {
            client.receive(reply);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer to " + name + " within 3 s", e);
        }
        return reply;
    }

    private static List<String> addresses(DatagramPacket reply) throws IOException {
        Message message = new Message(java.util.Arrays.copyOf(reply.getData(), reply.getLength()));
        return message.getSection(Section.ANSWER).stream().filter(r -> r instanceof ARecord)
                .map(r -> ((ARecord) r).getAddress().getHostAddress()).toList();
    }
}

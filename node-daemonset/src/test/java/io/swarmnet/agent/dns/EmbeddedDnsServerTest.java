package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The resolver on real network namespaces, asked by real clients (dig, busybox nslookup). */
@Tag("kernel")
class EmbeddedDnsServerTest {

    private static final PodRef CLIENT = new PodRef("default", "my-busybox-1-aaaaa", "uid-client");
    private static final PodRef STRANGER = new PodRef("default", "loner-1-bbbbb", "uid-stranger");
    private static TestNamespaces namespaces;
    private static Process upstream;
    private static EmbeddedDnsServer server;
    private static Path clientNs;
    private static Path strangerNs;

    static NameTable walkthroughNames() {
        List<ServiceEndpoints.TaskEndpoint> tasks = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            tasks.add(new ServiceEndpoints.TaskEndpoint("my-web-" + i + "-x", "my-network", IpAddress.parse("10.0.9." + (2 + i))));
        }
        List<ServiceEndpoints.TaskEndpoint> many = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add(new ServiceEndpoints.TaskEndpoint("big-" + i + "-y", "my-network", IpAddress.parse("10.0.10.0").plus(10 + i)));
        }
        return DnsRecords.forPod("default", Set.of("my-network"), List.of(
                new ServiceEndpoints("default", "my-web", io.swarmnet.api.service.EndpointMode.VIP, Set.of("my-network"),
                        Map.of("my-network", IpAddress.parse("10.0.9.2")), Map.of(), tasks),
                new ServiceEndpoints("default", "big", io.swarmnet.api.service.EndpointMode.DNSRR, Set.of("my-network"),
                        Map.of(), Map.of(), many)),
                List.of("default.svc.cluster.local", "svc.cluster.local", "cluster.local"));
    }

    @BeforeAll
    static void start() throws IOException {
        namespaces = new TestNamespaces("sndns");
        clientNs = namespaces.create("client");
        strangerNs = namespaces.create("stranger");
        int port = ThreadLocalRandom.current().nextInt(20_000, 30_000);
        // a real upstream resolver standing in for the cluster DNS service: authoritative for cluster.local
        // (NXDOMAIN for what it does not know), it knows the API server and a Kubernetes Service my-web in
        // the namespace "svc" (whose name is my-web.svc.cluster.local)
        upstream = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
                "--listen-address=127.0.0.1", "--bind-interfaces", "--port=" + port, "--pid-file=",
                "--local=/cluster.local/",
                "--address=/kubernetes.default.svc.cluster.local/192.0.2.99",
                "--address=/my-web.svc.cluster.local/192.0.2.80").redirectErrorStream(true).start();
        server = new EmbeddedDnsServer(new InetSocketAddress("127.0.0.1", port), Duration.ofSeconds(1));
        Map<PodRef, String> failures = server.sync(Map.of(
                CLIENT, new PodResolver(clientNs, walkthroughNames()),
                STRANGER, new PodResolver(strangerNs, NameTable.EMPTY)));
        assertThat(failures).isEmpty();
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.destroyForcibly();
        }
        if (namespaces != null) {
            namespaces.close();
        }
    }

    static String dig(String ns, String... args) throws IOException {
        return dig(namespaces, ns, args);
    }

    /** dig's whole output for a query to the resolver of the pod in namespace {@code ns}, within 3 s. */
    static String dig(TestNamespaces in, String ns, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("dig", "@127.0.0.11", "+time=3", "+tries=1"));
        argv.addAll(List.of(args));
        return in.exec(ns, argv.toArray(String[]::new)).output();
    }

    @Test
    void aClosedResolverOpensNothingAndClosingItTwiceIsHarmless() throws IOException {
        // an agent stopping may run one more round after its resolver closed, and be closed twice
        EmbeddedDnsServer closing = new EmbeddedDnsServer(new InetSocketAddress("127.0.0.1", 53), Duration.ofSeconds(1));
        closing.close();
        Map<PodRef, String> failures = closing.sync(Map.of(CLIENT, new PodResolver(clientNs, walkthroughNames())));
        assertThat(failures).containsOnlyKeys(CLIENT);
        assertThat(failures.get(CLIENT)).contains("shutting down");
        closing.close();
    }

    @Test
    void serviceNameResolvesToItsVirtualIpWithDig() throws IOException {
        assertThat(dig("client", "+short", "my-web").strip()).isEqualTo("10.0.9.2");
    }

    @Test
    void busyboxNslookupSeesTheVirtualIpAndTheTasks() throws IOException {
        String vip = namespaces.exec("client", "busybox", "nslookup", "my-web", "127.0.0.11").output();
        assertThat(vip).contains("Name:\tmy-web").contains("Address: 10.0.9.2");
        String tasks = namespaces.exec("client", "busybox", "nslookup", "tasks.my-web", "127.0.0.11").output();
        assertThat(tasks).contains("Address: 10.0.9.3").contains("Address: 10.0.9.4").contains("Address: 10.0.9.5");
    }

    @Test
    void namesOfServicesOnOtherNetworksAreNotAnswered() throws IOException {
        String answer = dig("stranger", "my-web");
        assertThat(answer).doesNotContain("10.0.9.2").doesNotContain("status: NOERROR");
    }

    @Test
    void otherNamesAreForwardedToTheUpstreamResolver() throws IOException {
        assertThat(dig("client", "+short", "kubernetes.default.svc.cluster.local").strip()).isEqualTo("192.0.2.99");
        assertThat(dig("stranger", "+short", "kubernetes.default.svc.cluster.local").strip()).isEqualTo("192.0.2.99");
    }

    @Test
    void ourNamesUnderThePodsSearchDomainsAnswerWhereTheClusterHasNoSuchName() throws IOException {
        // what a resolver asks first for "my-web" in a Kubernetes pod; busybox's nslookup asks nothing else
        assertThat(dig("client", "+short", "my-web.default.svc.cluster.local").strip()).isEqualTo("10.0.9.2");
        assertThat(dig("client", "+short", "tasks.my-web.cluster.local").strip().lines().sorted().toList())
                .containsExactly("10.0.9.3", "10.0.9.4", "10.0.9.5");
        // a name the cluster DNS has keeps the cluster's answer
        assertThat(dig("client", "+short", "my-web.svc.cluster.local").strip()).isEqualTo("192.0.2.80");
        // a pod that shares no network with my-web gets the cluster's NXDOMAIN
        assertThat(dig("stranger", "my-web.default.svc.cluster.local")).contains("status: NXDOMAIN").doesNotContain("10.0.9.2");
    }

    @Test
    void answerTooLargeForUdpIsRetriedOverTcpAndComplete() throws IOException {
        String answer = dig("client", "+noedns", "tasks.big");
        assertThat(answer).contains("Truncated, retrying in TCP mode");
        long records = answer.lines().filter(l -> l.startsWith("tasks.big.") && l.contains("\tA\t")).count();
        assertThat(records).isEqualTo(100);
    }

    @Test
    void queriesOverTcpAreAnswered() throws IOException {
        assertThat(dig("client", "+tcp", "+short", "my-web").strip()).isEqualTo("10.0.9.2");
    }

    @Test
    void aaaaForOurNamesIsAnsweredEmptyWithNoError() throws IOException {
        String answer = dig("client", "AAAA", "my-web");
        assertThat(answer).contains("status: NOERROR").contains("ANSWER: 0");
    }

    @Test
    void pointerRecordsForTasks() throws IOException {
        assertThat(dig("client", "+short", "-x", "10.0.9.4").strip()).isEqualTo("my-web-2-x.my-network.");
    }

    @Test
    void listensOnlyOn127_0_0_11InsidePodsNotOnPort53AndNothingInTheAgentsNamespace() throws IOException {
        for (String ns : List.of("client", "stranger")) {
            for (String udpOrTcp : List.of("-Hlnu", "-Hlnt")) {
                List<String> listening = namespaces.exec(ns, "ss", udpOrTcp).output().lines()
                        .map(l -> l.trim().split("\\s+")[3]).toList();
                assertThat(listening).as("ss %s in %s", udpOrTcp, ns).singleElement()
                        .satisfies(a -> assertThat(a).startsWith("127.0.0.11:").isNotEqualTo("127.0.0.11:53"));
            }
        }
        String pid = Long.toString(ProcessHandle.current().pid());
        String hostSockets = TestNamespaces.run(List.of("ss", "-Hlnup")).output() + TestNamespaces.run(List.of("ss", "-Hlntp")).output();
        assertThat(hostSockets.lines().filter(l -> l.contains("pid=" + pid + ",")).toList())
                .as("sockets this JVM listens on in the host namespace").isEmpty();
    }

    @Test
    void newNamesAreServedAsSoonAsTheTableChanges() throws IOException {
        PodRef pod = new PodRef("default", "fresh-1-ccccc", "uid-fresh");
        Path ns = namespaces.create("fresh");
        try {
            NameTable before = new NameTable(Map.of("svc", List.of(IpAddress.parse("10.0.9.20"))), Set.of(), Map.of(), Map.of());
            NameTable after = new NameTable(Map.of("svc", List.of(IpAddress.parse("10.0.9.21"))), Set.of(), Map.of(), Map.of());
            assertThat(server.sync(withBase(pod, new PodResolver(ns, before)))).isEmpty();
            assertThat(dig("fresh", "+short", "svc").strip()).isEqualTo("10.0.9.20");
            assertThat(server.sync(withBase(pod, new PodResolver(ns, after)))).isEmpty();
            assertThat(dig("fresh", "+short", "svc").strip()).isEqualTo("10.0.9.21");
            server.sync(withBase(null, null));
            assertThat(server.serves(pod)).isFalse();
            assertThat(namespaces.exec("fresh", "ss", "-Hlnut").output()).as("sockets left in the pod's namespace").isBlank();
        } finally {
            server.sync(withBase(null, null));
        }
    }

    private static Map<PodRef, PodResolver> withBase(PodRef extra, PodResolver resolver) {
        java.util.HashMap<PodRef, PodResolver> pods = new java.util.HashMap<>(Map.of(
                CLIENT, new PodResolver(clientNs, walkthroughNames()),
                STRANGER, new PodResolver(strangerNs, NameTable.EMPTY)));
        if (extra != null) {
            pods.put(extra, resolver);
        }
        return pods;
    }

    @Test
    void failingOrSilentUpstreamGivesServfailNotAHang() throws Exception {
        Path ns = namespaces.create("upstreams");
        PodRef pod = new PodRef("default", "u-1-ddddd", "uid-u");
        int closedPort = ThreadLocalRandom.current().nextInt(30_000, 40_000);
        try (DatagramChannel silent = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             EmbeddedDnsServer refused = new EmbeddedDnsServer(new InetSocketAddress("127.0.0.1", closedPort), Duration.ofSeconds(1))) {
            assertThat(refused.sync(Map.of(pod, new PodResolver(ns, NameTable.EMPTY)))).isEmpty();
            assertThat(dig("upstreams", "example.org")).contains("status: SERVFAIL");
            assertThat(refused.sync(Map.of())).isEmpty();
            try (EmbeddedDnsServer unanswered = new EmbeddedDnsServer((InetSocketAddress) silent.getLocalAddress(), Duration.ofMillis(500))) {
                assertThat(unanswered.sync(Map.of(pod, new PodResolver(ns, NameTable.EMPTY))))
                        .as("the ports are free again as soon as the other resolver let the pod go").isEmpty();
                assertThat(dig("upstreams", "example.org")).contains("status: SERVFAIL");
            }
        }
    }
}

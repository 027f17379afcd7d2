package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.dns.TruncatingUpstream.Tcp;
import io.swarmnet.agent.netns.TestNamespaces;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;

/**
 * The resolver as a process of its own beside the agent: real pod namespaces asked by real dig, the agent's side
 * ({@link ResolverClient}) coming and going as a killed agent does, and the resolver restarting from its state file.
 */
@Tag("kernel")
class ResolverProcessTest {

    private static final PodRef POD = new PodRef("default", "my-busybox-1-aaaaa", "uid-p");
    private static final PodRef NEWCOMER = new PodRef("default", "my-busybox-2-bbbbb", "uid-n");

    @TempDir
    Path shared;
    private TestNamespaces namespaces;
    private TruncatingUpstream upstream;
    private Path podNs;
    private Path newcomerNs;

    @BeforeEach
    void start() throws IOException {
        namespaces = new TestNamespaces("snrsp");
        podNs = namespaces.create("pod");
        newcomerNs = namespaces.create("newcomer");
        upstream = new TruncatingUpstream(Map.of("kubernetes.default.svc.cluster.local.", List.of(new ARecord(
                Name.fromString("kubernetes.default.svc.cluster.local."), DClass.IN, 30, InetAddress.getByName("10.96.0.1")))), Tcp.ANSWERS);
    }

    @AfterEach
    void stop() throws IOException {
        upstream.close();
        namespaces.close();
    }

    private ResolverProcess resolver() throws IOException {
        return new ResolverProcess(new EmbeddedDnsServer(upstream.address(), Duration.ofSeconds(2)), shared.resolve("dns.sock"),
                shared.resolve("resolvers.json"));
    }

    private ResolverClient agent() {
        return new ResolverClient(shared.resolve("dns.sock"), Duration.ofSeconds(10));
    }

    private String dig(String ns, String name) throws IOException {
        return EmbeddedDnsServerTest.dig(namespaces, ns, "+short", name).strip();
    }

    @Test
    void podsKeepTheirResolverWhileTheAgentIsGoneAndAfterItCameBack() throws IOException {
        try (ResolverProcess process = resolver()) {
            ResolverClient first = agent();
            assertThat(first.sync(Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames())))).isEmpty();
            assertThat(first.serves(POD)).isTrue();
            assertThat(dig("pod", "my-web")).isEqualTo("10.0.9.2");
            String redirect = namespaces.exec("pod", "nft", "list", "table", "ip", "swarmnet_dns").output();

            first.close(); // the agent is killed: its connection closes
            assertThat(dig("pod", "my-web")).as("a swarm name with no agent").isEqualTo("10.0.9.2");
            assertThat(dig("pod", "kubernetes.default.svc.cluster.local")).as("a cluster name with no agent").isEqualTo("10.96.0.1");

            ResolverClient second = agent(); // the restarted agent sends every pod again, a newcomer among them
            assertThat(second.sync(Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames()),
                    NEWCOMER, new PodResolver(newcomerNs, NameTable.EMPTY)))).isEmpty();
            assertThat(dig("pod", "my-web")).isEqualTo("10.0.9.2");
            assertThat(namespaces.exec("pod", "nft", "list", "table", "ip", "swarmnet_dns").output())
                    .as("the pod kept its resolver's ports: nothing changed in it").isEqualTo(redirect);
            assertThat(dig("newcomer", "kubernetes.default.svc.cluster.local")).isEqualTo("10.96.0.1");

            // a pod the agent no longer sends loses its resolver
            assertThat(second.sync(Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames())))).isEmpty();
            assertThat(second.serves(NEWCOMER)).isFalse();
            assertThat(EmbeddedDnsServerTest.dig(namespaces, "newcomer", "my-web")).contains("connection refused");
            second.close();
        }
    }

    /**
     * The agent decides how VIPs are balanced (with auto, at its start) and the resolver process, which writes the pods'
     * redirect of port 53, learns it from the agent's frames rather than from a setting of its own.
     */
    @Test
    void theRedirectIsWrittenAsTheAgentSaysAndRestoredThatWay() throws IOException {
        Map<PodRef, PodResolver> pods = Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames()));
        try (ResolverProcess process = resolver(); ResolverClient agent = agent().redirectUntracked(true)) {
            assertThat(agent.sync(pods)).isEmpty();
            assertThat(redirectTable()).as("without NAT, as the agent said").contains("priority raw").doesNotContain("nat");
            assertThat(dig("pod", "my-web")).isEqualTo("10.0.9.2");

            agent.redirectUntracked(false);
            assertThat(agent.sync(pods)).isEmpty();
            assertThat(redirectTable()).as("with NAT again").contains("type nat hook output").contains("snat");
            assertThat(dig("pod", "my-web")).isEqualTo("10.0.9.2");

            agent.redirectUntracked(true);
            assertThat(agent.sync(pods)).isEmpty();
        }
        // a restart serves from the state file before the agent speaks: the redirect as the agent last said
        namespaces.exec("pod", "nft", "delete", "table", "ip", "swarmnet_dns").output();
        try (ResolverProcess process = resolver()) {
            assertThat(redirectTable()).as("restored without NAT").contains("priority raw").doesNotContain("nat");
            assertThat(dig("pod", "my-web")).isEqualTo("10.0.9.2");
        }
    }

    private String redirectTable() throws IOException {
        return namespaces.exec("pod", "nft", "list", "table", "ip", "swarmnet_dns").output();
    }

    @Test
    void aPodWhoseAttachmentFailsForARoundKeepsItsResolverAndNoneIsOpenedForANewOne() throws IOException {
        try (ResolverProcess process = resolver(); ResolverClient agent = agent()) {
            assertThat(agent.sync(Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames())))).isEmpty();
            // a restarted agent's first round, or a transient failure: both pods are on the node, neither attached now
            assertThat(agent.sync(Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames(), true),
                    NEWCOMER, new PodResolver(newcomerNs, NameTable.EMPTY, true)))).isEmpty();
            assertThat(dig("pod", "my-web")).as("the served pod kept its resolver").isEqualTo("10.0.9.2");
            assertThat(agent.serves(POD)).isTrue();
            assertThat(agent.serves(NEWCOMER)).isFalse();
            assertThat(EmbeddedDnsServerTest.dig(namespaces, "newcomer", "my-web")).as("no resolver opened for a pod not attached")
                    .contains("connection refused");
        }
    }

    @Test
    void aRestartedResolverServesFromItsStateBeforeTheAgentSpeaks() throws IOException {
        ResolverClient agent = agent();
        try (ResolverProcess process = resolver()) {
            assertThat(agent.sync(Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames())))).isEmpty();
        }
        assertThat(Files.exists(shared.resolve("resolvers.json"))).isTrue();
        // while the resolver is down the agent learns nothing new: the pod it confirmed stays served, a new one waits
        Map<PodRef, String> whileDown = agent.sync(Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames()),
                NEWCOMER, new PodResolver(newcomerNs, NameTable.EMPTY)));
        assertThat(whileDown).containsOnlyKeys(NEWCOMER);
        assertThat(whileDown.get(NEWCOMER)).contains("the resolver process (container swarmnet-dns) does not answer on "
                + shared.resolve("dns.sock"));
        try (ResolverProcess restarted = resolver()) {
            assertThat(dig("pod", "my-web")).as("served from the state file, no agent asked").isEqualTo("10.0.9.2");
            assertThat(agent.sync(Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames()),
                    NEWCOMER, new PodResolver(newcomerNs, NameTable.EMPTY)))).as("the agent reconnects by itself").isEmpty();
            assertThat(dig("newcomer", "kubernetes.default.svc.cluster.local")).isEqualTo("10.96.0.1");
        }
        agent.close();
    }

    @Test
    void aSavedNamespaceIsServedAgainOnlyWhileItsProcessIsStillInThePod() throws IOException {
        // the state may outlive a reboot or the pod: /proc/PID/ns/net is then someone else's
        // the cgroup names the UID as the systemd driver does, with underscores
        PodRef pod = new PodRef("default", "my-busybox-1-aaaaa", "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
        PodRef other = new PodRef("default", "my-busybox-2-bbbbb", "9c4e28ba-2fa1-11d2-883f-0016d3cca427");
        Path process = Files.createDirectories(shared.resolve("proc").resolve("4242").resolve("ns"));
        Files.writeString(process.resolve("net"), "");
        Files.writeString(process.getParent().resolve("cgroup"), "0::/kubepods/besteffort/pod" + pod.uid().replace('-', '_') + "/c1\n");
        assertThat(ResolverProcess.stillThePod(pod, process.resolve("net"))).isTrue();
        assertThat(ResolverProcess.stillThePod(other, process.resolve("net"))).as("another pod's process").isFalse();
        assertThat(ResolverProcess.stillThePod(pod, shared.resolve("proc").resolve("4343").resolve("ns").resolve("net")))
                .as("a process that is gone").isFalse();
        assertThat(ResolverProcess.stillThePod(POD, podNs)).as("a named namespace that exists").isTrue();
    }

    /** A pod with a UID as the API gives it, whose processes a fake proc tree under {@code shared} shows. */
    private static final PodRef BUSYBOX = new PodRef("default", "my-busybox-1-ccccc", "2c4e28ba-2fa1-11d2-883f-0016d3cca427");

    /** Process {@code pid} of {@link #BUSYBOX} in the fake proc tree: its cgroup names the pod, its ns/net leads to the pod's namespace. */
    private Path podProcess(long pid) throws IOException {
        Path dir = Files.createDirectories(shared.resolve("proc").resolve(Long.toString(pid)).resolve("ns"));
        Files.createSymbolicLink(dir.resolve("net"), podNs);
        Files.writeString(dir.getParent().resolve("cgroup"), "0::/kubepods/besteffort/pod" + BUSYBOX.uid() + "/c1\n");
        return dir.resolve("net");
    }

    /** What the agent sends for {@link #BUSYBOX} found through {@code namespace}. */
    private static Map<PodRef, PodResolver> busyboxAt(Path namespace) {
        return Map.of(BUSYBOX, new PodResolver(namespace, EmbeddedDnsServerTest.walkthroughNames()));
    }

    /** Process {@code pid} of the fake proc tree exits: its directory goes (the ns/net link with it, not what it leads to). */
    private void exited(long pid) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.walk(shared.resolve("proc").resolve(Long.toString(pid)))) {
            for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    /** The kernel's inode of each UDP socket listening on 127.0.0.11 in the pod: a socket closed and opened again gets a new one. */
    private List<String> resolverSocketInodes() throws IOException {
        return namespaces.exec("pod", "ss", "-uaneH", "src", "127.0.0.11").output().lines().filter(l -> l.contains(" ino:"))
                .map(l -> l.replaceAll(".* ino:(\\d+).*", "$1")).sorted().toList();
    }

    @Test
    void aPodFoundThroughAProcessThatExitedIsServedAgainFromItsOtherProcesses() throws Exception {
        // the agent found the pod through a short-lived process (a kubectl exec); a rollout's new resolver starts after
        // it exited: it must find the pod by its UID, not leave it without DNS until the new agent speaks
        Path sandbox = podProcess(300);
        Path exec = podProcess(120);
        try (ResolverProcess process = resolver(); ResolverClient agent = agent()) {
            assertThat(agent.sync(busyboxAt(exec))).isEmpty();
        }
        exited(120);
        try (ResolverProcess restarted = resolver()) {
            assertThat(dig("pod", "my-web")).as("served from the state file through the pod's other process").isEqualTo("10.0.9.2");
            assertThat(ResolverProcess.stillThePod(BUSYBOX, sandbox)).isTrue();
        }
    }

    @Test
    void aPodSentUnderAnotherPathOfItsNamespaceKeepsItsSockets() throws Exception {
        // the path the pod was opened through stops existing (its process exited) and the agent sends another: the same
        // namespace, so the sockets stay — closing and reopening them left the pod's port without a socket for a moment
        Path exec = podProcess(120);
        Path sandbox = podProcess(300);
        try (ResolverProcess process = resolver(); ResolverClient agent = agent()) {
            assertThat(agent.sync(busyboxAt(exec))).isEmpty();
            List<String> before = resolverSocketInodes();
            assertThat(before).as("the resolver's UDP sockets in the pod").isNotEmpty();
            exited(120);
            assertThat(agent.sync(busyboxAt(sandbox))).isEmpty();
            assertThat(resolverSocketInodes()).as("the same sockets, never closed").isEqualTo(before);
            assertThat(dig("pod", "my-web")).isEqualTo("10.0.9.2");
        }
    }

    @Test
    void whatCrossesTheSocketIsWhatWasSent() throws IOException {
        Map<PodRef, PodResolver> pods = Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames()),
                NEWCOMER, new PodResolver(newcomerNs, EmbeddedDnsServerTest.walkthroughNames()));
        byte[] frame = ResolverWire.pods(pods);
        assertThat(ResolverWire.pods(frame)).isEqualTo(pods);
        assertThat(ResolverWire.frame(frame).untrackedRedirect()).as("a frame that says nothing of the redirect").isEmpty();
        assertThat(ResolverWire.frame(ResolverWire.pods(pods, java.util.Optional.of(true))))
                .isEqualTo(new ResolverWire.Frame(pods, java.util.Optional.of(true)));
        assertThat(ResolverWire.frame(ResolverWire.pods(pods, java.util.Optional.of(false))).untrackedRedirect()).contains(false);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ResolverWire.frame(
                        "{\"redirect\":\"dnat\",\"tables\":[],\"pods\":[]}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .hasMessageContaining("redirect 'dnat'").hasMessageContaining("nat or untracked");
        assertThat(new String(frame, java.nio.charset.StandardCharsets.UTF_8).split("\"addresses\"", -1))
                .as("two pods with the same names: one table on the wire").hasSize(2);
        assertThat(ResolverWire.failures(ResolverWire.failures(Map.of(POD, "why")))).isEqualTo(Map.of(POD, "why"));
    }

    private ResolverProcess successor() throws IOException {
        // the replacing pod's resolver: its own socket (its pod's volume), the same state file (on the node)
        return new ResolverProcess(new EmbeddedDnsServer(upstream.address(), Duration.ofSeconds(2)), shared.resolve("next").resolve("dns.sock"),
                shared.resolve("resolvers.json"));
    }

    @Test
    void aReplacedResolverHandsThePodsToItsSuccessorWithoutAMomentOfSilence() throws Exception {
        ResolverProcess old = resolver();
        ResolverProcess next = null;
        java.util.concurrent.atomic.AtomicBoolean looking = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();
        Thread loop = new Thread(() -> {
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos(); // bounded, whatever happens below
            while (looking.get() && System.nanoTime() < until) {
                try {
                    String answer = dig("pod", "my-web");
                    lookups.incrementAndGet();
                    if (!answer.equals("10.0.9.2")) {
                        failures.add(answer);
                    }
                } catch (IOException e) {
                    failures.add(e.toString());
                }
            }
        });
        try (ResolverClient agent = agent()) {
            assertThat(agent.sync(Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames())))).isEmpty();
            String redirect = namespaces.exec("pod", "nft", "list", "table", "ip", "swarmnet_dns").output();
            loop.start();
            Thread.sleep(300);
            // the pod is deleted (SIGTERM) and its replacement starts beside it, as in a rollout
            java.util.concurrent.CompletableFuture<Boolean> handedOver = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> old.handOver(Duration.ofSeconds(20)));
            Thread.sleep(500);
            assertThat(handedOver).as("the old resolver answers on while no successor serves the pods").isNotDone();
            long started = System.nanoTime();
            next = successor();
            assertThat(handedOver.get(5, java.util.concurrent.TimeUnit.SECONDS)).as("a successor took over").isTrue();
            System.out.printf("resolver handed over %d ms after its successor started%n", (System.nanoTime() - started) / 1_000_000);
            Thread.sleep(500);
            assertThat(namespaces.exec("pod", "nft", "list", "table", "ip", "swarmnet_dns").output())
                    .as("the successor listens on the same ports: the redirect stayed as it was").isEqualTo(redirect);
        } finally {
            looking.set(false);
            loop.join(10_000);
            old.close();
            if (next != null) {
                next.close();
            }
        }
        System.out.printf("lookups across the hand-over: %d, failed %d%n", lookups.get(), failures.size());
        assertThat(lookups.get()).as("lookups made across the hand-over").isGreaterThan(5);
        assertThat(failures).as("lookups that failed across the hand-over").isEmpty();
    }

    @Test
    void aStoppingResolverWithoutSuccessorStopsAfterItsBoundAndOneServingNoPodAtOnce() throws Exception {
        try (ResolverProcess idle = resolver()) {
            long started = System.nanoTime();
            assertThat(idle.handOver(Duration.ofSeconds(20))).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("nothing to hand over").isLessThan(Duration.ofSeconds(2));
        }
        ResolverProcess alone = resolver();
        try (ResolverClient agent = agent()) {
            assertThat(agent.sync(Map.of(POD, new PodResolver(podNs, EmbeddedDnsServerTest.walkthroughNames())))).isEmpty();
            long started = System.nanoTime();
            assertThat(alone.handOver(Duration.ofMillis(700))).as("nobody took over").isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("waited its bound").isGreaterThanOrEqualTo(Duration.ofMillis(700));
            assertThat(EmbeddedDnsServerTest.dig(namespaces, "pod", "my-web")).as("closed after the bound").contains("connection refused");
        } finally {
            alone.close();
        }
    }
}

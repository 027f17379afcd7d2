package io.swarmnet.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.agent.encryption.ClusterKey;
import io.swarmnet.agent.encryption.EncryptionSettings;
import io.swarmnet.agent.encryption.PairKeys;
import io.swarmnet.agent.encryption.SequenceLimit;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.operator.ClusterEvents;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.SwarmnetOperator;
import io.swarmnet.operator.keys.KeyRotation;
import io.swarmnet.operator.keys.KeyRotationPlan;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 point 8 end to end: two simulated nodes whose agents run the userspace ESP datapath with outbound SAs
 * limited to {@value #LIMIT} sequence numbers, the real operator and its key Secret, an encrypted network with a
 * task on each node, tcpdump on the underlay. A ping flood longer than the limit: the agents report the key near its
 * limit, the operator's key rotation starts at once (long before its interval), traffic keeps flowing across the
 * change-over, and no (SPI, sequence number) pair is ever sent twice or beyond the limit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("e2e")
class EspSequenceLimitEndToEndTest {

    private static final int VNI = 4812;
    private static final long LIMIT = 2_000;
    private static final int PINGS = 2_500;
    /** Pings a change-over may cost at most: none was lost in any run, two leave room for a slow machine. */
    private static final int TOLERATED_LOSS = 2;

    private AgentCluster stage;
    private SwarmnetOperator operator;
    private UnderlayCapture capture;
    @TempDir
    Path temp;

    @BeforeAll
    void start() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        for (String tool : List.of("ip", "bridge", "nft", "tcpdump", "busybox", "dnsmasq", "sysctl")) {
            assumeTrue(AgentCluster.onPath(tool), "needs '" + tool + "' on PATH (scripts/install-deps.sh installs it)");
        }
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun (the tun module) for the userspace ESP datapath");
        stage = AgentCluster.start(2);
        operator = SwarmnetOperator.start(stage.client(), OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false));
        stage.client().resource(AgentCluster.network("vault", "10.243.0.0/24", VNI, true)).create();
        AgentCluster.await("the operator allocated the network", () -> stage.allocated("vault"), Duration.ofSeconds(20));
        stage.createTasklessService("vault-app", "vault");
        stage.runAgents(new DnsSettings(Optional.empty(), Duration.ofSeconds(1)), EncryptionSettings.ModeSetting.userspace,
                new SequenceLimit(LIMIT));
        stage.runTask("vault-1", "vault-app", 1, Map.of("vault", "10.243.0.11"));
        stage.runTask("vault-2", "vault-app", 2, Map.of("vault", "10.243.0.12"));
        stage.awaitAttached("vault-1", "vault-2");
        AgentCluster.await("the operator created the key Secret", () -> stage.secret() != null, Duration.ofSeconds(20));
        for (int n = 1; n <= 2; n++) {
            stage.awaitEncryption(n, "vault", NodeNetworkState.EncryptionMode.Userspace);
        }
    }

    @AfterAll
    void stop() throws Exception {
        if (capture != null) {
            capture.close();
        }
        AgentCluster.close(operator, stage);
    }

    @Test
    void aKeyNearItsSequenceLimitIsRotatedEarlyWhileTrafficFlowsAndNoSequenceNumberIsSentTwice() throws Exception {
        long first = stage.ring().primary();
        rememberKeys();
        // the test's rotation runs the operator's code on a clock that leaves the 12-hour interval far off, and with
        // a settle time of one second: only a report can start it (the operator's own timer settles 30 s, too slow here).
        // The clock runs ten times faster than the wall clock, so each step is taken as soon as both agents confirmed
        // the previous one (their confirmations, not the settle time, keep the change-over lossless)
        SteppedClock clock = new SteppedClock(Instant.now());
        KeyRotation rotation = new KeyRotation(stage.client(), AgentCluster.KEY_NAMESPACE, Duration.ofHours(12), Duration.ofSeconds(1),
                Duration.ofMinutes(10), clock, new ClusterEvents(stage.client()));
        capture = UnderlayCapture.start(stage.simulation().underlayPort(stage.node(1)), temp.resolve("limit.pcap"), "udp port 4500");
        // quiet (-q): a line per ping would fill the pipe that is read only at the end, and stall ping
        Process flood = stage.simulation().startProcessWithOutput(stage.pod("vault-1"), "busybox", "ping", "-q", "-i", "0.01", "-c",
                String.valueOf(PINGS), "-W", "1", "10.243.0.12");

        List<String> steps = new ArrayList<>();
        Map<String, String> reportsAtAdd = Map.of();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && !(stage.ring().primary() > first && stage.ring().keys().size() == 1)) {
            rememberKeys();
            Map<String, String> reports = nearLimitReports();
            try {
                KeyRotationPlan.Step step = rotation.step();
                if (!(step instanceof KeyRotationPlan.Wait) && !(steps.size() > 0 && steps.get(steps.size() - 1).equals(step.toString()))) {
                    steps.add(step.toString());
                    if (step instanceof KeyRotationPlan.AddGeneration) {
                        // a report can arrive between the read above and the step's own read of the nodes; it stays
                        // until the new generation is primary, so a read right after the step still shows it
                        Map<String, String> seenAround = new HashMap<>(reports);
                        seenAround.putAll(nearLimitReports());
                        reportsAtAdd = seenAround;
                    }
                }
            } catch (KubernetesClientException e) {
                steps.add("conflict " + e.getCode()); // the operator's own timer wrote first: decide again
            }
            clock.advance(Duration.ofSeconds(2));
            AgentCluster.sleep(200);
        }
        assertThat(flood.waitFor(120, TimeUnit.SECONDS)).as("the ping flood ended").isTrue();
        String out = new String(flood.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        capture.stop();
        long second = stage.ring().primary();

        System.out.printf(Locale.ROOT, "rotation steps %s; reports when the generation was added: %s%n", steps, reportsAtAdd);
        assertThat(reportsAtAdd).as("the nodes' reports when the rotation started (12 hours before it was due)")
                .containsValue(String.valueOf(first));
        assertThat(second).as("the primary generation after the rotation").isGreaterThan(first);
        assertThat(stage.ring().keys()).hasSize(1);

        Matcher received = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received").matcher(out);
        assertThat(received.find()).as("ping's summary:%n%s", out).isTrue();
        int transmitted = Integer.parseInt(received.group(1));
        int answered = Integer.parseInt(received.group(2));
        System.out.printf(Locale.ROOT, "%d pings every 10 ms across the change-over, %d answered%n", transmitted, answered);
        assertThat(transmitted).isEqualTo(PINGS);
        assertThat(answered).as("pings answered across the change-over (at most %d lost)", TOLERATED_LOSS)
                .isGreaterThanOrEqualTo(PINGS - TOLERATED_LOSS);
        for (int n = 1; n <= 2; n++) {
            assertThat(stage.agent(n).espCounters().orElseThrow().sequenceExhausted()).as("packets node %d dropped at the limit", n).isZero();
        }

        // on the wire: every (SPI, sequence number) once, none beyond the limit, both generations in each direction
        Set<String> seen = new HashSet<>();
        List<String> repeated = new ArrayList<>();
        Map<Integer, Long> highest = new HashMap<>();
        for (byte[] payload : capture.udpPayloads(4500)) {
            ByteBuffer esp = ByteBuffer.wrap(payload);
            int spi = esp.getInt(0);
            long sequence = Integer.toUnsignedLong(esp.getInt(4));
            if (!seen.add(spi + "/" + sequence)) {
                repeated.add(String.format("spi 0x%08x sequence %d", spi, sequence));
            }
            highest.merge(spi, sequence, Math::max);
        }
        System.out.printf(Locale.ROOT, "underlay: %d ESP packets, highest sequence number per SPI %s%n", seen.size(), describe(highest));
        assertThat(repeated).as("(SPI, sequence number) pairs sent more than once").isEmpty();
        assertThat(seen.size()).as("ESP packets captured (a request and a reply per ping)").isGreaterThanOrEqualTo(2 * (PINGS - TOLERATED_LOSS));
        assertThat(highest.values()).as("sequence numbers beyond the limit of %d", LIMIT).allMatch(s -> s <= LIMIT);
        for (SimulatedNode[] direction : List.of(new SimulatedNode[] {stage.node(1), stage.node(2)},
                new SimulatedNode[] {stage.node(2), stage.node(1)})) {
            for (long generation : List.of(first, second)) {
                int spi = spi(generation, direction[0], direction[1]);
                assertThat(highest).as("ESP of generation %d from %s to %s on the wire", generation, direction[0].name(), direction[1].name())
                        .containsKey(spi);
            }
            assertThat(highest.get(spi(first, direction[0], direction[1]))).as("the old key's last number, %s to %s", direction[0].name(),
                    direction[1].name()).isGreaterThanOrEqualTo(new SequenceLimit(LIMIT).nearLimitAt());
        }

        // with the new key in use the nodes withdraw their reports
        AgentCluster.await("the nodes withdrew their near-limit reports", () -> nearLimitReports().isEmpty(), Duration.ofSeconds(10));
    }

    /** Node name to the generation its agent reports near its limit, for nodes that report one. */
    private Map<String, String> nearLimitReports() {
        Map<String, String> reports = new HashMap<>();
        for (Node node : stage.client().nodes().list().getItems()) {
            Map<String, String> annotations = node.getMetadata().getAnnotations();
            if (annotations != null && annotations.containsKey(SwarmnetKeys.ANNOTATION_KEY_NEAR_LIMIT)) {
                reports.put(node.getMetadata().getName(), annotations.get(SwarmnetKeys.ANNOTATION_KEY_NEAR_LIMIT));
            }
        }
        return reports;
    }

    /** Every generation the key Secret held while the test looked: the SPIs of a retired one are still needed. */
    private final Map<Long, ClusterKey> keys = new HashMap<>();

    private void rememberKeys() {
        stage.ring().keys().forEach(k -> keys.putIfAbsent(k.generation(), k));
    }

    /** The SPI of the SA from {@code source} to {@code destination} under {@code generation}. */
    private int spi(long generation, SimulatedNode source, SimulatedNode destination) {
        ClusterKey key = keys.get(generation);
        assertThat(key).as("key generation %d seen in the Secret", generation).isNotNull();
        return PairKeys.derive(key, source.underlayAddress(), destination.underlayAddress()).spi();
    }

    private static String describe(Map<Integer, Long> highest) {
        StringBuilder out = new StringBuilder("{");
        highest.forEach((spi, sequence) -> out.append(String.format(Locale.ROOT, " 0x%08x=%d", spi, sequence)));
        return out.append(" }").toString();
    }
}

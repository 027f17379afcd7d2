package io.swarmnet.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Condition;
import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.agent.encryption.EncryptionSettings;
import io.swarmnet.agent.encryption.KeyRing;
import io.swarmnet.agent.encryption.userspace.EspTunnel;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.api.network.NetworkNodeStatus;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.operator.ClusterEvents;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.SwarmnetOperator;
import io.swarmnet.operator.keys.KeyRotation;
import io.swarmnet.operator.keys.KeyRotationPlan;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 end to end: two simulated nodes whose agents run the userspace ESP datapath (forced by configuration, so
 * the test means the same on kernels with ESP), the real operator and its key Secret, an encrypted network with a
 * task on each node, tcpdump on the underlay bridge. ICMP, TCP and DNS cross the nodes; the underlay carries only
 * ESP-in-UDP for the network; forged and replayed packets are dropped and counted; a key rotation under a ping
 * flood loses nothing; an agent restart stops the path (closed, not open) and resumes it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("e2e")
class UserspaceEncryptionEndToEndTest {

    private static final int VNI = 4811;
    private static final String PLAINTEXT_VXLAN = "udp port 4789";

    private AgentCluster stage;
    private SwarmnetOperator operator;
    private final List<UnderlayCapture> captures = new ArrayList<>();
    @TempDir
    Path temp;

    @BeforeAll
    void start() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        for (String tool : List.of("ip", "bridge", "nft", "tcpdump", "busybox", "curl", "dig", "dnsmasq", "sysctl")) {
            assumeTrue(AgentCluster.onPath(tool), "needs '" + tool + "' on PATH (scripts/install-deps.sh installs it)");
        }
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun (the tun module) for the userspace ESP datapath");
        stage = AgentCluster.start(2);
        operator = SwarmnetOperator.start(stage.client(), OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false));
        stage.client().resource(AgentCluster.network("vault", "10.242.0.0/24", VNI, true)).create();
        AgentCluster.await("the operator allocated the network", () -> stage.allocated("vault"), Duration.ofSeconds(20));
        stage.createTasklessService("vault-app", "vault");
        stage.runAgents(new DnsSettings(Optional.empty(), Duration.ofSeconds(1)), EncryptionSettings.ModeSetting.userspace);
        stage.runTask("vault-1", "vault-app", 1, Map.of("vault", "10.242.0.11"));
        stage.runTask("vault-2", "vault-app", 2, Map.of("vault", "10.242.0.12"));
        stage.awaitAttached("vault-1", "vault-2");
        AgentCluster.await("the operator created the key Secret", () -> stage.secret() != null, Duration.ofSeconds(20));
        awaitEstablished();
    }

    @AfterAll
    void stop() throws Exception {
        captures.forEach(UnderlayCapture::close);
        AgentCluster.close(operator, stage);
    }

    @Test
    @Order(1)
    void icmpTcpAndDnsCrossTheNodesAndTheUnderlayCarriesOnlyEspInUdp() throws Exception {
        // a web page and a DNS server in the task on node 2, reached from the task on node 1
        String marker = "swarmnet-plaintext-marker-" + UUID.randomUUID();
        Path site = Files.createDirectories(temp.resolve("site"));
        Files.writeString(site.resolve("index.html"), marker + "\n");
        byte[] bulk = new byte[4 << 20]; // a bulk download, for the batched path: runs of equal-size packets
        new java.util.Random(7).nextBytes(bulk);
        Files.write(site.resolve("bulk.bin"), bulk);
        String bulkDigest = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bulk));
        stage.simulation().startProcess(stage.pod("vault-2"), "busybox", "httpd", "-f", "-p", "8080", "-h", site.toString());
        stage.simulation().startProcess(stage.pod("vault-2"), "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                "--no-hosts", "--listen-address=10.242.0.12", "--bind-interfaces", "--port=53", "--address=/probe.vault.test/192.0.2.77");

        UnderlayCapture capture = capture("underlay.pcap");
        KernelTools.Result ping = stage.exec("vault-1", "busybox", "ping", "-c", "5", "-W", "2", "10.242.0.12");
        KernelTools.Result http = retry(() -> stage.exec("vault-1", "curl", "-sS", "--max-time", "3", "http://10.242.0.12:8080/"));
        KernelTools.Result udpDns = retry(() -> stage.exec("vault-1", "dig", "+short", "+time=2", "+tries=1", "@10.242.0.12", "probe.vault.test"));
        KernelTools.Result tcpDns = stage.exec("vault-1", "dig", "+tcp", "+short", "+time=2", "+tries=1", "@10.242.0.12", "probe.vault.test");
        EspTunnel.Counters sender = stage.agent(2).espCounters().orElseThrow();
        EspTunnel.Counters receiver = stage.agent(1).espCounters().orElseThrow();
        KernelTools.Result download = stage.exec("vault-1", "sh", "-c", "curl -sS --max-time 20 http://10.242.0.12:8080/bulk.bin | sha256sum");
        EspTunnel.Counters senderAfter = stage.agent(2).espCounters().orElseThrow();
        EspTunnel.Counters receiverAfter = stage.agent(1).espCounters().orElseThrow();
        capture.stop();

        assertThat(ping.ok()).as("ICMP across the encrypted network: %s%n%s", ping.describe(), diagnostics()).isTrue();
        assertThat(http.stdout()).as("TCP (HTTP) across the encrypted network: %s", http.describe()).contains(marker);
        assertThat(udpDns.stdout().strip()).as("DNS over UDP across the encrypted network: %s", udpDns.describe()).isEqualTo("192.0.2.77");
        assertThat(tcpDns.stdout().strip()).as("DNS over TCP across the encrypted network: %s", tcpDns.describe()).isEqualTo("192.0.2.77");
        assertThat(download.stdout()).as("4 MiB over HTTP, byte for byte: %s", download.describe()).startsWith(bulkDigest);
        // the bulk went out in runs (UDP segmentation) and came in in runs (UDP GRO, one TUN write per run)
        long sealed = senderAfter.sealed() - sender.sealed();
        long sends = senderAfter.sends() - sender.sends();
        long opened = receiverAfter.opened() - receiver.opened();
        long injections = receiverAfter.injections() - receiver.injections();
        long reads = senderAfter.reads() - sender.reads();
        boolean superPackets = stage.agent(2).encryptionTunnel().orElseThrow().readsSuperPackets();
        System.out.printf(Locale.ROOT, "bulk download: node 2 read %d packets from TUN (super-packets: %s), sealed %d ESP packets in %d sends, "
                + "node 1 opened %d in %d TUN writes%n", reads, superPackets ? "yes" : "no, the kernel lacks UDP tunnel segmentation", sealed, sends,
                opened, injections);
        if (superPackets) {
            // between two userspace nodes the super-packets go whole: one ESP packet (in pieces) per TUN read
            long whole = senderAfter.sealedSuperPackets() - sender.sealedSuperPackets();
            assertThat(whole).as("super-packets node 2 sealed whole for 4 MiB").isPositive();
            assertThat(receiverAfter.openedSuperPackets() - receiver.openedSuperPackets()).as("super-packets node 1 opened whole")
                    .isEqualTo(whole);
            assertThat(sealed).as("ESP packets node 2 sealed for 4 MiB: far fewer than its %d segments", (4 << 20) / 1400)
                    .isLessThan((4 << 20) / 1400 / 4);
            assertThat(sends).as("UDP sends for them: one per super-packet").isLessThanOrEqualTo(sealed + 2);
        } else {
            assertThat(sealed).as("ESP packets node 2 sealed for 4 MiB").isGreaterThan(2_900);
            assertThat(sends).as("UDP sends for them").isLessThan(sealed / 2);
            assertThat(injections).as("TUN writes for the %d opened packets", opened).isLessThan(opened / 2);
        }

        int esp = capture.count("udp src port 4500 and udp dst port 4500");
        int vxlan = capture.count(PLAINTEXT_VXLAN);
        int other = capture.count("not (udp src port 4500 and udp dst port 4500)");
        System.out.printf(Locale.ROOT, "underlay capture: %d ESP-in-UDP packets, %d plaintext VXLAN packets, %d others%n", esp, vxlan, other);
        assertThat(esp).as("ESP-in-UDP packets on the underlay: %s", capture.lines("")).isGreaterThanOrEqualTo(10);
        assertThat(vxlan).as("plaintext VXLAN on the underlay").isZero();
        assertThat(other).as("anything but ESP-in-UDP among the captured UDP").isZero();
        assertThat(capture.contains(marker.getBytes(StandardCharsets.US_ASCII))).as("the page's text on the underlay").isFalse();
        // every payload is ESP of a known SA: SPI >= 256, sequence > 0 (RFC 4303), or a piece of a whole super-packet's
        // ESP packet (RFC 3948's non-ESP marker, index < count), the first of which starts with such an ESP header
        int pieces = 0;
        for (byte[] payload : capture.udpPayloads(4500)) {
            ByteBuffer b = ByteBuffer.wrap(payload);
            if (b.getInt(0) == 0) {
                pieces++;
                int index = b.get(4) & 0xFF;
                int count = b.get(5) & 0xFF;
                assertThat(index).as("piece index against its count %d", count).isLessThan(count);
                assertThat(count).as("pieces of one ESP packet").isGreaterThan(1);
                if (index == 0) {
                    assertThat(Integer.toUnsignedLong(b.getInt(8))).as("SPI in the first piece").isGreaterThanOrEqualTo(256);
                    assertThat(b.getInt(12) & 0xFFFF).as("the piece's sequence: the ESP packet's low 16 bits").isEqualTo(b.getShort(6) & 0xFFFF);
                }
                continue;
            }
            assertThat(Integer.toUnsignedLong(b.getInt(0))).isGreaterThanOrEqualTo(256);
            assertThat(Integer.toUnsignedLong(b.getInt(4))).isPositive();
        }
        if (superPackets) {
            assertThat(pieces).as("pieces of whole super-packets on the underlay").isPositive();
        }

        // the status says how each node encrypts
        OverlayNetwork network = stage.client().resources(OverlayNetwork.class).inNamespace(ClusterObjects.NS).withName("vault").get();
        assertThat(network.getStatus().getNodes()).extracting(NetworkNodeStatus::getEncryptionMode).containsOnly("Userspace");
        Condition encrypted = stage.encryptedCondition("vault").orElseThrow();
        System.out.printf(Locale.ROOT, "Encrypted condition: %s/%s: %s%n", encrypted.getStatus(), encrypted.getReason(), encrypted.getMessage());
        assertThat(encrypted.getStatus()).isEqualTo("True");
        assertThat(encrypted.getMessage()).contains("userspace ESP over TUN: node-1, node-2");
    }

    @Test
    @Order(2)
    void forgedAndReplayedPacketsAreDroppedAndCountedAndDoNotDisturbTraffic() throws Exception {
        UnderlayCapture capture = capture("replay.pcap");
        assertThat(stage.exec("vault-1", "busybox", "ping", "-c", "3", "-W", "2", "10.242.0.12").ok()).isTrue();
        capture.stop();
        SimulatedNode one = stage.node(1);
        SimulatedNode two = stage.node(2);
        // packets node 1 sent to node 2 (the capture sees both directions; node 2's SPI for node 1 tells them apart)
        List<byte[]> sent = new ArrayList<>();
        for (byte[] payload : capture.udpPayloads(4500)) {
            if (isFrom(one, two, payload)) {
                sent.add(payload);
            }
        }
        assertThat(sent).as("ESP packets from node 1 to node 2 in the capture").isNotEmpty();
        EspTunnel.Counters before = stage.agent(2).espCounters().orElseThrow();

        byte[] replay = sent.get(0);
        byte[] tampered = sent.get(sent.size() - 1).clone();
        tampered[tampered.length - 20] ^= 0x01; // one bit of the ciphertext
        ByteBuffer.wrap(tampered).putInt(4, 0x7fff_0000); // and a sequence number far ahead, so only authentication can refuse it
        byte[] forgedAhead = sent.get(0).clone();
        ByteBuffer.wrap(forgedAhead).putInt(4, 0x7ffe_0000); // an untouched ciphertext under a changed (authenticated) sequence
        sendFrom(one, two, List.of(replay, replay, tampered, forgedAhead));

        AgentCluster.await("node 2 counted the forgeries and replays", () -> {
            EspTunnel.Counters now = stage.agent(2).espCounters().orElseThrow();
            return now.replayed() - before.replayed() >= 2 && now.authenticationFailed() - before.authenticationFailed() >= 2;
        }, Duration.ofSeconds(5));
        EspTunnel.Counters after = stage.agent(2).espCounters().orElseThrow();
        System.out.printf(Locale.ROOT, "node 2 after 2 replays and 2 forgeries: replayed +%d, authentication failed +%d%n",
                after.replayed() - before.replayed(), after.authenticationFailed() - before.authenticationFailed());
        assertThat(after.replayed() - before.replayed()).isEqualTo(2);
        assertThat(after.authenticationFailed() - before.authenticationFailed()).isEqualTo(2);
        // what an operator sees: the agent's /metrics
        int port = stage.agent(2).healthPort().orElseThrow();
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        // Micrometer writes values as Java doubles ("2.0", "1.2E7"): a positive count starts with a digit 1 to 9
        assertThat(metrics).contains("swarmnet_esp_packets_total{direction=\"in\",result=\"replayed\"} " + (double) after.replayed() + "\n")
                .contains("swarmnet_esp_packets_total{direction=\"in\",result=\"authentication_failed\"} "
                        + (double) after.authenticationFailed() + "\n");
        assertThat(metrics).containsPattern("swarmnet_esp_tun_reads_total [1-9][0-9.E]*\n");
        assertThat(metrics).as("batches on /metrics").containsPattern("swarmnet_esp_batches_total\\{direction=\"in\"} [1-9][0-9.E]*\n")
                .containsPattern("swarmnet_esp_batches_total\\{direction=\"out\"} [1-9][0-9.E]*\n");
        // a forged sequence number did not move the replay window: genuine traffic still flows
        KernelTools.Result ping = stage.exec("vault-1", "busybox", "ping", "-c", "3", "-W", "2", "10.242.0.12");
        assertThat(ping.ok()).as("traffic after the forgeries: %s", ping.describe()).isTrue();
    }

    @Test
    @Order(3)
    void keyRotationDuringAPingFloodLosesNoPacket() throws Exception {
        SteppedClock clock = new SteppedClock(Instant.now().plus(Duration.ofHours(1)));
        KeyRotation rotation = new KeyRotation(stage.client(), AgentCluster.KEY_NAMESPACE, Duration.ofMinutes(30), Duration.ofSeconds(1),
                clock, new ClusterEvents(stage.client()));
        long firstGeneration = stage.ring().primary();
        Process load = stage.simulation().startProcessWithOutput(stage.pod("vault-1"), "busybox", "ping", "-i", "0.01", "-c", "600", "-W", "1",
                "10.242.0.12");
        AgentCluster.sleep(500);
        assertThat(rotation.step()).isInstanceOf(KeyRotationPlan.AddGeneration.class);
        AgentCluster.sleep(1500);
        clock.advance(Duration.ofSeconds(2));
        assertThat(AgentCluster.stepOnceConfirmed(rotation)).isInstanceOf(KeyRotationPlan.Promote.class);
        AgentCluster.sleep(1500);
        clock.advance(Duration.ofSeconds(2));
        assertThat(AgentCluster.stepOnceConfirmed(rotation)).isInstanceOf(KeyRotationPlan.Retire.class);
        assertThat(load.waitFor(30, TimeUnit.SECONDS)).as("the ping flood ended").isTrue();
        String out = new String(load.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        KeyRing ring = stage.ring();
        System.out.printf(Locale.ROOT, "rotation from generation %d to %d under a ping every 10 ms: %s%n", firstGeneration, ring.primary(),
                out.lines().filter(l -> l.contains("packets transmitted")).findFirst().orElse(out));
        assertThat(ring.primary()).isGreaterThan(firstGeneration);
        assertThat(ring.keys()).hasSize(1);
        assertThat(out).as("ping under rotation:%n%s", out).contains("600 packets transmitted, 600 packets received");
        // and the new key carries traffic once the old one is gone
        AgentCluster.sleep(500);
        assertThat(stage.exec("vault-1", "busybox", "ping", "-c", "2", "-W", "2", "10.242.0.12").ok()).isTrue();
    }

    @Test
    @Order(4)
    void anAgentRestartStopsThePathClosedAndResumesIt() throws Exception {
        String device = stage.node(1).datapathConfig().prefix() + "esp";
        assertThat(stage.execOnNode(1, "ip", "link", "show", device).ok()).as("TUN device %s on node 1", device).isTrue();
        long replayedBefore = stage.agent(2).espCounters().orElseThrow().replayed();
        // packets node 2 sends to node 1 before the restart: replayed to the restarted agent, they must be refused
        UnderlayCapture before = capture("before-restart.pcap");
        assertThat(stage.exec("vault-1", "busybox", "ping", "-c", "3", "-W", "2", "10.242.0.12").ok()).isTrue();
        before.stop();
        List<byte[]> toNodeOne = new ArrayList<>();
        for (byte[] payload : before.udpPayloads(4500)) {
            if (isFrom(stage.node(2), stage.node(1), payload)) {
                toNodeOne.add(payload);
            }
        }
        assertThat(toNodeOne).as("ESP packets from node 2 to node 1 before the restart").isNotEmpty();

        stage.stopAgent(1);
        UnderlayCapture capture = capture("restart.pcap");
        assertThat(stage.execOnNode(1, "ip", "link", "show", device).ok()).as("the TUN device left with the agent").isFalse();
        KernelTools.Result during = stage.exec("vault-1", "busybox", "ping", "-c", "3", "-W", "1", "10.242.0.12");
        long restarted = System.nanoTime();
        stage.startAgent(1);
        KernelTools.Result after = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            after = stage.exec("vault-1", "busybox", "ping", "-c", "1", "-W", "1", "10.242.0.12");
            if (after.ok()) {
                break;
            }
        }
        long resumedMillis = (System.nanoTime() - restarted) / 1_000_000;
        capture.stop();
        System.out.printf(Locale.ROOT, "agent restart: traffic resumed %d ms after the new agent started%n", resumedMillis);
        assertThat(during.ok()).as("nothing crosses while the agent is away (fail closed)").isFalse();
        assertThat(capture.count(PLAINTEXT_VXLAN)).as("plaintext VXLAN while the agent was away or starting").isZero();
        assertThat(after).isNotNull();
        assertThat(after.ok()).as("traffic after the restart: %s", after.describe()).isTrue();
        // the restarted sender continued above its reserved sequence numbers: node 2 saw nothing it took for a replay
        assertThat(stage.agent(2).espCounters().orElseThrow().replayed()).isEqualTo(replayedBefore);
        KernelTools.Result burst = stage.exec("vault-1", "busybox", "ping", "-i", "0.05", "-c", "20", "-W", "1", "10.242.0.12");
        assertThat(burst.stdout()).as("after the restart").contains("20 packets received");

        // the restarted receiver kept its replay window: what it accepted before is refused now, counted as replays
        EspTunnel.Counters beforeReplay = stage.agent(1).espCounters().orElseThrow();
        sendFrom(stage.node(2), stage.node(1), toNodeOne);
        AgentCluster.await("node 1 counted the replays", () -> stage.agent(1).espCounters().orElseThrow().replayed() - beforeReplay.replayed()
                >= toNodeOne.size(), Duration.ofSeconds(5));
        EspTunnel.Counters afterReplay = stage.agent(1).espCounters().orElseThrow();
        System.out.printf(Locale.ROOT, "replayed to the restarted node 1: %d packets captured before the restart, replayed +%d, opened +%d%n",
                toNodeOne.size(), afterReplay.replayed() - beforeReplay.replayed(), afterReplay.opened() - beforeReplay.opened());
        assertThat(afterReplay.replayed() - beforeReplay.replayed()).isEqualTo(toNodeOne.size());
    }

    // --- helpers --------------------------------------------------------------------------------------------

    /** What a failing assertion should show: each node's datapath counters, rules, routes and nft table. */
    private String diagnostics() {
        StringBuilder out = new StringBuilder();
        for (int n = 1; n <= 2; n++) {
            String device = stage.node(n).datapathConfig().prefix() + "esp";
            out.append("node ").append(n).append(": counters ").append(stage.agent(n) == null ? "no agent" : stage.agent(n).espCounters())
                    .append('\n');
            for (String[] command : new String[][] {{"ip", "rule"}, {"ip", "route", "show", "table", "94"}, {"ip", "-s", "link", "show", device},
                    {"nft", "list", "table", "ip", device}, {"ip", "xfrm", "policy"},
                    {"sysctl", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf." + device + ".rp_filter"},
                    {"nstat", "-az", "IpInAddrErrors", "IpInHdrErrors", "IpInDiscards", "UdpNoPorts", "UdpInErrors", "TcpExtIPReversePathFilter",
                            "IpExtInNoRoutes", "IpInDelivers", "UdpInDatagrams"}}) {
                KernelTools.Result r = stage.execOnNode(n, command);
                out.append("  $ ").append(String.join(" ", command)).append('\n').append(r.stdout()).append(r.stderr());
            }
        }
        return out.toString();
    }

    private void awaitEstablished() {
        for (int n = 1; n <= 2; n++) {
            stage.awaitEncryption(n, "vault", NodeNetworkState.EncryptionMode.Userspace);
        }
        AgentCluster.await("the Encrypted condition is True", () -> stage.encryptedCondition("vault")
                .map(c -> "True".equals(c.getStatus())).orElse(false), Duration.ofSeconds(30));
    }

    private UnderlayCapture capture(String file) throws Exception {
        UnderlayCapture capture = UnderlayCapture.start(stage.simulation().underlayPort(stage.node(1)), temp.resolve(file), "udp");
        captures.add(capture);
        return capture;
    }

    private static KernelTools.Result retry(java.util.function.Supplier<KernelTools.Result> command) {
        KernelTools.Result result = command.get();
        for (int i = 0; i < 10 && !result.ok(); i++) {
            AgentCluster.sleep(300); // the server process may still be starting
            result = command.get();
        }
        return result;
    }

    /** Whether an ESP payload's SPI is one of the SAs from {@code source} to {@code destination} (any generation). */
    private boolean isFrom(SimulatedNode source, SimulatedNode destination, byte[] payload) {
        int spi = ByteBuffer.wrap(payload).getInt(0);
        return stage.ring().keys().stream().anyMatch(k -> io.swarmnet.agent.encryption.PairKeys.derive(k, source.underlayAddress(),
                destination.underlayAddress()).spi() == spi);
    }

    /** Sends raw UDP payloads to {@code destination}:4500 from {@code source}'s underlay address, as a man in the middle could. */
    private void sendFrom(SimulatedNode source, SimulatedNode destination, List<byte[]> payloads) throws Exception {
        NetworkNamespace.callInside(Path.of("/run/netns", source.namespace()), "test-forge", () -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.bind(new InetSocketAddress(InetAddress.getByAddress(source.underlayAddress().bytes()), 0));
                InetSocketAddress target = new InetSocketAddress(InetAddress.getByAddress(destination.underlayAddress().bytes()),
                        EspTunnel.ESP_IN_UDP_PORT);
                for (byte[] payload : payloads) {
                    channel.send(ByteBuffer.wrap(payload), target);
                }
            }
            return null;
        });
    }
}

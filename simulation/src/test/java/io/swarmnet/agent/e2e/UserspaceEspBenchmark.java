package io.swarmnet.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.agent.encryption.EncryptionSettings;
import io.swarmnet.agent.encryption.userspace.EspTunnel;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.SwarmnetOperator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7's numbers: what the userspace ESP datapath costs against the plain overlay, measured side by side on
 * the same two simulated nodes in one run (agents in userspace mode, the real operator): TCP throughput task to
 * task with iperf3 (rounds alternate plain and encrypted, so drift hits both alike), round-trip time with
 * busybox ping, and the CPU time of the ESP threads per byte moved, as "Gbit/s per core" (the issue's goal: at
 * least 1 Gbit/s on one core). Printed, never asserted against a target; only sanity is asserted.
 * Run on purpose: {@code mvn -pl simulation -am test -Dtest=UserspaceEspBenchmark -Dgroups=benchmark
 * -DexcludedGroups=none -Dsurefire.failIfNoSpecifiedTests=false}.
 * Knobs: -Dswarmnet.bench.seconds (5 per iperf3 run), -Dswarmnet.bench.rounds (3), -Dswarmnet.bench.pings (200).
 */
@Tag("benchmark")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UserspaceEspBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SECONDS = Integer.getInteger("swarmnet.bench.seconds", 5);
    private static final int ROUNDS = Integer.getInteger("swarmnet.bench.rounds", 3);
    private static final int PINGS = Integer.getInteger("swarmnet.bench.pings", 200);
    private static final String IPERF_PORT = "5201";
    private static final Pattern PING_TIME = Pattern.compile("time=([0-9.]+) ms");

    /** One overlay network of the comparison, its two tasks (client on node 1, server on node 2) and the server's address. */
    private record TaskPair(String label, String client, String server, String serverAddress) {
    }

    private static final TaskPair PLAIN = new TaskPair("plain overlay", "clear-1", "clear-2", "10.243.0.12");
    private static final TaskPair ENCRYPTED = new TaskPair("userspace ESP", "sealed-1", "sealed-2", "10.245.0.12");

    private AgentCluster stage;
    private SwarmnetOperator operator;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    @BeforeAll
    void start() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        for (String tool : List.of("ip", "bridge", "nft", "ss", "iperf3", "tcpdump", "busybox", "sysctl")) {
            assumeTrue(AgentCluster.onPath(tool), "needs '" + tool + "' on PATH (scripts/install-deps.sh installs it)");
        }
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun (the tun module) for the userspace ESP datapath");
        assumeTrue(threads.isThreadCpuTimeSupported(), "needs per-thread CPU time (ThreadMXBean) to measure the ESP threads");
        threads.setThreadCpuTimeEnabled(true);

        stage = AgentCluster.start(2);
        operator = SwarmnetOperator.start(stage.client(), OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false));
        stage.client().resource(AgentCluster.network("clear", "10.243.0.0/24", 4821, false)).create();
        // not 10.244.0.0/16: the operator keeps overlays out of the conventional pod range
        stage.client().resource(AgentCluster.network("sealed", "10.245.0.0/24", 4822, true)).create();
        AgentCluster.await("the operator allocated both networks", () -> stage.allocated("clear") && stage.allocated("sealed"),
                Duration.ofSeconds(20));
        stage.createTasklessService("clear-app", "clear");
        stage.createTasklessService("sealed-app", "sealed");
        stage.runAgents(new DnsSettings(Optional.empty(), Duration.ofSeconds(1)), EncryptionSettings.ModeSetting.userspace);
        stage.runTask("clear-1", "clear-app", 1, Map.of("clear", "10.243.0.11"));
        stage.runTask("clear-2", "clear-app", 2, Map.of("clear", "10.243.0.12"));
        stage.runTask("sealed-1", "sealed-app", 1, Map.of("sealed", "10.245.0.11"));
        stage.runTask("sealed-2", "sealed-app", 2, Map.of("sealed", "10.245.0.12"));
        stage.awaitAttached("clear-1", "clear-2", "sealed-1", "sealed-2");
        for (int n = 1; n <= 2; n++) {
            stage.awaitEncryption(n, "sealed", NodeNetworkState.EncryptionMode.Userspace);
        }
        for (TaskPair path : List.of(PLAIN, ENCRYPTED)) {
            AgentCluster.await(path.label() + " carries a ping from node 1 to node 2",
                    () -> stage.exec(path.client(), "busybox", "ping", "-c", "1", "-W", "1", path.serverAddress()).ok(), Duration.ofSeconds(20));
            stage.simulation().startProcess(stage.pod(path.server()), "iperf3", "-s", "-p", IPERF_PORT);
            AgentCluster.await("iperf3 listens in " + path.server(), () -> !stage.exec(path.server(), "ss", "-Hltn", "sport = :" + IPERF_PORT)
                    .stdout().isBlank(), Duration.ofSeconds(10));
        }
    }

    @AfterAll
    void stop() throws Exception {
        AgentCluster.close(operator, stage);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void userspaceEspThroughputLatencyAndCpuPerByteAgainstThePlainOverlay() throws Exception {
        Map<String, Long> espThreads = espThreadIds();
        String sealer = threadName(1, "seal");
        String opener = threadName(2, "open");
        assertThat(espThreads).as("ESP threads of this run's agents").containsKeys(sealer, opener, threadName(1, "open"), threadName(2, "seal"));

        // warm-up, not counted: the JIT compiles the seal and open loops, TCP finds its window
        iperf(PLAIN, espThreads, 1, false);
        iperf(ENCRYPTED, espThreads, 1, false);

        List<IperfRun> plain = new ArrayList<>();
        List<IperfRun> encrypted = new ArrayList<>();
        List<IperfRun> cut = new ArrayList<>();
        Drops dropsBefore = drops();
        for (int round = 0; round < ROUNDS; round++) {
            plain.add(iperf(PLAIN, espThreads, SECONDS, false));
            encrypted.add(iperf(ENCRYPTED, espThreads, SECONDS, false));
            // the same path with every super-packet cut into datagrams, as to a peer that does not take them whole
            wholeSuperPackets(false);
            try {
                cut.add(iperf(ENCRYPTED, espThreads, SECONDS, false));
            } finally {
                wholeSuperPackets(true);
            }
        }
        Drops dropsAfter = drops();
        IperfRun plainReverse = iperf(PLAIN, espThreads, SECONDS, true);
        IperfRun encryptedReverse = iperf(ENCRYPTED, espThreads, SECONDS, true);

        List<Double> plainRtt = new ArrayList<>();
        List<Double> encryptedRtt = new ArrayList<>();
        List<Double> echoRtt = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            plainRtt.addAll(pingMicros(PLAIN));
            encryptedRtt.addAll(pingMicros(ENCRYPTED));
            echoRtt.addAll(userspaceEchoMicros(PLAIN));
        }

        // printed first: the numbers help most when a sanity check below fails
        report(plain, encrypted, plainReverse, encryptedReverse, plainRtt, encryptedRtt, echoRtt, sealer, opener,
                new Drops(dropsAfter.tunQueue() - dropsBefore.tunQueue(), dropsAfter.udpReceiveBuffer() - dropsBefore.udpReceiveBuffer()));
        reportCut(plain, encrypted, cut);

        // sanity, never timing: both paths carried data, the encrypted one through ESP and the plain one not
        for (IperfRun run : plain) {
            assertThat(run.bytes()).as("bytes over the plain overlay").isPositive();
            assertThat(run.sealedBytesNode1()).as("ESP bytes sealed by node 1 while only the plain overlay carried traffic")
                    .isLessThan(run.bytes() / 100);
        }
        if (stage.agent(1).encryptionTunnel().orElseThrow().readsSuperPackets()) {
            assertThat(encrypted).as("encrypted runs in which node 1 sealed super-packets whole").allMatch(run -> run.superPacketsNode1() > 0);
            assertThat(cut).as("runs with super-packets cut in which node 1 sealed one whole").allMatch(run -> run.superPacketsNode1() == 0);
        }
        for (IperfRun run : encrypted) {
            assertThat(run.bytes()).as("bytes over the encrypted network").isPositive();
            assertThat(run.sealedBytesNode1()).as("ESP bytes node 1 sealed during an encrypted run").isGreaterThan(run.bytes());
            assertThat(run.openedBytesNode2()).as("ESP bytes node 2 opened during an encrypted run").isGreaterThan(run.bytes());
        }
        assertThat(plainRtt).as("ping replies over the plain overlay").isNotEmpty();
        assertThat(encryptedRtt).as("ping replies over the encrypted network").isNotEmpty();

    }

    // --- measuring ------------------------------------------------------------------------------------------

    /**
     * One iperf3 run: what arrived, how long it took, and what the ESP threads did meanwhile: CPU time (user and
     * kernel: a thread's send or TUN write also runs the kernel's delivery of that packet) and packets, by thread name.
     */
    private record IperfRun(double gbits, long bytes, long retransmits, long wallNanos, Map<String, Long> espCpuNanos,
            Map<String, Long> espUserNanos, Map<String, Long> espPackets, long sealedBytesNode1, long openedBytesNode2, long sendsNode1,
            long injectionsNode2, long readsNode1, long machineBusyNanos, long superPacketsNode1) {

        long cpu(String thread) {
            return espCpuNanos.getOrDefault(thread, 0L);
        }

        long user(String thread) {
            return espUserNanos.getOrDefault(thread, 0L);
        }

        long packets(String thread) {
            return espPackets.getOrDefault(thread, 0L);
        }
    }

    private IperfRun iperf(TaskPair path, Map<String, Long> espThreads, int seconds, boolean reverse) throws Exception {
        List<String> command = new ArrayList<>(List.of("iperf3", "-c", path.serverAddress(), "-p", IPERF_PORT, "-t", Integer.toString(seconds),
                "--connect-timeout", "3000", "-J"));
        if (reverse) {
            command.add("-R");
        }
        EspTunnel.Counters n1 = counters(1);
        EspTunnel.Counters n2 = counters(2);
        Map<String, Long> cpuBefore = cpuNanos(espThreads, false);
        Map<String, Long> userBefore = cpuNanos(espThreads, true);
        long machineBefore = machineBusyNanos();
        long started = System.nanoTime();
        Process client = stage.simulation().startProcessWithOutput(stage.pod(path.client()), command.toArray(String[]::new));
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        boolean ended = client.waitFor(seconds + 20L, TimeUnit.SECONDS);
        long wall = System.nanoTime() - started;
        long machine = machineBusyNanos() - machineBefore;
        Map<String, Long> cpuAfter = cpuNanos(espThreads, false);
        Map<String, Long> userAfter = cpuNanos(espThreads, true);
        EspTunnel.Counters m1 = counters(1);
        EspTunnel.Counters m2 = counters(2);
        if (!ended) {
            client.destroyForcibly();
            client.waitFor(5, TimeUnit.SECONDS);
        }
        String out = output.get(5, TimeUnit.SECONDS);
        assertThat(ended).as("iperf3 over the %s ended within %d s: %s", path.label(), seconds + 20, out).isTrue();
        int json = out.indexOf('{');
        assertThat(json).as("iperf3 JSON over the %s: %s", path.label(), out).isNotNegative();
        JsonNode end = JSON.readTree(out.substring(json)).path("end");
        assertThat(end.has("sum_received")).as("iperf3 result over the %s: %s", path.label(), out).isTrue();
        Map<String, Long> packets = Map.of(threadName(1, "seal"), m1.sealed() - n1.sealed(), threadName(1, "open"), m1.opened() - n1.opened(),
                threadName(2, "seal"), m2.sealed() - n2.sealed(), threadName(2, "open"), m2.opened() - n2.opened());
        return new IperfRun(end.path("sum_received").path("bits_per_second").asDouble() / 1e9, end.path("sum_received").path("bytes").asLong(),
                end.path("sum_sent").path("retransmits").asLong(), wall, difference(cpuBefore, cpuAfter), difference(userBefore, userAfter),
                packets, m1.sealedBytes() - n1.sealedBytes(), m2.openedBytes() - n2.openedBytes(), m1.sends() - n1.sends(),
                m2.injections() - n2.injections(), m1.reads() - n1.reads(), machine, m1.sealedSuperPackets() - n1.sealedSuperPackets());
    }

    /** CPU time the whole machine spent busy (every CPU, all but idle and iowait in /proc/stat), in nanoseconds. */
    private static long machineBusyNanos() throws IOException {
        String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < fields.length && i <= 8; i++) {
            if (i != 4 && i != 5) { // idle, iowait
                busy += Long.parseLong(fields[i]);
            }
        }
        return busy * 10_000_000L; // USER_HZ = 100
    }

    private static Map<String, Long> difference(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> difference = new HashMap<>();
        after.forEach((name, nanos) -> difference.put(name, nanos - before.getOrDefault(name, nanos)));
        return difference;
    }

    /**
     * Where the encrypted path can lose packets outside the ESP code: node 1's TUN device queue (packets the kernel
     * routed into it while the seal thread was behind) and node 2's UDP receive buffers (ESP-in-UDP the open thread
     * did not take in time). Both node namespaces see no other UDP traffic of note during the runs.
     */
    private record Drops(long tunQueue, long udpReceiveBuffer) {
    }

    private Drops drops() throws IOException {
        String device = stage.node(1).datapathConfig().prefix() + "esp";
        KernelTools.Result link = stage.execOnNode(1, "ip", "-s", "-j", "link", "show", "dev", device);
        assertThat(link.ok()).as(link.describe()).isTrue();
        long tunQueue = JSON.readTree(link.stdout()).path(0).path("stats64").path("tx").path("dropped").asLong();
        KernelTools.Result udp = stage.execOnNode(2, "nstat", "-az", "UdpRcvbufErrors");
        Matcher m = Pattern.compile("UdpRcvbufErrors\\s+(\\d+)").matcher(udp.stdout());
        return new Drops(tunQueue, m.find() ? Long.parseLong(m.group(1)) : -1);
    }

    /** Round-trip times in microseconds of a bounded ping flood from the task on node 1 to the one on node 2. */
    private List<Double> pingMicros(TaskPair path) {
        KernelTools.Result r = stage.exec(path.client(), "busybox", "ping", "-c", Integer.toString(PINGS), "-i", "0.01", "-W", "1", "-w",
                Integer.toString(PINGS / 50 + 10), path.serverAddress());
        List<Double> micros = new ArrayList<>();
        Matcher m = PING_TIME.matcher(r.stdout());
        while (m.find()) {
            micros.add(Double.parseDouble(m.group(1)) * 1000);
        }
        assertThat(micros).as("ping over the %s: %s", path.label(), r.describe()).isNotEmpty();
        return micros;
    }

    /**
     * Round-trip times in microseconds of a UDP echo between two Java threads, one in each task of {@code path}, at the
     * ping's pace: the same network path as the ping plus one thread wake-up at each end.
     */
    private List<Double> userspaceEchoMicros(TaskPair path) throws Exception {
        InetSocketAddress server = new InetSocketAddress(path.serverAddress(), 7007);
        try (DatagramChannel echo = channelIn(path.server(), server); DatagramChannel client = channelIn(path.client(), null)) {
            Thread echoer = new Thread(() -> {
                ByteBuffer buffer = ByteBuffer.allocate(256);
                try {
                    while (true) {
                        buffer.clear();
                        java.net.SocketAddress from = echo.receive(buffer);
                        echo.send(buffer.flip(), from);
                    }
                } catch (IOException closed) {
                    // the channel was closed: the measurement is over
                }
            }, "bench-udp-echo");
            echoer.setDaemon(true);
            echoer.start();
            client.socket().setSoTimeout(1000);
            List<Double> micros = new ArrayList<>();
            java.net.DatagramPacket reply = new java.net.DatagramPacket(new byte[256], 256);
            for (int i = 0; i < PINGS; i++) {
                long sent = System.nanoTime();
                client.socket().send(new java.net.DatagramPacket(new byte[56], 56, server));
                try {
                    client.socket().receive(reply);
                    micros.add((System.nanoTime() - sent) / 1e3);
                } catch (java.net.SocketTimeoutException lost) {
                    // counted by its absence
                }
                Thread.sleep(10);
            }
            assertThat(micros).as("UDP echo replies over the %s", path.label()).isNotEmpty();
            return micros;
        }
    }

    /** A UDP socket created inside the task's network namespace (bound to {@code address} if given). */
    private DatagramChannel channelIn(String task, InetSocketAddress address) throws IOException {
        return NetworkNamespace.callInside(Path.of("/run/netns", stage.pod(task).namespace()), "bench-udp-" + task, () -> {
            DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
            if (address != null) {
                channel.bind(address);
            }
            return channel;
        });
    }

    private EspTunnel.Counters counters(int node) {
        return stage.agent(node).espCounters().orElseThrow(() -> new AssertionError("node " + node + "'s agent runs no userspace ESP tunnel"));
    }

    /** The ESP threads of this JVM (both agents run in it) by name: "swarmnet-esp-DEVICE-seal" and "-open". */
    private static Map<String, Long> espThreadIds() {
        Map<String, Long> ids = new HashMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("swarmnet-esp-")) {
                ids.put(t.getName(), t.getId());
            }
        }
        return ids;
    }

    /** CPU time of each thread so far: all of it, or ({@code userOnly}) the part spent outside the kernel. */
    private Map<String, Long> cpuNanos(Map<String, Long> espThreads, boolean userOnly) {
        Map<String, Long> cpu = new HashMap<>();
        espThreads.forEach((name, id) -> {
            long nanos = userOnly ? threads.getThreadUserTime(id) : threads.getThreadCpuTime(id);
            if (nanos >= 0) { // -1: the thread ended (an agent restarted), nothing to count
                cpu.put(name, nanos);
            }
        });
        return cpu;
    }

    private String threadName(int node, String role) {
        return "swarmnet-esp-" + stage.node(node).datapathConfig().prefix() + "esp-" + role;
    }

    // --- reporting ------------------------------------------------------------------------------------------

    private static double busyPerGigabyte(List<IperfRun> runs) {
        return runs.stream().mapToLong(IperfRun::machineBusyNanos).sum() / 1e9 / (runs.stream().mapToLong(IperfRun::bytes).sum() / 1e9);
    }

    private void report(List<IperfRun> plain, List<IperfRun> encrypted, IperfRun plainReverse, IperfRun encryptedReverse, List<Double> plainRtt,
            List<Double> encryptedRtt, List<Double> echoRtt, String sealer, String opener, Drops drops) {
        double[] p = plain.stream().mapToDouble(IperfRun::gbits).sorted().toArray();
        double[] e = encrypted.stream().mapToDouble(IperfRun::gbits).sorted().toArray();
        double ratio = median(e) / median(p);
        System.out.printf(Locale.ROOT, "%n== userspace ESP vs plain overlay: TCP task (node 1) -> task (node 2), one flow, %d x %d s each, alternating ==%n",
                ROUNDS, SECONDS);
        System.out.printf(Locale.ROOT, "%-30s %8s %8s %8s  %s%n", "Gbit/s", "min", "median", "max", "runs in order (TCP retransmits)");
        System.out.printf(Locale.ROOT, "%-30s %8.2f %8.2f %8.2f  %s%n", "plain overlay (VXLAN)", p[0], median(p), p[p.length - 1], runs(plain));
        System.out.printf(Locale.ROOT, "%-30s %8.2f %8.2f %8.2f  %s%n", "encrypted (userspace ESP)", e[0], median(e), e[e.length - 1], runs(encrypted));
        System.out.printf(Locale.ROOT, "ratio encrypted/plain of medians: %.3f%n", ratio);
        System.out.printf(Locale.ROOT, "reverse (-R, node 2 -> node 1, one run each): plain %.2f Gbit/s, encrypted %.2f Gbit/s (ratio %.3f)%n",
                plainReverse.gbits(), encryptedReverse.gbits(), encryptedReverse.gbits() / plainReverse.gbits());

        double[] pr = plainRtt.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double[] er = encryptedRtt.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double pAvg = Arrays.stream(pr).average().orElse(0);
        double eAvg = Arrays.stream(er).average().orElse(0);
        System.out.printf(Locale.ROOT, "%n== round trip, busybox ping -i 0.01, 2 x %d each, alternating ==%n", PINGS);
        System.out.printf(Locale.ROOT, "%-30s %8s %8s %8s %8s %8s%n", "microseconds", "replies", "avg", "p50", "p90", "max");
        System.out.printf(Locale.ROOT, "%-30s %8d %8.0f %8.0f %8.0f %8.0f%n", "plain overlay (VXLAN)", pr.length, pAvg, median(pr), percentile(pr, 0.9),
                pr[pr.length - 1]);
        System.out.printf(Locale.ROOT, "%-30s %8d %8.0f %8.0f %8.0f %8.0f%n", "encrypted (userspace ESP)", er.length, eAvg, median(er),
                percentile(er, 0.9), er[er.length - 1]);
        System.out.printf(Locale.ROOT, "added by userspace ESP: avg %+.0f us, p50 %+.0f us%n", eAvg - pAvg, median(er) - median(pr));
        // the floor of any userspace datapath: each one-way trip wakes a sleeping thread on each node (seal, then open),
        // 4 wake-ups per round trip; a UDP echo between two Java threads over the plain overlay has 2 (server, client)
        double[] ur = echoRtt.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double uAvg = Arrays.stream(ur).average().orElse(0);
        double wake = (uAvg - pAvg) / 2;
        System.out.printf(Locale.ROOT, "%-30s %8d %8.0f %8.0f %8.0f %8.0f%n", "Java UDP echo, plain overlay", ur.length, uAvg, median(ur),
                percentile(ur, 0.9), ur[ur.length - 1]);
        System.out.printf(Locale.ROOT, "one wake-up of a sleeping Java thread here: (echo - ping) / 2 = %.0f us; the ESP path has 4 per round trip "
                + "= %.0f us of its %+.0f us%n", wake, 4 * wake, eAvg - pAvg);

        System.out.printf(Locale.ROOT, "whole machine busy (/proc/stat, both CPUs, everything on them): plain overlay %.2f CPU-s per GB of TCP "
                + "payload, userspace ESP %.2f CPU-s per GB%n", busyPerGigabyte(plain), busyPerGigabyte(encrypted));

        long bytes = encrypted.stream().mapToLong(IperfRun::bytes).sum();
        long wall = encrypted.stream().mapToLong(IperfRun::wallNanos).sum();
        System.out.printf(Locale.ROOT, "%n== CPU of the ESP threads during the %d encrypted runs (%.1f GB of TCP payload, %.1f s) ==%n", encrypted.size(),
                bytes / 1e9, wall / 1e9);
        System.out.printf(Locale.ROOT, "%-34s %8s %8s %8s %8s %10s %10s %16s%n", "thread", "cpu s", "user s", "kernel s", "busy %",
                "packets", "us/packet", "Gbit/s per core");
        List<String> names = new ArrayList<>(List.of(threadName(1, "seal"), threadName(1, "open"), threadName(2, "seal"), threadName(2, "open")));
        for (String name : names) {
            long cpu = encrypted.stream().mapToLong(r -> r.cpu(name)).sum();
            long user = encrypted.stream().mapToLong(r -> r.user(name)).sum();
            long packets = encrypted.stream().mapToLong(r -> r.packets(name)).sum();
            String role = name.equals(sealer) ? "  <- sender seals" : name.equals(opener) ? "  <- receiver opens" : "  (ACKs)";
            System.out.printf(Locale.ROOT, "%-34s %8.2f %8.2f %8.2f %8.1f %10d %10.1f %16s%s%n", name, cpu / 1e9, user / 1e9, (cpu - user) / 1e9,
                    100.0 * cpu / wall, packets, packets == 0 ? 0 : cpu / 1e3 / packets, perCore(bytes, cpu), role);
        }
        long sealedWire = encrypted.stream().mapToLong(IperfRun::sealedBytesNode1).sum();
        System.out.printf(Locale.ROOT, "ESP bytes node 1 sealed: %.1f GB (%.3f per TCP payload byte)%n", sealedWire / 1e9, (double) sealedWire / bytes);
        long sealedPackets = encrypted.stream().mapToLong(r -> r.packets(sealer)).sum();
        long openedPackets = encrypted.stream().mapToLong(r -> r.packets(opener)).sum();
        long sends = encrypted.stream().mapToLong(IperfRun::sendsNode1).sum();
        long injections = encrypted.stream().mapToLong(IperfRun::injectionsNode2).sum();
        long reads = encrypted.stream().mapToLong(IperfRun::readsNode1).sum();
        System.out.printf(Locale.ROOT, "batching: node 1 read %d packets from TUN (%.1f ESP packets each; super-packets: %s) and sent %d ESP "
                + "packets in %d UDP sends (%.1f per send); node 2 injected %d VXLAN datagrams in %d TUN writes (%.1f per write)%n", reads,
                (double) sealedPackets / Math.max(1, reads), stage.agent(1).encryptionTunnel().orElseThrow().readsSuperPackets() ? "yes" : "no",
                sealedPackets, sends, (double) sealedPackets / Math.max(1, sends), openedPackets, injections,
                (double) openedPackets / Math.max(1, injections));
        System.out.printf(Locale.ROOT, "packets lost on the encrypted path in these runs (hence TCP retransmits): node 1 TUN device queue %d, "
                + "node 2 UDP receive buffer %d%n", drops.tunQueue(), drops.udpReceiveBuffer());
        System.out.printf(Locale.ROOT, "reverse encrypted run: node 2 seal %s Gbit/s per core, node 1 open %s Gbit/s per core%n",
                perCore(encryptedReverse.bytes(), encryptedReverse.cpu(threadName(2, "seal"))),
                perCore(encryptedReverse.bytes(), encryptedReverse.cpu(threadName(1, "open"))));

        long sealCpu = encrypted.stream().mapToLong(r -> r.cpu(sealer)).sum();
        long openCpu = encrypted.stream().mapToLong(r -> r.cpu(opener)).sum();
        System.out.printf(Locale.ROOT, "%nuserspace ESP benchmark: plain overlay median %.2f Gbit/s, encrypted %.2f Gbit/s (ratio %.3f); "
                + "RTT plain %.0f us, encrypted %.0f us (%+.0f us); seal thread %s Gbit/s per core, open thread %s Gbit/s per core%n",
                median(p), median(e), ratio, pAvg, eAvg, eAvg - pAvg, perCore(bytes, sealCpu), perCore(bytes, openCpu));
    }

    /** Super-packets whole (what {@code encrypted} measured) against cut, alternating in the same rounds. */
    private void reportCut(List<IperfRun> plain, List<IperfRun> encrypted, List<IperfRun> cut) {
        double p = median(plain.stream().mapToDouble(IperfRun::gbits).sorted().toArray());
        double whole = median(encrypted.stream().mapToDouble(IperfRun::gbits).sorted().toArray());
        double cutMedian = median(cut.stream().mapToDouble(IperfRun::gbits).sorted().toArray());
        long wholePackets = encrypted.stream().mapToLong(IperfRun::superPacketsNode1).sum();
        long sealed = encrypted.stream().mapToLong(r -> r.packets(threadName(1, "seal"))).sum();
        System.out.printf(Locale.ROOT, "%n== super-packets sealed whole (node 1 sealed %d of its %d ESP packets whole) vs cut into datagrams, "
                + "same rounds ==%n", wholePackets, sealed);
        System.out.printf(Locale.ROOT, "%-30s %8.2f Gbit/s median, ratio to plain %.3f, runs %s, machine %.2f CPU-s per GB%n", "whole", whole,
                whole / p, runs(encrypted), busyPerGigabyte(encrypted));
        System.out.printf(Locale.ROOT, "%-30s %8.2f Gbit/s median, ratio to plain %.3f, runs %s, machine %.2f CPU-s per GB%n", "cut (as before)",
                cutMedian, cutMedian / p, runs(cut), busyPerGigabyte(cut));
        System.out.printf(Locale.ROOT, "userspace ESP super-packets: whole %.3f x plain, cut %.3f x plain (whole / cut %.2f)%n", whole / p,
                cutMedian / p, whole / cutMedian);
    }

    private void wholeSuperPackets(boolean whole) {
        for (int node = 1; node <= 2; node++) {
            stage.agent(node).encryptionTunnel().orElseThrow().sendSuperPackets(whole);
        }
    }

    private static String runs(List<IperfRun> runs) {
        StringBuilder out = new StringBuilder();
        for (IperfRun r : runs) {
            out.append(String.format(Locale.ROOT, "%.2f (%d) ", r.gbits(), r.retransmits()));
        }
        return out.toString().strip();
    }

    private static String perCore(long bytes, long cpuNanos) {
        return cpuNanos <= 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", bytes * 8.0 / cpuNanos);
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double percentile(double[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * q) - 1)];
    }
}

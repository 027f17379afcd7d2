package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.EndpointMode;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * dnsperf against our resolver and dnsmasq serving the same 1,000 service names from inside one pod namespace, with
 * a do-nothing responder beside them as the ceiling of what dnsperf and the kernel allow on this machine. Every server
 * gets a warm-up run first; then {@code rounds} rounds, the order of the servers turning each round, each server
 * measured twice per round: flat out (queries per second, lost queries, the server's CPU per query) and at a fixed
 * rate well below anyone's limit (latency percentiles, from dnsperf's per-query report). Settings are system
 * properties {@code swarmnet.bench.*}; see docs/dns-performance.md. Beside each server's CPU per query it prints dnsperf's,
 * and the bound the two put on queries per second when they share this machine's cores and nothing else runs.
 */
@Tag("benchmark")
class ResolverBenchmark {

    private static final int SERVICES = 1_000;
    private static final int SECONDS = Integer.getInteger("swarmnet.bench.seconds", 5);
    private static final int WARMUP_SECONDS = Integer.getInteger("swarmnet.bench.warmupSeconds", 3);
    private static final int ROUNDS = Integer.getInteger("swarmnet.bench.rounds", 3);
    private static final int CLIENTS = Integer.getInteger("swarmnet.bench.clients", 8);
    private static final int THREADS = Integer.getInteger("swarmnet.bench.threads", 2);
    private static final int OUTSTANDING = Integer.getInteger("swarmnet.bench.outstanding", 200);
    private static final int LATENCY_RATE = Integer.getInteger("swarmnet.bench.latencyRate", 20_000);
    private static final int LATENCY_SECONDS = Integer.getInteger("swarmnet.bench.latencySeconds", 3);
    private static final int UDP_THREADS = Integer.getInteger("swarmnet.bench.udpThreads", EmbeddedDnsServer.DEFAULT_UDP_THREADS);

    private static IpAddress vip(int i) {
        return IpAddress.parse("10.1.0.0").plus(2 + i);
    }

    @Test
    void queriesPerSecondAndLatencyAgainstDnsmasq() throws Exception {
        Path dir = Files.createTempDirectory("swarmnet-dnsbench");
        List<ServiceEndpoints> services = new ArrayList<>();
        StringBuilder hosts = new StringBuilder();
        StringBuilder queries = new StringBuilder();
        for (int i = 0; i < SERVICES; i++) {
            String name = "svc-" + i;
            services.add(new ServiceEndpoints("default", name, EndpointMode.VIP, Set.of("bench"), Map.of("bench", vip(i)), Map.of(), List.of()));
            hosts.append(vip(i)).append(' ').append(name).append('\n');
            queries.append(name).append(" A\n");
        }
        Files.writeString(dir.resolve("hosts"), hosts);
        Files.writeString(dir.resolve("queries"), queries);
        Process dnsmasq = null;
        try (TestNamespaces namespaces = new TestNamespaces("sndns");
             EmbeddedDnsServer ours = new EmbeddedDnsServer(null, Duration.ofSeconds(1), KernelTools.forAgent(Duration.ofSeconds(10)), UDP_THREADS);
             DatagramLoop ceiling = new DatagramLoop("bench-ceiling-udp")) {
            Path ns = namespaces.create("bench");
            String nsName = ns.getFileName().toString();
            NameTable table = DnsRecords.forPod("default", Set.of("bench"), services);
            assertThat(ours.sync(Map.of(new PodRef("default", "bench-1-x", "uid-bench"), new PodResolver(ns, table)))).isEmpty();
            int ourPort = new RedirectTable(KernelTools.forAgent(Duration.ofSeconds(10)), false).read(ns).orElseThrow().udpPort();
            namespaces.exec("bench", "ip", "addr", "add", "127.0.0.12/8", "dev", "lo");
            namespaces.exec("bench", "ip", "addr", "add", "127.0.0.14/8", "dev", "lo");
            dnsmasq = new ProcessBuilder("ip", "netns", "exec", nsName, "dnsmasq", "--keep-in-foreground", "--no-resolv",
                    "--no-hosts", "--conf-file=/dev/null", "--user=root", "--listen-address=127.0.0.12", "--bind-interfaces", "--pid-file=",
                    "--addn-hosts=" + dir.resolve("hosts"), "--local-ttl=" + DnsRecords.VIP_TTL_SECONDS, "--cache-size=10000")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("dnsmasq.log").toFile()).start();
            // the ceiling: our batched reading and sending with no DNS at all (the query back, its QR bit set)
            UdpSocket ceilingSocket = NetworkNamespace.callInside(ns, "bench-ceiling-open",
                    () -> UdpSocket.bind((Inet4Address) InetAddress.getByName("127.0.0.14"), 53));
            ceiling.add(ceilingSocket, (batch, slot) -> {
                int length = batch.read(slot);
                if (length >= 12) {
                    batch.query[2] |= (byte) 0x80;
                    batch.reply(slot, batch.query, length);
                }
            });
            waitForAnswer(namespaces, "127.0.0.12", "53", true);
            waitForAnswer(namespaces, "127.0.0.14", "53", false);
            List<Server> servers = List.of(
                    new Server("swarmnet", "127.0.0.11", 53, ResolverBenchmark::resolverCpu),
                    new Server("dnsmasq", "127.0.0.12", 53, processCpu(dnsmasq)),
                    new Server("swarmnet, no redirect", "127.0.0.11", ourPort, ResolverBenchmark::resolverCpu),
                    new Server("do-nothing (ceiling)", "127.0.0.14", 53, () -> threadCpu("bench-ceiling-udp")));

            System.out.printf("%nembedded DNS benchmark: %d service names, one pod namespace, %d UDP thread(s); dnsperf -c %d -T %d -q %d, "
                            + "%d s flat out and %d s at %,d q/s per server and round; warm-up %d s per server; %d cores%n",
                    SERVICES, UDP_THREADS, CLIENTS, THREADS, OUTSTANDING, SECONDS, LATENCY_SECONDS, LATENCY_RATE, WARMUP_SECONDS,
                    Runtime.getRuntime().availableProcessors());
            for (Server server : servers) {
                dnsperf(namespaces, dir, server, WARMUP_SECONDS, false);
            }
            System.out.printf("%-22s %5s %10s %9s %9s %6s %6s %9s %11s %9s %10s | %9s %9s %9s %6s | %s%n", "server", "round", "queries/s", "avg ms", "max ms",
                    "lost", "full", "CPU µs/q", "q/CPU-s", "dnsperf", "bound q/s", "p50 ms", "p99 ms", "max ms", "lost", "load average");
            Map<String, List<Run>> runs = new LinkedHashMap<>();
            for (int round = 1; round <= ROUNDS; round++) {
                for (int i = 0; i < servers.size(); i++) {
                    Server server = servers.get((i + round - 1) % servers.size());
                    Run run = measure(namespaces, dir, server);
                    runs.computeIfAbsent(server.label(), k -> new ArrayList<>()).add(run);
                    System.out.printf("%-22s %5d %,10.0f %9.3f %9.3f %6d %6d %9.2f %,11.0f %9.2f %,10.0f | %9.3f %9.3f %9.3f %6d | %s%n", server.label(), round,
                            run.qps, run.avgMs, run.maxMs, run.lost, run.overflows, run.cpuMicrosPerQuery, 1e6 / run.cpuMicrosPerQuery, run.clientMicrosPerQuery,
                            Runtime.getRuntime().availableProcessors() * 1e6 / (run.cpuMicrosPerQuery + run.clientMicrosPerQuery),
                            run.p50Ms, run.p99Ms, run.latencyMaxMs, run.latencyLost, loadAverage());
                }
            }
            System.out.printf("%nper round, swarmnet / dnsmasq: queries/s %s; queries per CPU-second %s; ceiling / dnsmasq: queries/s %s%n",
                    ratios(runs.get("swarmnet"), runs.get("dnsmasq"), Run::qps),
                    ratios(runs.get("swarmnet"), runs.get("dnsmasq"), r -> 1 / r.cpuMicrosPerQuery),
                    ratios(runs.get("do-nothing (ceiling)"), runs.get("dnsmasq"), Run::qps));
            for (List<Run> each : runs.values()) {
                assertThat(each).allSatisfy(run -> assertThat(run.qps).isPositive());
            }
        } finally {
            if (dnsmasq != null) {
                dnsmasq.descendants().forEach(ProcessHandle::destroyForcibly);
                dnsmasq.destroyForcibly();
                dnsmasq.waitFor(5, TimeUnit.SECONDS);
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private record Server(String label, String address, int port, CpuClock cpu) {
    }

    /** One server's figures in one round: flat out, then at the fixed rate. */
    private record Run(double qps, double avgMs, double maxMs, long lost, long overflows, double cpuMicrosPerQuery, double clientMicrosPerQuery,
                       double p50Ms, double p99Ms, double latencyMaxMs, long latencyLost) {
    }

    private static Run measure(TestNamespaces namespaces, Path dir, Server server) throws IOException {
        long overflowsBefore = receiveBufferErrors(namespaces);
        long cpuBefore = server.cpu().nanos();
        String out = dnsperf(namespaces, dir, server, SECONDS, false);
        long cpuUsed = server.cpu().nanos() - cpuBefore;
        long overflows = receiveBufferErrors(namespaces) - overflowsBefore;
        long completed = Long.parseLong(find(out, "Queries completed:\\s+([0-9]+)"));
        String timed = dnsperf(namespaces, dir, server, LATENCY_SECONDS, true);
        double[] latencies = Pattern.compile("(?m)^> \\S+ \\S+ \\S+ ([0-9.]+)$").matcher(timed).results()
                .mapToDouble(m -> Double.parseDouble(m.group(1)) * 1000).sorted().toArray();
        assertThat(latencies).as("dnsperf -v reports each query's latency").isNotEmpty();
        return new Run(Double.parseDouble(find(out, "Queries per second:\\s+([0-9.]+)")),
                Double.parseDouble(find(out, "Average Latency \\(s\\):\\s+([0-9.]+)")) * 1000,
                Double.parseDouble(find(out, "max ([0-9.]+)\\)")) * 1000,
                Long.parseLong(find(out, "Queries lost:\\s+([0-9]+)")), overflows,
                cpuUsed / 1000.0 / completed, clientCpuSeconds(out) * 1e6 / completed,
                percentile(latencies, 0.50), percentile(latencies, 0.99), latencies[latencies.length - 1],
                Long.parseLong(find(timed, "Queries lost:\\s+([0-9]+)")));
    }

    /** Flat out with {@link #OUTSTANDING} queries in flight, or ({@code timed}) at {@link #LATENCY_RATE} reporting each query. */
    private static String dnsperf(TestNamespaces namespaces, Path dir, Server server, int seconds, boolean timed) throws IOException {
        // bash's times prints, last, the CPU time (user, system) of what it ran: dnsperf's own cost per query
        List<String> argv = new ArrayList<>(List.of("bash", "-c", "dnsperf \"$@\"; times", "dnsperf", "-s", server.address(), "-p", Integer.toString(server.port()),
                "-d", dir.resolve("queries").toString(), "-l", Integer.toString(seconds), "-t", "1",
                "-c", Integer.toString(CLIENTS), "-T", Integer.toString(THREADS)));
        if (timed) {
            argv.addAll(List.of("-Q", Integer.toString(LATENCY_RATE), "-v"));
        } else {
            argv.addAll(List.of("-q", Integer.toString(OUTSTANDING)));
        }
        TestNamespaces.Result result = namespaces.exec("bench", argv.toArray(String[]::new));
        assertThat(result.output()).as("dnsperf against " + server.label()).contains("Queries completed");
        return result.output();
    }

    /** Datagrams the namespace's UDP dropped for a full receive buffer (the server's or dnsperf's), from /proc/net/snmp. */
    private static long receiveBufferErrors(TestNamespaces namespaces) throws IOException {
        String[] lines = namespaces.exec("bench", "cat", "/proc/net/snmp").output().lines().filter(l -> l.startsWith("Udp: ")).toArray(String[]::new);
        List<String> names = List.of(lines[0].split("\\s+"));
        return Long.parseLong(lines[1].split("\\s+")[names.indexOf("RcvbufErrors")]);
    }

    private static double clientCpuSeconds(String out) {
        Matcher times = Pattern.compile("(?m)^(\\d+)m([0-9.]+)s (\\d+)m([0-9.]+)s$").matcher(out);
        double seconds = -1;
        while (times.find()) { // the second line: the children's, dnsperf's
            seconds = Integer.parseInt(times.group(1)) * 60 + Double.parseDouble(times.group(2))
                    + Integer.parseInt(times.group(3)) * 60 + Double.parseDouble(times.group(4));
        }
        return seconds;
    }

    private static double percentile(double[] sorted, double fraction) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(fraction * sorted.length) - 1)];
    }

    private static String ratios(List<Run> ours, List<Run> theirs, java.util.function.ToDoubleFunction<Run> figure) {
        List<String> each = new ArrayList<>();
        for (int i = 0; i < ours.size(); i++) {
            each.add(String.format("%.2f", figure.applyAsDouble(ours.get(i)) / figure.applyAsDouble(theirs.get(i))));
        }
        return String.join(", ", each) + "×";
    }

    /** CPU time a server has used so far: what it costs per query, whether or not dnsperf keeps it busy. */
    private interface CpuClock {
        long nanos() throws IOException;
    }

    /** Our resolver: its event loop and the threads answering UDP. */
    private static long resolverCpu() {
        return threadCpu("swarmnet-dns");
    }

    private static long threadCpu(String namePrefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(namePrefix))
                .mapToLong(t -> java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(t.getId())).sum();
    }

    /** All threads of a daemon ({@code ip netns exec} execs it, so the process is the daemon): run time from schedstat. */
    private static CpuClock processCpu(Process daemon) {
        return () -> {
            long total = 0;
            try (var tasks = Files.list(Path.of("/proc", Long.toString(daemon.pid()), "task"))) {
                for (Path task : tasks.toList()) {
                    total += Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
                }
            }
            return total;
        };
    }

    /** The 1-, 5- and 15-minute load averages, as uptime prints them. */
    private static String loadAverage() throws IOException {
        return String.join(" ", Arrays.copyOf(Files.readString(Path.of("/proc/loadavg")).split(" "), 3));
    }

    private static void waitForAnswer(TestNamespaces namespaces, String server, String port, boolean dns) throws IOException, InterruptedException {
        for (int i = 0; i < 50; i++) {
            String answer = namespaces.exec("bench", "dig", "@" + server, "-p", port, "+time=1", "+tries=1", "svc-7").output();
            if (dns ? answer.contains(vip(7).toString()) : answer.contains("status: NOERROR")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException(server + " did not come up");
    }

    private static String find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new AssertionError("no " + regex + " in dnsperf's output:\n" + text);
        }
        return m.group(1);
    }
}

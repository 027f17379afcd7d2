package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.EndpointMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * dnsperf against our resolver, dnsmasq and unbound, each serving the same 1,000 service names
 * from inside one pod namespace (127.0.0.11, .12, .13), one after another in one run.
 * Run: {@code mvn -pl node-daemonset test -Dgroups=benchmark -DexcludedGroups= -Dtest=ResolverBenchmark}
 */
@Tag("benchmark")
class ResolverBenchmark {

    private static final int SERVICES = 1_000;
    private static final int SECONDS = Integer.getInteger("swarmnet.bench.seconds", 5);

    private static IpAddress vip(int i) {
        return IpAddress.parse("10.1.0.0").plus(2 + i);
    }

    @Test
    void queriesPerSecondAndLatencyAgainstDnsmasqAndUnbound() throws Exception {
        Path dir = Files.createTempDirectory("swarmnet-dnsbench");
        List<ServiceEndpoints> services = new ArrayList<>();
        StringBuilder hosts = new StringBuilder();
        StringBuilder unboundConf = new StringBuilder("server:\n  interface: 127.0.0.13\n  port: 53\n  do-daemonize: no\n"
                + "  chroot: \"\"\n  username: \"\"\n  use-syslog: no\n  logfile: \"\"\n  pidfile: \"\"\n  num-threads: 1\n"
                + "  access-control: 127.0.0.0/8 allow\n  do-ip6: no\n  local-zone: \".\" static\n");
        StringBuilder queries = new StringBuilder();
        for (int i = 0; i < SERVICES; i++) {
            String name = "svc-" + i;
            services.add(new ServiceEndpoints("default", name, EndpointMode.VIP, Set.of("bench"), Map.of("bench", vip(i)), Map.of(), List.of()));
            hosts.append(vip(i)).append(' ').append(name).append('\n');
            unboundConf.append("  local-data: \"").append(name).append(". ").append(DnsRecords.VIP_TTL_SECONDS)
                    .append(" IN A ").append(vip(i)).append("\"\n");
            queries.append(name).append(" A\n");
        }
        Files.writeString(dir.resolve("hosts"), hosts);
        Files.writeString(dir.resolve("unbound.conf"), unboundConf);
        Files.writeString(dir.resolve("queries"), queries);
        List<Process> daemons = new ArrayList<>();
        try (TestNamespaces namespaces = new TestNamespaces("sndns");
             EmbeddedDnsServer ours = new EmbeddedDnsServer(null, Duration.ofSeconds(1))) {
            Path ns = namespaces.create("bench");
            String nsName = ns.getFileName().toString();
            NameTable table = DnsRecords.forPod("default", Set.of("bench"), services);
            assertThat(ours.sync(Map.of(new PodRef("default", "bench-1-x", "uid-bench"), new PodResolver(ns, table)))).isEmpty();
            namespaces.exec("bench", "ip", "addr", "add", "127.0.0.12/8", "dev", "lo");
            namespaces.exec("bench", "ip", "addr", "add", "127.0.0.13/8", "dev", "lo");
            daemons.add(new ProcessBuilder("ip", "netns", "exec", nsName, "dnsmasq", "--keep-in-foreground", "--no-resolv",
                    "--no-hosts", "--conf-file=/dev/null", "--user=root", "--listen-address=127.0.0.12", "--bind-interfaces", "--pid-file=",
                    "--addn-hosts=" + dir.resolve("hosts"), "--local-ttl=" + DnsRecords.VIP_TTL_SECONDS, "--cache-size=10000")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("dnsmasq.log").toFile()).start());
            daemons.add(new ProcessBuilder("ip", "netns", "exec", nsName, "unbound", "-d", "-c", dir.resolve("unbound.conf").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("unbound.log").toFile()).start());
            for (String server : List.of("127.0.0.12", "127.0.0.13")) {
                waitForAnswer(namespaces, server);
            }
            System.out.printf("%nembedded DNS benchmark: %d service names, dnsperf %d s per server, one pod namespace, load average %s%n",
                    SERVICES, SECONDS, loadAverage());
            System.out.printf("%-22s %12s %14s %14s %10s %14s%n", "server", "queries/s", "avg latency", "max latency", "lost", "CPU per query");
            for (Server server : List.of(new Server("swarmnet (127.0.0.11)", "127.0.0.11", ResolverBenchmark::resolverLoopCpu),
                    new Server("dnsmasq (127.0.0.12)", "127.0.0.12", processCpu(daemons.get(0))),
                    new Server("unbound (127.0.0.13)", "127.0.0.13", processCpu(daemons.get(1))))) {
                long cpuBefore = server.cpu().nanos();
                String out = namespaces.exec("bench", "dnsperf", "-s", server.address(), "-d", dir.resolve("queries").toString(),
                        "-l", Integer.toString(SECONDS), "-c", "4", "-q", "200").output();
                long cpuUsed = server.cpu().nanos() - cpuBefore;
                System.out.printf("%-22s %12s %12s ms %12s ms %10s %11s µs%n", server.label(), find(out, "Queries per second:\\s+([0-9.]+)"),
                        millis(find(out, "Average Latency \\(s\\):\\s+([0-9.]+)")),
                        millis(find(out, "max ([0-9.]+)\\)")), find(out, "Queries lost:\\s+([0-9]+)"),
                        perQuery(cpuUsed, find(out, "Queries completed:\\s+([0-9]+)")));
                assertThat(out).contains("Queries completed");
            }
            System.out.printf("load average after: %s%n", loadAverage());
        } finally {
            for (Process daemon : daemons) {
                daemon.descendants().forEach(ProcessHandle::destroyForcibly);
                daemon.destroyForcibly();
                daemon.waitFor(5, TimeUnit.SECONDS);
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private record Server(String label, String address, CpuClock cpu) {
    }

    /** CPU time a server has used so far: what it costs per query, whether or not dnsperf keeps it busy. */
    private interface CpuClock {
        long nanos() throws IOException;
    }

    /** Our resolver's event loop, the one thread that answers every pod's queries. */
    private static long resolverLoopCpu() {
        Thread loop = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("swarmnet-dns")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no thread swarmnet-dns: the resolver's event loop is gone"));
        return java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(loop.getId());
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

    private static String perQuery(long cpuNanos, String completed) {
        try {
            return String.format("%.2f", cpuNanos / 1000.0 / Long.parseLong(completed));
        } catch (NumberFormatException e) {
            return "?";
        }
    }

    private static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }

    private static void waitForAnswer(TestNamespaces namespaces, String server) throws IOException, InterruptedException {
        for (int i = 0; i < 50; i++) {
            if (namespaces.exec("bench", "dig", "@" + server, "+short", "+time=1", "+tries=1", "svc-7").output().strip()
                    .equals(vip(7).toString())) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException(server + " did not come up");
    }

    private static String find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? m.group(1) : "?";
    }

    private static String millis(String seconds) {
        try {
            return String.format("%.3f", Double.parseDouble(seconds) * 1000);
        } catch (NumberFormatException e) {
            return "?";
        }
    }
}

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
            System.out.printf("%nembedded DNS benchmark: %d service names, dnsperf %d s per server, one pod namespace%n", SERVICES, SECONDS);
            System.out.printf("%-22s %12s %14s %14s %10s%n", "server", "queries/s", "avg latency", "max latency", "lost");
            for (String[] server : new String[][] {{"swarmnet (127.0.0.11)", "127.0.0.11"}, {"dnsmasq (127.0.0.12)", "127.0.0.12"},
                    {"unbound (127.0.0.13)", "127.0.0.13"}}) {
                String out = namespaces.exec("bench", "dnsperf", "-s", server[1], "-d", dir.resolve("queries").toString(),
                        "-l", Integer.toString(SECONDS), "-c", "4", "-q", "200").output();
                System.out.printf("%-22s %12s %12s ms %12s ms %10s%n", server[0], find(out, "Queries per second:\\s+([0-9.]+)"),
                        millis(find(out, "Average Latency \\(s\\):\\s+([0-9.]+)")),
                        millis(find(out, "max ([0-9.]+)\\)")), find(out, "Queries lost:\\s+([0-9]+)"));
                assertThat(out).contains("Queries completed");
            }
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

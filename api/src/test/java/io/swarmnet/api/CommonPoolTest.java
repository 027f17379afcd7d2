package io.swarmnet.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The threads a client of {@link KubernetesClients} starts per API response, in a JVM that sees one CPU as a pod limited to
 * one CPU does (each case runs in a JVM of its own: a common pool is sized once per JVM).
 */
class CommonPoolTest {

    private static final int REQUESTS = 200;

    @Test
    void withOneCpuTheClientStartsNoThreadPerResponse() throws Exception {
        Probe probe = Probe.run();

        assertThat(probe.parallelism).isEqualTo(KubernetesClients.COMMON_POOL_THREADS);
        assertThat(probe.threadsStarted).as("threads started for %d GETs", REQUESTS).isLessThan(REQUESTS / 10);
    }

    @Test
    void aSizeTheJvmWasGivenIsKeptAndOneThreadCostsAThreadPerResponse() throws Exception {
        Probe probe = Probe.run("-D" + KubernetesClients.COMMON_POOL_PARALLELISM + "=1");

        assertThat(probe.parallelism).isEqualTo(1);
        // what every operator and agent with at most 2 CPUs did before the pool was widened
        assertThat(probe.threadsStarted).isGreaterThanOrEqualTo(REQUESTS);
        // said once, though the class's first use and the explicit call both ask
        assertThat(probe.output.split("start the JVM with -D" + KubernetesClients.COMMON_POOL_PARALLELISM + "=2", -1)).hasSize(2);
    }

    /** The forked JVM's figures, and what it printed. */
    private record Probe(int parallelism, long threadsStarted, String output) {

        static Probe run(String... jvmOptions) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:ActiveProcessorCount=1", "-Dsun.net.httpserver.nodelay=true"));
            command.addAll(List.of(jvmOptions));
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
            Path log = Files.createTempFile("swarmnet-common-pool-", ".log");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                boolean ended = process.waitFor(60, TimeUnit.SECONDS);
                if (!ended) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                String output = Files.readString(log);
                assertThat(ended).as("the probe ended within 60 s: %s", output).isTrue();
                assertThat(process.exitValue()).as("the probe's exit status: %s", output).isZero();
                return figures(output);
            } finally {
                Files.deleteIfExists(log);
            }
        }

        private static Probe figures(String output) {
            String last = output.lines().filter(l -> l.startsWith("probe ")).reduce((a, b) -> b).orElseThrow(
                    () -> new AssertionError("the probe printed no figures: " + output));
            String[] words = last.split(" ");
            return new Probe(Integer.parseInt(words[1]), Long.parseLong(words[2]), output);
        }
    }

    /** The forked JVM: a client of {@link KubernetesClients} GETs a pod {@value #REQUESTS} times from a local HTTP server. */
    public static final class Main {

        public static void main(String[] args) throws Exception {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            byte[] pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"default\"}}"
                    .getBytes(StandardCharsets.UTF_8);
            server.createContext("/", exchange -> {
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, pod.length);
                exchange.getResponseBody().write(pod);
                exchange.close();
            });
            server.start();
            KubernetesClients.widenCommonPool();
            try (KubernetesClient client = KubernetesClients.builder().withConfig(new ConfigBuilder()
                    .withMasterUrl("http://127.0.0.1:" + server.getAddress().getPort()).withRequestRetryBackoffLimit(0).build()).build()) {
                client.pods().inNamespace("default").withName("p").get();
                long before = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
                for (int i = 0; i < REQUESTS; i++) {
                    if (client.pods().inNamespace("default").withName("p").get() == null) {
                        throw new IllegalStateException("no pod in answer " + i);
                    }
                }
                long started = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - before;
                System.out.println("probe " + java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + " " + started);
            } finally {
                server.stop(0);
            }
        }
    }
}

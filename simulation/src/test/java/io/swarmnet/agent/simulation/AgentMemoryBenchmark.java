package io.swarmnet.agent.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The node agent's memory with 10,000 tasks in the cluster (issue goal: at most 150 MB resident): 1,000 services × 10
 * tasks over 10 nodes in the embedded API, each task pod as the operator creates it (the template of
 * examples/my-web.yaml, the wait-attached init container, readiness gate, DNS settings) with a running status as a
 * kubelet writes it. One agent ({@link AgentMemoryProbe}) runs in a JVM of its own with the DaemonSet's JAVA_OPTS and a
 * memory size of the chart's limit, caches every task, and keeps the desired state of its node's 1,000 tasks with
 * every service's VIP rule. Printed: resident set after the first complete state and after 100 backend changes, its
 * peak, and the heap in use after a full GC.
 *
 * <p>Run: {@code mvn -B -pl simulation -am test -Dtest=AgentMemoryBenchmark -Dgroups=benchmark -DexcludedGroups=none
 * -Dsurefire.failIfNoSpecifiedTests=false} (knobs: {@code -Dbench.services}, {@code -Dbench.tasks}, {@code -Dbench.nodes},
 * {@code -Dbench.agent.javaOpts} to replace the chart's options, {@code -Dbench.histogram=true} to print the agent's largest
 * classes after the start and after the changes; with
 * {@code -XX:NativeMemoryTracking=summary} among the agent's options, its native memory after the changes).
 */
@Tag("benchmark")
class AgentMemoryBenchmark {

    static final int SERVICES = Integer.getInteger("bench.services", 1000);
    static final int TASKS = Integer.getInteger("bench.tasks", 10);
    static final int NODES = Integer.getInteger("bench.nodes", 10);
    static final int CHANGES = 100;
    static final Path REPOSITORY = OperatorShapedTasks.REPOSITORY;

    @Test
    void residentSetWithTenThousandTasks() throws Exception {
        try (SandboxApiServer api = SandboxApiServer.start()) {
            KubernetesClient client = api.client();
            List<OperatorShapedTasks.Node> nodes = new ArrayList<>();
            for (int n = 1; n <= NODES; n++) {
                nodes.add(new OperatorShapedTasks.Node("n" + n, "192.0.2." + n));
            }
            OperatorShapedTasks.Written written = OperatorShapedTasks.write(client, nodes, SERVICES, TASKS, (s, t) -> (s * TASKS + t) % NODES);
            List<String> local = written.tasks().stream().filter(t -> t.node().equals(nodes.get(0))).map(OperatorShapedTasks.Task::name).toList();
            System.out.printf(Locale.ROOT, "setup: %d services, %d task pods over %d nodes written in %d ms; %d on the agent's node%n",
                    SERVICES, SERVICES * TASKS, NODES, written.millis(), local.size());

            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.addAll(agentJavaOptions());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), AgentMemoryProbe.class.getName(), api.url(), "n1", "192.0.2.1"));
            System.out.println("agent JVM options: " + command.subList(1, command.indexOf("-cp")));
            Process agent = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));
                 PrintWriter in = new PrintWriter(agent.getOutputStream(), true, StandardCharsets.UTF_8)) {
                assertThat(answer(out)).isEqualTo("started");
                long start = System.nanoTime();
                awaitState(in, out, local.size(), SERVICES * TASKS, Duration.ofMinutes(5));
                System.out.printf(Locale.ROOT, "agent start -> desired state with all %d local pods and %d backends: %d ms%n", local.size(),
                        SERVICES * TASKS, (System.nanoTime() - start) / 1_000_000);
                Thread.sleep(2_000);
                Memory converged = Memory.of(agent.pid());
                String heapAfterStart = ask(in, out, "heap");
                if (Boolean.getBoolean("bench.histogram")) {
                    jcmd(agent.pid(), "GC.class_histogram", 30);
                }

                // backend changes: local tasks' containers turn not ready, one write each
                long changes = System.nanoTime();
                for (int i = 0; i < CHANGES; i++) {
                    OperatorShapedTasks.reportReadiness(client, local.get(i * local.size() / CHANGES), false);
                }
                try {
                    awaitState(in, out, local.size(), SERVICES * TASKS - CHANGES, Duration.ofMinutes(3));
                } catch (AssertionError e) {
                    jcmd(agent.pid(), "Thread.print", 400);
                    throw e;
                }
                System.out.printf(Locale.ROOT, "%d backend changes written and all in the desired state after %d ms%n", CHANGES,
                        (System.nanoTime() - changes) / 1_000_000);
                Thread.sleep(2_000);
                Memory churned = Memory.of(agent.pid());
                String heapAfterChanges = ask(in, out, "heap");
                if (Boolean.getBoolean("bench.histogram")) {
                    jcmd(agent.pid(), "GC.class_histogram", 30);
                }
                if (command.stream().anyMatch(o -> o.startsWith("-XX:NativeMemoryTracking="))) {
                    jcmd(agent.pid(), "VM.native_memory summary", 120);
                }
                System.out.printf(Locale.ROOT, "agent RSS after the first complete state: %.1f MB (goal: at most 150 MB)%n", converged.rssMb());
                System.out.printf(Locale.ROOT, "agent RSS after %d backend changes: %.1f MB, peak %.1f MB%n", CHANGES, churned.rssMb(), churned.peakMb());
                System.out.println("after start: " + describeHeap(heapAfterStart));
                System.out.println("after changes: " + describeHeap(heapAfterChanges));
                System.out.println("load average: " + Files.readString(Path.of("/proc/loadavg")).trim());
                assertThat(converged.rssMb()).isPositive();
                in.println("exit");
                assertThat(agent.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            } finally {
                agent.destroyForcibly();
            }
        }
    }

    /** The agent container's JAVA_OPTS from the chart, and the container's memory limit as the JVM's memory size. */
    static List<String> agentJavaOptions() throws IOException {
        String override = System.getProperty("bench.agent.javaOpts");
        List<String> options = new ArrayList<>();
        if (override != null) {
            options.addAll(List.of(override.trim().split("\\s+")));
            return options;
        }
        // the agent container's own JAVA_OPTS in the chart if it sets them, else the image's (the Dockerfile's ENV)
        String daemonSet = Files.readString(REPOSITORY.resolve("charts/swarmnet/templates/agent-daemonset.yaml"));
        int agent = daemonSet.indexOf("        - name: agent\n");
        int next = daemonSet.indexOf("\n        - name: ", agent + 1);
        assertThat(agent).as("the agent container in agent-daemonset.yaml").isNotNegative();
        Matcher chart = Pattern.compile("- name: JAVA_OPTS\\s+value: \"([^\"]+)\"")
                .matcher(daemonSet.substring(agent, next < 0 ? daemonSet.length() : next));
        Matcher image = Pattern.compile("ENV JAVA_OPTS=\"([^\"]+)\"").matcher(Files.readString(REPOSITORY.resolve("Dockerfile")));
        String javaOpts = chart.find() ? chart.group(1) : image.find() ? image.group(1) : null;
        assertThat(javaOpts).as("JAVA_OPTS of the agent container (chart) or of the image (Dockerfile)").isNotNull();
        options.addAll(List.of(javaOpts.split("\\s+")));
        @SuppressWarnings("unchecked")
        Map<String, Object> values = Serialization.unmarshal(Files.readString(REPOSITORY.resolve("charts/swarmnet/values.yaml")), Map.class);
        String limit = path(values, "agent", "resources", "limits", "memory");
        assertThat(limit).as("agent.resources.limits.memory in values.yaml").endsWith("Mi");
        // in its container the JVM takes the cgroup's limit as the machine's memory
        options.add("-XX:MaxRAM=" + limit.replace("Mi", "m"));
        return options;
    }

    @SuppressWarnings("unchecked")
    private static String path(Map<String, Object> map, String... keys) {
        Object at = map;
        for (String key : keys) {
            at = ((Map<String, Object>) at).get(key);
        }
        return String.valueOf(at);
    }

    /** Prints the first {@code lines} lines of a jcmd command run against the agent's JVM. */
    private static void jcmd(long pid, String command, int lines) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        text.lines().limit(lines).forEach(line -> System.out.println(command + ": " + line));
    }

    /** Asks the probe until its last desired state has {@code pods} local pods and {@code backends} VIP backends. */
    private static void awaitState(PrintWriter in, BufferedReader out, int pods, long backends, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String expected = "pods " + pods + " applies \\d+ backends " + backends;
        String answer = "";
        while (System.nanoTime() < deadline) {
            answer = ask(in, out, "pods");
            if (answer.matches(expected)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the agent's desired state did not reach " + pods + " local pods and " + backends
                + " backends within " + timeout + "; last: " + answer);
    }

    private static String ask(PrintWriter in, BufferedReader out, String command) throws IOException {
        in.println(command);
        return answer(out);
    }

    /** The next answer of the probe; the agent's log lines in between are printed. */
    private static String answer(BufferedReader out) throws IOException {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith(AgentMemoryProbe.ANSWER)) {
                return line.substring(AgentMemoryProbe.ANSWER.length());
            }
            System.out.println("agent: " + line);
        }
        throw new AssertionError("the agent process ended");
    }

    private static String describeHeap(String answer) {
        String[] f = answer.split(" ");
        return String.format(Locale.ROOT, "heap in use after a full GC %.1f MB (committed %.1f MB), non-heap %.1f MB; pools %s",
                Long.parseLong(f[1]) / 1e6, Long.parseLong(f[3]) / 1e6, Long.parseLong(f[5]) / 1e6, f[7]);
    }

    /** Resident set and its peak, from /proc/PID/status. */
    record Memory(long rssKb, long peakKb) {
        static Memory of(long pid) throws IOException {
            long rss = 0;
            long peak = 0;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("\\D", ""));
                } else if (line.startsWith("VmHWM:")) {
                    peak = Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
            return new Memory(rss, peak);
        }

        double rssMb() {
            return rssKb * 1024 / 1e6;
        }

        double peakMb() {
            return peakKb * 1024 / 1e6;
        }
    }
}

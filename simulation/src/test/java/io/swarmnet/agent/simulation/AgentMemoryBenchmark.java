package io.swarmnet.agent.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.api.contract.SwarmnetKeys;
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
 * {@code -Dbench.agent.javaOpts} to replace the chart's options: several sets separated by {@code |} run one agent each
 * against the same cluster, a set starting with {@code +} adds to the chart's options, an empty one is the chart's, and
 * {@code NAME=value} among them goes to the agent's environment, and {@code -cp} among them replaces the test class path (the
 * image's agent.jar and simulation/target/test-classes, for the probe); {@code -Dbench.histogram=true} to print the agent's largest
 * classes after the start and after the changes, {@code -Dbench.smaps=true} for the resident set by mapping after the changes; with
 * {@code -XX:NativeMemoryTracking=summary} among the agent's options, its native memory after the start and after the
 * changes).
 */
@Tag("benchmark")
class AgentMemoryBenchmark {

    static final int SERVICES = Integer.getInteger("bench.services", 1000);
    static final int TASKS = Integer.getInteger("bench.tasks", 10);
    static final int NODES = Integer.getInteger("bench.nodes", 10);
    static final int CHANGES = 100;
    static final Path REPOSITORY = OperatorShapedTasks.REPOSITORY;
    /** An option such as {@code MALLOC_ARENA_MAX=2}: set in the agent's environment, as the container's env would. */
    private static final Pattern ENVIRONMENT_VARIABLE = Pattern.compile("[A-Z][A-Z0-9_]*=.*");

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

            List<String> results = new ArrayList<>();
            for (List<String> options : agentJavaOptionSets()) {
                results.add(options + ": " + runAgent(api, client, local, options));
                restoreLocalTasks(client, local);
            }
            System.out.println("load average: " + Files.readString(Path.of("/proc/loadavg")).trim());
            results.forEach(r -> System.out.println("summary: " + r));
        }
    }

    /**
     * One agent JVM with these options: its memory after the first complete state and after {@link #CHANGES} backend
     * changes, printed and summed up in the returned line.
     */
    private static String runAgent(SandboxApiServer api, KubernetesClient client, List<String> local, List<String> options)
            throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        Map<String, String> environment = new java.util.TreeMap<>();
        for (String option : options) {
            if (ENVIRONMENT_VARIABLE.matcher(option).matches()) {
                environment.put(option.substring(0, option.indexOf('=')), option.substring(option.indexOf('=') + 1));
            } else {
                command.add(option);
            }
        }
        if (!command.contains("-cp")) {
            command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        }
        command.addAll(List.of(AgentMemoryProbe.class.getName(), api.url(), "n1", "192.0.2.1"));
        System.out.println("agent JVM options: " + options);
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(environment);
        Process agent = builder.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(agent.getOutputStream(), true, StandardCharsets.UTF_8)) {
            assertThat(answer(out)).isEqualTo("started");
            long start = System.nanoTime();
            awaitState(in, out, local.size(), SERVICES * TASKS, Duration.ofMinutes(5));
            long startMillis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf(Locale.ROOT, "agent start -> desired state with all %d local pods and %d backends: %d ms%n", local.size(),
                    SERVICES * TASKS, startMillis);
            Thread.sleep(2_000);
            Memory converged = Memory.of(agent.pid());
            String gcAtStart = ask(in, out, "gc");
            String heapAfterStart = ask(in, out, "heap");
            printRequestedDiagnostics(agent.pid(), command);

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
            long changesMillis = (System.nanoTime() - changes) / 1_000_000;
            System.out.printf(Locale.ROOT, "%d backend changes written and all in the desired state after %d ms%n", CHANGES, changesMillis);
            Thread.sleep(2_000);
            Memory churned = Memory.of(agent.pid());
            String gcAfterChanges = ask(in, out, "gc");
            String heapAfterChanges = ask(in, out, "heap");
            printRequestedDiagnostics(agent.pid(), command);
            if (Boolean.getBoolean("bench.smaps")) {
                printMappings(agent.pid());
            }
            System.out.printf(Locale.ROOT, "agent RSS after the first complete state: %.1f MB (goal: at most 150 MB; %s), %d threads%n",
                    converged.rssMb(), converged.parts(), converged.threads());
            System.out.printf(Locale.ROOT, "agent RSS after %d backend changes: %.1f MB (%s), peak %.1f MB, %d threads%n", CHANGES,
                    churned.rssMb(), churned.parts(), churned.peakMb(), churned.threads());
            System.out.println("Java threads: " + ask(in, out, "threads"));
            System.out.println("collections until the first state: " + gcAtStart + "; until after the changes: " + gcAfterChanges
                    + " (collector, count, ms; the latter include the full collection after the start)");
            System.out.println("after start: " + describeHeap(heapAfterStart));
            System.out.println("after changes: " + describeHeap(heapAfterChanges));
            System.out.println("load average: " + Files.readString(Path.of("/proc/loadavg")).trim());
            assertThat(converged.rssMb()).isPositive();
            in.println("exit");
            // a round in progress ends first (at 100,000 tasks one takes seconds)
            assertThat(agent.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
            return String.format(Locale.ROOT, "RSS %.1f MB after the first state (%d ms), %.1f MB after the changes (%d ms), peak %.1f MB;"
                    + " heap after a GC %.1f / %.1f MB; %d threads; after the changes %s; CPU %.2f s until the first state, %.2f s for"
                    + " the changes; collections until the first state: %s", converged.rssMb(), startMillis, churned.rssMb(), changesMillis,
                    churned.peakMb(), heapUsedMb(heapAfterStart), heapUsedMb(heapAfterChanges), churned.threads(), churned.parts(),
                    converged.cpuSeconds(), churned.cpuSeconds() - converged.cpuSeconds(), gcAtStart);
        } finally {
            agent.destroyForcibly();
        }
    }

    /**
     * The local tasks as the setup wrote them, so that the next agent starts from the same cluster and has the same work:
     * containers ready, and the swarmnet.io/attached condition without the reason and message the agent wrote (which
     * the next agent would otherwise find written already).
     */
    private static void restoreLocalTasks(KubernetesClient client, List<String> local) {
        String patch = "{\"status\":{\"conditions\":[{\"type\":\"ContainersReady\",\"status\":\"True\"},{\"type\":\"Ready\",\"status\":\"True\"},{\"type\":\""
                + SwarmnetKeys.CONDITION_ATTACHED + "\",\"status\":\"True\",\"reason\":null,\"message\":null,\"lastTransitionTime\":null}]}}";
        for (String pod : local) {
            client.pods().inNamespace(ClusterObjects.NS).withName(pod).subresource("status")
                    .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch);
        }
        System.out.println("restored, e.g.: " + client.pods().inNamespace(ClusterObjects.NS).withName(local.get(0)).get().getStatus()
                .getConditions());
    }

    /**
     * The agent JVM's option sets: those of {@code -Dbench.agent.javaOpts} (several separated by {@code |}, each run by an
     * agent of its own against the same cluster), or the chart's.
     */
    static List<List<String>> agentJavaOptionSets() throws IOException {
        String override = System.getProperty("bench.agent.javaOpts");
        if (override == null) {
            return List.of(agentJavaOptions());
        }
        List<List<String>> sets = new ArrayList<>();
        for (String set : override.split("\\|")) {
            List<String> options = new ArrayList<>();
            String given = set.trim();
            if (given.isEmpty() || given.startsWith("+")) {
                options.addAll(agentJavaOptions());
                given = given.isEmpty() ? "" : given.substring(1).trim();
            }
            if (!given.isEmpty()) {
                options.addAll(List.of(given.split("\\s+")));
            }
            sets.add(options);
        }
        return sets;
    }

    /**
     * The agent container's JAVA_OPTS and malloc settings (MALLOC_*) from the chart, and the container's memory limit as the
     * JVM's memory size.
     */
    static List<String> agentJavaOptions() throws IOException {
        List<String> options = new ArrayList<>();
        // the agent container's own JAVA_OPTS in the chart if it sets them, else the image's (the Dockerfile's ENV)
        String daemonSet = Files.readString(REPOSITORY.resolve("charts/swarmnet/templates/agent-daemonset.yaml"));
        int agent = daemonSet.indexOf("        - name: agent\n");
        int next = daemonSet.indexOf("\n        - name: ", agent + 1);
        assertThat(agent).as("the agent container in agent-daemonset.yaml").isNotNegative();
        String container = daemonSet.substring(agent, next < 0 ? daemonSet.length() : next);
        Matcher chart = Pattern.compile("- name: JAVA_OPTS\\s+value: \"([^\"]+)\"").matcher(container);
        Matcher image = Pattern.compile("ENV JAVA_OPTS=\"([^\"]+)\"").matcher(Files.readString(REPOSITORY.resolve("Dockerfile")));
        String javaOpts = chart.find() ? chart.group(1) : image.find() ? image.group(1) : null;
        assertThat(javaOpts).as("JAVA_OPTS of the agent container (chart) or of the image (Dockerfile)").isNotNull();
        options.addAll(List.of(javaOpts.split("\\s+")));
        // and the settings of glibc's malloc the container's environment makes
        Matcher malloc = Pattern.compile("- name: (MALLOC_[A-Z_]+)\\s+value: \"([^\"]*)\"").matcher(container);
        while (malloc.find()) {
            options.add(malloc.group(1) + "=" + malloc.group(2));
        }
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

    /** What was asked for besides the resident set: the largest classes ({@code -Dbench.histogram}), native memory (NMT among the options). */
    private static void printRequestedDiagnostics(long pid, List<String> command) throws IOException, InterruptedException {
        if (Boolean.getBoolean("bench.histogram")) {
            jcmd(pid, "GC.class_histogram", Integer.getInteger("bench.histogram.lines", 30));
        }
        if (command.stream().anyMatch(o -> o.startsWith("-XX:NativeMemoryTracking="))) {
            jcmd(pid, "VM.native_memory summary", 120);
        }
    }

    /** Prints the first {@code lines} lines of a jcmd command run against the agent's JVM. */
    private static void jcmd(long pid, String command, int lines) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        text.lines().limit(lines).forEach(line -> System.out.println(command + ": " + line));
    }

    /** The resident set by mapping (file, or [heap], [stack], [anon] for the anonymous ones), largest first. */
    private static void printMappings(long pid) throws IOException {
        Map<String, Long> residentKb = new java.util.TreeMap<>();
        String mapping = null;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] fields = line.trim().split("\\s+");
                mapping = fields.length >= 6 ? fields[5] : "[anon]";
            } else if (line.startsWith("Rss:") && mapping != null) {
                residentKb.merge(mapping, Long.parseLong(line.replaceAll("\\D", "")), Long::sum);
            }
        }
        residentKb.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(12)
                .forEach(e -> System.out.printf(Locale.ROOT, "smaps: %8.1f MB %s%n", e.getValue() * 1024 / 1e6, e.getKey()));
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

    private static double heapUsedMb(String answer) {
        return Long.parseLong(answer.split(" ")[1]) / 1e6;
    }

    private static String describeHeap(String answer) {
        String[] f = answer.split(" ");
        return String.format(Locale.ROOT, "heap in use after a full GC %.1f MB (committed %.1f MB), non-heap %.1f MB; pools %s",
                Long.parseLong(f[1]) / 1e6, Long.parseLong(f[3]) / 1e6, Long.parseLong(f[5]) / 1e6, f[7]);
    }

    /** Resident set (and its anonymous and file-backed parts), its peak, the number of threads and the CPU time, from /proc. */
    record Memory(long rssKb, long peakKb, long anonKb, long fileKb, int threads, double cpuSeconds) {
        static Memory of(long pid) throws IOException {
            // user and system time so far, in clock ticks (fields 14 and 15 after the command's parenthesis; 100 per second)
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] times = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            double cpu = (Long.parseLong(times[11]) + Long.parseLong(times[12])) / 100.0;
            Map<String, Long> status = new java.util.HashMap<>();
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                int colon = line.indexOf(':');
                String digits = line.substring(colon + 1).replaceAll("\\D", "");
                if (colon > 0 && !digits.isEmpty()) {
                    status.put(line.substring(0, colon), Long.parseLong(digits));
                }
            }
            return new Memory(status.getOrDefault("VmRSS", 0L), status.getOrDefault("VmHWM", 0L), status.getOrDefault("RssAnon", 0L),
                    status.getOrDefault("RssFile", 0L) + status.getOrDefault("RssShmem", 0L), status.getOrDefault("Threads", 0L).intValue(), cpu);
        }

        double rssMb() {
            return rssKb * 1024 / 1e6;
        }

        double peakMb() {
            return peakKb * 1024 / 1e6;
        }

        /** "anonymous A MB, files F MB": the heap, metaspace, code and malloc'd memory, and the mapped JVM, libraries and CDS archive. */
        String parts() {
            return String.format(Locale.ROOT, "anonymous %.1f MB, files %.1f MB", anonKb * 1024 / 1e6, fileKb * 1024 / 1e6);
        }
    }
}

package io.swarmnet.agent.simulation;

import static io.swarmnet.agent.ClusterObjects.address;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.service.AttachWait;
import io.swarmnet.operator.service.TaskPod;
import io.swarmnet.operator.service.TaskSlot;
import io.swarmnet.operator.service.TemplateHash;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
    static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();

    @Test
    void residentSetWithTenThousandTasks() throws Exception {
        try (SandboxApiServer api = SandboxApiServer.start()) {
            KubernetesClient client = api.client();
            for (int n = 1; n <= NODES; n++) {
                client.resource(ClusterObjects.node("n" + n, "192.0.2." + n)).create();
            }
            ClusterObjects.createWithStatus(client, ClusterObjects.network("net").allocated("10.0.0.0/16", "10.0.0.1", 4097).build());
            SwarmService example = Serialization.unmarshal(Files.readString(REPOSITORY.resolve("examples/my-web.yaml")), SwarmService.class);
            AttachWait attachWait = new AttachWait("swarmnet/swarmnet:0.1.0", "IfNotPresent", AttachWait.DEFAULT_TIMEOUT);
            long setup = System.nanoTime();
            ExecutorService writers = Executors.newFixedThreadPool(8);
            List<Future<?>> writes = new ArrayList<>();
            List<String> local = new ArrayList<>();
            int next = 2;
            for (int s = 0; s < SERVICES; s++) {
                SwarmService built = ClusterObjects.service("svc-" + s).network("net").vip("net", address(next++)).build();
                built.getSpec().setTemplate(example.getSpec().getTemplate());
                built.getSpec().setReplicas(TASKS);
                SwarmService service = ClusterObjects.createWithStatus(client, built);
                String hash = TemplateHash.of(service.getSpec().getTemplate(), List.of("net"));
                for (int t = 0; t < TASKS; t++) {
                    String podName = "svc-" + s + "-" + (t + 1);
                    int node = 1 + (s * TASKS + t) % NODES;
                    IpAddress address = IpAddress.parse(address(next++));
                    Pod pod = TaskPod.desired(service, TaskSlot.replicated(t + 1), null, podName, hash,
                            new TaskAddresses(Map.of("net", address)), "cluster.local", attachWait);
                    pod.getSpec().setNodeName("n" + node);
                    pod.setStatus(kubeletStatus(podName, "192.0.2." + node));
                    if (node == 1) {
                        local.add(podName);
                    }
                    writes.add(writers.submit(() -> ClusterObjects.createPod(client, pod)));
                }
            }
            for (Future<?> write : writes) {
                write.get();
            }
            writers.shutdown();
            System.out.printf(Locale.ROOT, "setup: %d services, %d task pods over %d nodes written in %d ms; %d on the agent's node%n",
                    SERVICES, SERVICES * TASKS, NODES, (System.nanoTime() - setup) / 1_000_000, local.size());

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
                    // a merge on the condition's type, as a kubelet's write would be: no conflict with the agent's own condition writes
                    client.pods().inNamespace(ClusterObjects.NS).withName(local.get(i * local.size() / CHANGES)).subresource("status")
                            .patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                                    "{\"status\":{\"conditions\":[{\"type\":\"ContainersReady\",\"status\":\"False\"}]}}");
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

    /** The status a kubelet writes for a running task: phase, conditions, addresses, both containers' states. */
    private static PodStatus kubeletStatus(String podName, String hostIp) {
        PodStatus status = ClusterObjects.task(podName, "unused").ready().build().getStatus();
        String podIp = "172.16." + (Math.abs(podName.hashCode()) % 250) + "." + (1 + Math.abs(podName.hashCode() / 250) % 250);
        status.setHostIP(hostIp);
        status.setPodIP(podIp);
        status.setPodIPs(List.of(new PodIP(podIp)));
        status.setQosClass("BestEffort");
        status.setStartTime("2026-12-05T10:00:00Z");
        status.setInitContainerStatuses(List.of(container(AttachWait.CONTAINER_NAME, "swarmnet/swarmnet:0.1.0", false)));
        status.setContainerStatuses(List.of(container("nginx", "docker.io/library/nginx:1.27", true)));
        return status;
    }

    private static ContainerStatus container(String name, String image, boolean running) {
        ContainerStatusBuilder b = new ContainerStatusBuilder().withName(name).withImage(image)
                .withImageID(image + "@sha256:" + "0123456789abcdef".repeat(4))
                .withContainerID("containerd://" + "fedcba9876543210".repeat(4)).withRestartCount(0).withReady(running)
                .withStarted(running);
        if (running) {
            b.withNewState().withNewRunning().withStartedAt("2026-12-05T10:00:02Z").endRunning().endState();
        } else {
            b.withNewState().withNewTerminated().withExitCode(0).withReason("Completed").withStartedAt("2026-12-05T10:00:00Z")
                    .withFinishedAt("2026-12-05T10:00:01Z").withContainerID("containerd://" + "0123456789abcdef".repeat(4))
                    .endTerminated().endState();
        }
        return b.build();
    }
}

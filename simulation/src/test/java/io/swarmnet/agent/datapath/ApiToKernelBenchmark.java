package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.agent.AgentConfig;
import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.agent.NodeAgent;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.desired.VipRule;
import io.swarmnet.agent.simulation.OperatorShapedTasks;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.agent.simulation.SimulatedPod;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Agent convergence, the whole way (issue goal: p99 under 100 ms at 1,000 services × 10 tasks on one node): a task's
 * readiness written to the API as its kubelet writes it, until the kernel of the agent's node has the backend in, or
 * out of, that service's VIP map in every local pod.
 *
 * <p>The embedded API holds 1,000 services × 10 operator-shaped task pods ({@link OperatorShapedTasks}) over 10 nodes.
 * Node 1 is a simulated node whose 20 local tasks are real network namespaces, as in {@link DatapathBenchmark}; the
 * other 9,980 tasks are on nodes without an agent (remote endpoints). One {@link NodeAgent} — its informers, round
 * runner, snapshot, desired state and publishing, with the production defaults — drives a {@link LinuxDatapath} on node
 * 1. Once it has converged, the benchmark makes changes one at a time: a random task's Ready and ContainersReady
 * conditions go False (a status patch, as a kubelet's), then True again, with a random gap between changes.
 *
 * <p>Each change is timed from just before the API write until the kernel has it in all 20 pods, seen in the kernel
 * itself: {@link NftAnnouncements} listens to nf_tables' own announcements in each pod's namespace and takes the moment
 * a commit whose elements put the backend into (or took it out of) the VIP's backend map announced its new generation.
 * That is when the rule is in force, known without asking the kernel (a listing of a 1,000-VIP table per poll would
 * cost as much as the change, on the same two cores). The split comes from a timing wrapper around the datapath: API
 * write → the desired state with the change handed to the datapath, and its apply (whose netlink batches return once
 * the kernel acknowledged their commit).
 *
 * <p>Run (root; skips without it, or without nft):
 * {@code mvn -B -pl simulation -am test -Dtest=ApiToKernelBenchmark -Dgroups=benchmark -DexcludedGroups=none
 * -Dsurefire.failIfNoSpecifiedTests=false}. Knobs: {@code -Dswarmnet.bench.services} (1000), {@code .tasks} (10),
 * {@code .nodes} (10), {@code .localPods} (20), {@code .changes} (200), {@code .warmup} (0: changes made before those
 * measured), {@code .gapMillis} (20-200: the random pause after each change), {@code .seed} (1), {@code .debounceMillis}
 * (the agent's, default 30 as in the DaemonSet: SWARMNET_DEBOUNCE), {@code .idleSeconds} (40: after the changes, how long
 * the node is left quiet while what the agent spends meanwhile is measured — the datapath's refresher checking every
 * pod's table (listing it only if its namespace's nftables generation moved) and reading its devices once per 30 s, the
 * resync apply every 60 s; 0 skips it), {@code .idleWindows} (1: how many such periods, one after the other, each
 * measured on its own — the first still lists the tables that libnftables wrote at the start, whose generation it does
 * not report, once each).
 */
@Tag("benchmark")
class ApiToKernelBenchmark {

    private static final int SERVICES = Integer.getInteger("swarmnet.bench.services", 1000);
    private static final int TASKS = Integer.getInteger("swarmnet.bench.tasks", 10);
    private static final int NODES = Integer.getInteger("swarmnet.bench.nodes", 10);
    private static final int LOCAL_PODS = Integer.getInteger("swarmnet.bench.localPods", 20);
    private static final int CHANGES = Integer.getInteger("swarmnet.bench.changes", 200);
    private static final int WARMUP = Integer.getInteger("swarmnet.bench.warmup", 0);
    private static final String GAP = System.getProperty("swarmnet.bench.gapMillis", "20-200");
    private static final long SEED = Long.getLong("swarmnet.bench.seed", 1);
    private static final int IDLE_SECONDS = Integer.getInteger("swarmnet.bench.idleSeconds", 40);
    private static final int IDLE_WINDOWS = Integer.getInteger("swarmnet.bench.idleWindows", 1);
    private static final Duration DEBOUNCE = Duration.ofMillis(Long.getLong("swarmnet.bench.debounceMillis",
            AgentConfig.DEFAULT_DEBOUNCE.toMillis()));
    private static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(30);

    private static final ch.qos.logback.classic.Logger ROOT_LOG =
            (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    private SandboxApiServer api;
    private SimulatedCluster cluster;
    private NftAnnouncements announcements;
    private ch.qos.logback.classic.Level logLevel;
    private final RoundLog rounds = new RoundLog();

    @BeforeEach
    void start() {
        KernelAvailability.assumeKernelTestsCanRun("ip", "bridge", "nft", "nsenter");
        // the DaemonSet's default level (SWARMNET_LOG_LEVEL): the tests' debug logging of every client request is no agent's work
        logLevel = ROOT_LOG.getLevel();
        ROOT_LOG.setLevel(ch.qos.logback.classic.Level.INFO);
        rounds.attach();
    }

    @AfterEach
    void stop() {
        if (announcements != null) {
            announcements.close();
        }
        try {
            if (cluster != null) {
                String prefix = cluster.prefix();
                cluster.close();
                assertThat(cluster.leftovers()).as("objects of run %s left behind", prefix).isEmpty();
            }
        } finally {
            if (api != null) {
                api.close();
            }
            ROOT_LOG.setLevel(logLevel);
            rounds.detach();
        }
    }

    @Test
    void backendReadinessWrittenToTheApiUntilEveryLocalPodsVipMapHasIt() throws Exception {
        String loadAtStart = loadAverage();
        api = SandboxApiServer.start();
        KubernetesClient client = api.client();
        cluster = SimulatedCluster.start(2);
        SimulatedNode node = cluster.node(1);

        List<OperatorShapedTasks.Node> nodes = new ArrayList<>();
        for (int n = 1; n <= NODES; n++) {
            nodes.add(new OperatorShapedTasks.Node("node-" + n,
                    n <= cluster.nodes().size() ? cluster.node(n).underlayAddress().toString() : "192.0.2." + (10 + n)));
        }
        assertThat(nodes.get(0).name()).isEqualTo(node.name());
        // the local tasks spread over the services; every other task on one of the nodes without an agent
        int stride = SERVICES * TASKS / LOCAL_PODS;
        OperatorShapedTasks.Written written = OperatorShapedTasks.write(client, nodes, SERVICES, TASKS, (s, t) -> {
            int g = s * TASKS + t;
            return g % stride == 0 && g / stride < LOCAL_PODS ? 0 : 1 + g % (NODES - 1);
        });
        List<SimulatedPod> localPods = new ArrayList<>();
        for (OperatorShapedTasks.Task task : written.tasks()) {
            if (task.node().equals(nodes.get(0))) {
                localPods.add(cluster.createPod(node, new PodRef(ClusterObjects.NS, task.name(), task.pod().getMetadata().getUid())));
            }
        }
        System.out.printf(Locale.ROOT, "%n== backend change: API write -> kernel, one node agent: %d services x %d tasks over %d nodes, "
                + "%d local pods (real namespaces), %d remote ==%n", SERVICES, TASKS, NODES, localPods.size(), written.tasks().size() - localPods.size());
        System.out.printf(Locale.ROOT, "setup: %d task pods written in %d ms; the agent's debounce %d ms; load average at the start %s%n",
                written.tasks().size(), written.millis(), DEBOUNCE.toMillis(), loadAtStart);

        TimedDatapath[] timed = new TimedDatapath[1];
        long agentStart = System.nanoTime();
        cluster.runAgent(node, (n, datapath, locator) -> NodeAgent.start(client, AgentConfig.forNode(n.facts()).withDebounce(DEBOUNCE),
                timed[0] = new TimedDatapath((LinuxDatapath) datapath), locator));
        TimedDatapath datapath = timed[0];
        long allBackends = (long) SERVICES * TASKS;
        TimedDatapath.Apply converged = datapath.await(agentStart, d -> d.pods().size() == localPods.size() && backends(d) == allBackends,
                r -> r.complete() && r.attachedPods().size() == localPods.size(), Duration.ofMinutes(10));
        System.out.printf(Locale.ROOT, "agent start -> converged (%d pods attached, %d VIP backends each): %d ms, %d kernel changes in the last apply%n",
                localPods.size(), allBackends, (converged.returned() - agentStart) / 1_000_000, converged.report().changes());
        datapath.awaitQuiet(Duration.ofSeconds(3), Duration.ofMinutes(2));

        KernelNames names = new KernelNames(node.datapathPrefix());
        announcements = NftAnnouncements.listen(localPods.stream().map(SimulatedPod::namespacePath).toList());
        Random random = new Random(SEED);
        String[] gap = GAP.split("-");
        int gapMin = Integer.parseInt(gap[0]);
        int gapMax = Integer.parseInt(gap[gap.length - 1]);
        List<Change> measured = new ArrayList<>();
        OperatorShapedTasks.Task task = null;
        for (int w = -WARMUP; w < CHANGES; w++) {
            boolean leave = Math.floorMod(w, 2) == 0;
            if (leave) {
                task = written.tasks().get(random.nextInt(written.tasks().size()));
            }
            IpAddress vip = written.vips().get(task.service());
            IpAddress backend = task.address();
            announcements.drain();
            long gcs = gcCount();
            long compiling = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
            long write = System.nanoTime();
            OperatorShapedTasks.reportReadiness(client, task.name(), !leave);
            long written2 = System.nanoTime();
            long[] kernel = announcements.awaitBackend(names.vipTable(), names.backendMap(vip), backend, !leave, CHANGE_TIMEOUT);
            TimedDatapath.Apply apply = datapath.await(write, d -> backendsOf(d, vip).contains(backend) != leave, r -> true, CHANGE_TIMEOUT);
            if (w >= 0) {
                measured.add(new Change(w, leave, write, written2, apply, rounds.after(apply.returned(), CHANGE_TIMEOUT), java.util.Arrays.stream(kernel).min().orElseThrow(),
                        java.util.Arrays.stream(kernel).max().orElseThrow(), datapath.appliesSince(write), gcCount() - gcs,
                        ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - compiling));
            }
            Thread.sleep(gapMin + random.nextInt(gapMax - gapMin + 1));
        }
        String loadAtEnd = loadAverage();
        report(measured, loadAtStart, loadAtEnd);
        for (int window = 0; window < IDLE_WINDOWS && IDLE_SECONDS > 0; window++) {
            quietNode(datapath, Duration.ofSeconds(IDLE_SECONDS));
        }
        assertThat(measured).allSatisfy(c -> assertThat(c.kernelLast()).isGreaterThan(c.write()));
    }

    /**
     * What the agent spends on a node where nothing changes: the CPU of the datapath's refresher thread and of its
     * worker threads, of this whole JVM (the embedded API server and its idle watches included), and of the processes
     * it ran and reaped meanwhile (the refresher's `ip` reads; its `nft` reads run on the pods' nftables session threads), over {@code quiet}.
     */
    private static void quietNode(TimedDatapath datapath, Duration quiet) throws IOException, InterruptedException {
        var threads = ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long idleStart = System.nanoTime();
        long[] refreshBefore = threadCpu(threads, "-refresh");
        long[] workersBefore = threadCpu(threads, "datapath-");
        long[] sessionsBefore = threadCpu(threads, "nft-session ");
        long jvmBefore = os.getProcessCpuTime();
        long childrenBefore = childrenCpuMillis();
        long listedBefore = datapath.kernel().tablesListed();
        long unchangedBefore = datapath.kernel().tablesFoundUnchanged();
        String loadBefore = loadAverage();
        Thread.sleep(quiet.toMillis());
        long refresh = threadCpu(threads, "-refresh")[0] - refreshBefore[0];
        long workers = threadCpu(threads, "datapath-")[0] - workersBefore[0];
        // a session idle long enough ends: its thread's time is then only in the JVM's total
        long sessions = threadCpu(threads, "nft-session ")[0] - sessionsBefore[0];
        long jvm = os.getProcessCpuTime() - jvmBefore;
        long children = childrenCpuMillis() - childrenBefore;
        double seconds = quiet.toMillis() / 1000.0;
        System.out.printf(Locale.ROOT, "%nquiet node, %.0f s with no change (%d applies meanwhile: the resync every 60 s), load %s -> %s:%n",
                seconds, datapath.appliesSince(idleStart), loadBefore, loadAverage());
        System.out.printf(Locale.ROOT, "  the datapath's refresher thread %.0f ms CPU (%.2f %% of a core); all datapath threads %.0f ms (%.2f %%)%n",
                refresh / 1e6, refresh / 1e7 / seconds, workers / 1e6, workers / 1e7 / seconds);
        System.out.printf(Locale.ROOT, "  the pods' nftables session threads (their reads of the VIP tables) %.0f ms (%.2f %%)%n", sessions / 1e6,
                sessions / 1e7 / seconds);
        System.out.printf(Locale.ROOT, "  pods' tables listed %d, due tables not listed (their namespace's nftables generation unchanged) %d%n",
                datapath.kernel().tablesListed() - listedBefore, datapath.kernel().tablesFoundUnchanged() - unchangedBefore);
        System.out.printf(Locale.ROOT, "  processes the JVM ran and reaped (reads with ip and bridge) %d ms CPU (%.2f %%); the whole JVM %.0f ms (%.2f %%),"
                + " the embedded API server's idle watches included%n", children, children / 10.0 / seconds, jvm / 1e6, jvm / 1e7 / seconds);
    }

    /** Summed CPU time (ns) of the live threads whose name contains {@code part}, and how many there are. */
    private static long[] threadCpu(java.lang.management.ThreadMXBean threads, String part) {
        long sum = 0;
        long count = 0;
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains(part)) {
                long cpu = threads.getThreadCpuTime(info.getThreadId());
                if (cpu > 0) {
                    sum += cpu;
                    count++;
                }
            }
        }
        return new long[] {sum, count};
    }

    /** CPU of this process's reaped children (cutime + cstime: the children it waited for), ms; USER_HZ is 100 on Linux. */
    private static long childrenCpuMillis() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after the command's closing parenthesis: the state (field 3 of the line) first; cutime and cstime are fields 16 and 17
        return (Long.parseLong(fields[13]) + Long.parseLong(fields[14])) * 10;
    }

    /**
     * One measured change, all times from {@link System#nanoTime()}: the write started and returned, the apply that
     * carried it, the first and last pod whose kernel announced it, how many applies ran from the write until the kernel
     * had it, and the garbage collections and JIT compiling (ms) meanwhile.
     */
    private record Change(int index, boolean leave, long write, long writeReturned, TimedDatapath.Apply apply, RoundLog.Round round,
            long kernelFirst,
            long kernelLast, int applies, long gcs, long compilingMillis) {
        long total() {
            return kernelLast - write;
        }

        long toHanded() {
            return apply.handed() - write;
        }

        long applyNanos() {
            return apply.returned() - apply.handed();
        }
    }

    private static void report(List<Change> measured, String loadAtStart, String loadAtEnd) {
        long[] total = sorted(measured, Change::total);
        System.out.printf(Locale.ROOT, "API write -> kernel has it in every local pod: median %.1f ms, p99 %.1f ms, max %.1f ms over %d changes%s "
                + "(goal: p99 < 100 ms)%n", ms(DatapathBenchmark.median(total)), ms(DatapathBenchmark.percentile(total, 99)),
                ms(total[total.length - 1]), total.length, WARMUP == 0 ? "" : ", after " + WARMUP + " not measured");
        row("  API write -> desired state handed to the datapath", sorted(measured, Change::toHanded));
        row("    of which the write's own round trip", sorted(measured, c -> c.writeReturned() - c.write()));
        row("    write -> the round started (informer, debounce, a round running)", sorted(measured,
                c -> c.apply().handed() - c.round().snapshotNanos() - c.round().computeNanos() - c.write()));
        row("    the round's snapshot", sorted(measured, c -> c.round().snapshotNanos()));
        row("    the round's desired state (compute)", sorted(measured, c -> c.round().computeNanos()));
        row("  datapath apply (handed -> returned)", sorted(measured, Change::applyNanos));
        row("  handed -> first pod's kernel has it", sorted(measured, c -> c.kernelFirst() - c.apply().handed()));
        row("  first -> last pod's kernel", sorted(measured, c -> c.kernelLast() - c.kernelFirst()));
        row("  last pod's kernel -> apply returned", sorted(measured, c -> c.apply().returned() - c.kernelLast()));
        row("  apply: read", sorted(measured, c -> c.apply().timings().readNanos()));
        row("  apply: plan", sorted(measured, c -> c.apply().timings().planNanos()));
        row("  apply: execute", sorted(measured, c -> c.apply().timings().executeNanos()));
        row("  apply: record", sorted(measured, c -> c.apply().timings().recordNanos()));
        System.out.printf(Locale.ROOT, "  applies that listed pods' tables again (drift repair): %d, of %d%n",
                measured.stream().filter(c -> c.apply().timings().tablesListed() > 0).count(), measured.size());
        row("  a backend leaves", sorted(measured.stream().filter(Change::leave).toList(), Change::total));
        row("  it comes back", sorted(measured.stream().filter(c -> !c.leave()).toList(), Change::total));
        row("  without the first ten", sorted(measured.stream().skip(10).toList(), Change::total));
        System.out.printf(Locale.ROOT, "  applies from a write until the kernel had it: %s; changes with a GC: %d%n",
                measured.stream().collect(java.util.stream.Collectors.groupingBy(Change::applies, java.util.TreeMap::new,
                        java.util.stream.Collectors.counting())), measured.stream().filter(c -> c.gcs() > 0).count());
        System.out.printf(Locale.ROOT, "  the first changes: %s ms; the JIT compilers' time during them: %s ms%n",
                measured.stream().limit(10).map(c -> String.format(Locale.ROOT, "%.1f", ms(c.total()))).toList(),
                measured.stream().limit(10).map(Change::compilingMillis).toList());
        measured.stream().sorted(Comparator.comparingLong(Change::total).reversed()).limit(5).forEach(c -> System.out.printf(Locale.ROOT,
                "  slow: change #%d %.1f ms = to handed %.1f (snapshot %.0f, compute %.0f), apply %.1f (read %.1f, %d tables listed; plan %.1f, execute %.1f, record %.1f); "
                        + "%d applies, %d GC, %d ms JIT compiling%n",
                c.index(), ms(c.total()), ms(c.toHanded()), ms(c.round().snapshotNanos()), ms(c.round().computeNanos()), ms(c.applyNanos()),
                ms(c.apply().timings().readNanos()),
                c.apply().timings().tablesListed(), ms(c.apply().timings().planNanos()), ms(c.apply().timings().executeNanos()),
                ms(c.apply().timings().recordNanos()), c.applies(), c.gcs(), c.compilingMillis()));
        System.out.printf(Locale.ROOT, "load average: at the start %s, at the end %s%n", loadAtStart, loadAtEnd);
    }

    private static void row(String what, long[] sorted) {
        System.out.printf(Locale.ROOT, "%-56s median %7.1f ms, p99 %7.1f ms, max %7.1f ms%n", what + ":", ms(DatapathBenchmark.median(sorted)),
                ms(DatapathBenchmark.percentile(sorted, 99)), ms(sorted.length == 0 ? 0 : sorted[sorted.length - 1]));
    }

    private static long[] sorted(List<Change> changes, ToLongFunction<Change> value) {
        return changes.stream().mapToLong(value).sorted().toArray();
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static long backends(NodeDatapath desired) {
        return desired.pods().isEmpty() ? 0 : desired.pods().get(0).vips().stream().mapToLong(v -> v.backends().size()).sum();
    }

    private static List<IpAddress> backendsOf(NodeDatapath desired, IpAddress vip) {
        return desired.pods().isEmpty() ? List.of() : desired.pods().get(0).vips().stream().filter(v -> v.vip().equals(vip))
                .findFirst().map(VipRule::backends).orElse(List.of());
    }

    private static long gcCount() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(b -> b.getCollectionCount()).sum();
    }

    private static String loadAverage() throws IOException {
        return String.join(" ", List.of(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
    }

    /**
     * The agent's own account of each round (its debug line: snapshot and compute, in whole milliseconds), caught from
     * the reconcile loop's logger alone: the rest of the agent logs at the DaemonSet's level.
     */
    static final class RoundLog extends ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> {

        private static final java.util.regex.Pattern ROUND = java.util.regex.Pattern.compile("snapshot (\\d+) ms, compute (\\d+) ms");
        private final ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.swarmnet.agent.ReconcileLoop");
        private final List<Round> logged = new ArrayList<>();

        record Round(long loggedNanos, long snapshotNanos, long computeNanos) {
        }

        void attach() {
            setContext(logger.getLoggerContext());
            start();
            logger.addAppender(this);
            logger.setAdditive(false);
            logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
        }

        void detach() {
            logger.detachAppender(this);
            logger.setAdditive(true);
            logger.setLevel(null);
            stop();
        }

        @Override
        protected void append(ch.qos.logback.classic.spi.ILoggingEvent event) {
            java.util.regex.Matcher m = ROUND.matcher(event.getFormattedMessage());
            if (m.find()) {
                synchronized (this) {
                    logged.add(new Round(System.nanoTime(), Long.parseLong(m.group(1)) * 1_000_000, Long.parseLong(m.group(2)) * 1_000_000));
                    notifyAll();
                }
            }
        }

        /** The first round logged after {@code nanos}: the round of an apply that returned then logs once it published. */
        synchronized Round after(long nanos, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                for (Round r : logged) {
                    if (r.loggedNanos() - nanos >= 0) {
                        return r;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("the reconcile loop logged no round within " + timeout);
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** The agent's datapath, timed: when each desired state was handed over, when its apply returned, and what it did. */
    static final class TimedDatapath implements Datapath {

        record Apply(NodeDatapath desired, long handed, long returned, ApplyReport report, LinuxDatapath.Timings timings) {
        }

        private final LinuxDatapath kernel;
        private final List<Apply> applies = new ArrayList<>();

        TimedDatapath(LinuxDatapath kernel) {
            this.kernel = kernel;
        }

        LinuxDatapath kernel() {
            return kernel;
        }

        @Override
        public ApplyReport apply(NodeDatapath desired) {
            long handed = System.nanoTime();
            ApplyReport report = kernel.apply(desired);
            long returned = System.nanoTime();
            synchronized (this) {
                applies.add(new Apply(desired, handed, returned, report, kernel.lastTimings()));
                notifyAll();
            }
            return report;
        }

        /** The first apply handed over after {@code after} whose desired state and report satisfy the conditions. */
        synchronized Apply await(long after, Predicate<NodeDatapath> desired, Predicate<ApplyReport> report, Duration timeout)
                throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            int from = 0;
            while (true) {
                for (int i = from; i < applies.size(); i++) {
                    Apply a = applies.get(i);
                    if (a.handed() - after >= 0 && desired.test(a.desired()) && report.test(a.report())) {
                        return a;
                    }
                }
                from = applies.size();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no apply within " + timeout + " reached the awaited state; last: "
                            + (applies.isEmpty() ? "none" : applies.get(applies.size() - 1).report()));
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }

        /** How many applies were handed over after {@code after}. */
        synchronized int appliesSince(long after) {
            return (int) applies.stream().filter(a -> a.handed() - after >= 0).count();
        }

        /** Waits until no apply has returned for {@code quiet}: the agent is done with its start (its publishing rounds too). */
        synchronized void awaitQuiet(Duration quiet, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                long last = applies.isEmpty() ? 0 : applies.get(applies.size() - 1).returned();
                long silent = System.nanoTime() - last;
                if (silent >= quiet.toNanos()) {
                    return;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("the agent kept applying for " + timeout + " after converging");
                }
                wait(Math.max(1, (quiet.toNanos() - silent) / 1_000_000));
            }
        }
    }
}

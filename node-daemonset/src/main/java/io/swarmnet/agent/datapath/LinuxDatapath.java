package io.swarmnet.agent.datapath;

import io.swarmnet.agent.datapath.Plan.Owner;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.PodNamespaceLocator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux datapath: reads the kernel, plans the difference with {@link DatapathPlanner}, runs it with
 * {@link PlanExecutor}. Holds no state that matters across restarts: a new instance (a restarted agent) reads
 * the kernel and finds nothing to do, so established connections are not disturbed.
 */
public final class LinuxDatapath implements Datapath, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LinuxDatapath.class);

    private final DatapathConfig config;
    private final KernelReader reader;
    private final DatapathPlanner planner;
    private final PlanExecutor executor;
    private final ExecutorService pool;
    private final KernelTools tools;
    // Pods programmed by the previous apply: if they leave the desired state while their namespace lives on,
    // their interfaces and VIP table are removed. After a restart this is empty; their bridge ports still go.
    private final Set<PodRef> previousPods = new HashSet<>();
    private volatile Plan lastPlan;
    // VIP tables as our last successful transactions left them (and pod devices as last read, when untouched
    // since), with when they were last listed.
    // Each is listed from the kernel again once older than relistAfter (drift repair), at most
    // RELISTS_PER_APPLY per apply so that repair never stalls a backend change; after any failure of the pod
    // at once; never trusted across a restart (the map starts empty).
    private static final int RELISTS_PER_APPLY = 2;
    private final Map<PodRef, KernelReader.KnownVipTable> knownTables = new HashMap<>();
    private final Map<PodRef, Long> knownSince = new HashMap<>();
    private final VipLoadBalancer vipLoadBalancer;
    private final java.time.Duration relistAfter;

    public LinuxDatapath(DatapathConfig config, PodNamespaceLocator locator) {
        this.config = config;
        KernelNames names = new KernelNames(config.prefix());
        AtomicInteger threads = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(config.parallelism(), r -> {
            Thread t = new Thread(r, "datapath-" + config.prefix() + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.tools = KernelTools.forAgent(config.toolTimeout());
        this.reader = new KernelReader(names, config.hostNamespace(), tools, locator, pool);
        this.planner = new DatapathPlanner(names, config.hostNamespace(), config.vxlanPort());
        this.executor = new PlanExecutor(tools, new ConntrackTable(config.toolTimeout()), pool);
        this.vipLoadBalancer = new VipLoadBalancer(names);
        this.relistAfter = java.time.Duration.ofSeconds(30);
    }

    public DatapathConfig config() {
        return config;
    }

    /** Where the time of the latest apply went, in milliseconds (for benchmarks and logs). */
    public record Timings(long readMillis, long planMillis, long executeMillis, int tablesListed) {
    }

    private volatile Timings lastTimings;

    public Timings lastTimings() {
        return lastTimings;
    }

    /** The plan of the latest apply (for logs and tests). */
    public Plan lastPlan() {
        return lastPlan;
    }

    @Override
    public synchronized ApplyReport apply(NodeDatapath desired) {
        Set<PodRef> pods = new LinkedHashSet<>();
        desired.pods().forEach(p -> pods.add(p.pod()));
        pods.addAll(previousPods);
        ActualNode actual;
        long started = System.nanoTime();
        knownSince.entrySet().stream().filter(e -> started - e.getValue() > relistAfter.toNanos())
                .sorted(Map.Entry.comparingByValue()).limit(RELISTS_PER_APPLY).map(Map.Entry::getKey).toList()
                .forEach(pod -> {
                    knownTables.remove(pod);
                    knownSince.remove(pod);
                });
        int listed = (int) pods.stream().filter(p -> !knownTables.containsKey(p)).count();
        try {
            actual = reader.read(pods, Map.copyOf(knownTables));
        } catch (RuntimeException e) {
            // nothing can be planned without the actual state: every network and pod waits for the retry
            String cause = "reading the kernel state failed: " + e.getMessage();
            Map<NetworkKey, String> networks = new HashMap<>();
            desired.networks().forEach(n -> networks.put(n.key(), "network " + n.key() + ": " + cause));
            Map<PodRef, String> podFailures = new HashMap<>();
            desired.pods().forEach(p -> podFailures.put(p.pod(), "pod " + p.pod() + ": " + cause));
            return new ApplyReport(Set.of(), networks, podFailures, 0, Map.of());
        }
        long read = System.nanoTime();
        Plan plan = planner.plan(desired, actual);
        lastPlan = plan;
        long planned = System.nanoTime();
        PlanExecutor.Outcome outcome = plan.isEmpty() ? new PlanExecutor.Outcome(Map.of(), 0) : executor.execute(plan);
        long executed = System.nanoTime();
        lastTimings = new Timings((read - started) / 1_000_000, (planned - read) / 1_000_000, (executed - planned) / 1_000_000, listed);

        Map<NetworkKey, String> networkFailures = new HashMap<>(plan.rejectedNetworks());
        Map<PodRef, String> podFailures = new HashMap<>(plan.rejectedPods());
        Map<String, String> leftovers = new HashMap<>();
        outcome.failures().forEach((owner, message) -> {
            if (owner instanceof Owner.Network n) {
                networkFailures.putIfAbsent(n.key(), message);
            } else if (owner instanceof Owner.Pod p) {
                podFailures.putIfAbsent(p.pod(), message);
            } else if (owner instanceof Owner.Leftover l) {
                leftovers.putIfAbsent(l.object(), message);
            }
        });
        Set<PodRef> attached = new HashSet<>();
        for (PodDatapath pod : desired.pods()) {
            String networkProblem = pod.attachments().stream().map(a -> networkFailures.get(a.network()))
                    .filter(m -> m != null).findFirst().orElse(null);
            if (networkProblem != null) {
                podFailures.putIfAbsent(pod.pod(), "pod " + pod.pod() + ": its network failed: " + networkProblem);
            }
            if (!podFailures.containsKey(pod.pod())) {
                attached.add(pod.pod());
            }
        }
        rememberVipTables(desired, actual, plan, podFailures);
        // former pods are forgotten once cleaned; one whose cleanup failed is tried again next time
        Set<PodRef> retry = new HashSet<>(podFailures.keySet());
        retry.retainAll(previousPods);
        previousPods.clear();
        previousPods.addAll(retry);
        desired.pods().forEach(p -> previousPods.add(p.pod()));
        if (outcome.changes() > 0 || !networkFailures.isEmpty() || !podFailures.isEmpty()) {
            LOG.info("datapath {}: {} changes, {} pods attached, {} network failures, {} pod failures", config.prefix(),
                    outcome.changes(), attached.size(), networkFailures.size(), podFailures.size());
        }
        podFailures.values().forEach(m -> LOG.warn("{}", m));
        networkFailures.values().forEach(m -> LOG.warn("{}", m));
        return new ApplyReport(attached, networkFailures, podFailures, outcome.changes(), leftovers);
    }

    private void rememberVipTables(NodeDatapath desired, ActualNode actual, Plan plan, Map<PodRef, String> podFailures) {
        Set<PodRef> desiredPods = new HashSet<>(desired.pods().stream().map(PodDatapath::pod).toList());
        // a pod whose devices this plan touched is read again next time; the others' devices are as read
        Set<PodRef> touched = new HashSet<>();
        plan.phases().forEach(phase -> phase.steps().stream().filter(step -> step.tool() == Plan.Tool.IP || step.tool() == Plan.Tool.BRIDGE)
                .forEach(step -> step.commands().forEach(c -> {
                    if (c.owner() instanceof Owner.Pod p) {
                        touched.add(p.pod());
                    }
                })));
        knownTables.keySet().retainAll(desiredPods);
        knownSince.keySet().retainAll(desiredPods);
        long now = System.nanoTime();
        for (PodDatapath pod : desired.pods()) {
            PodNamespaceState state = actual.pods().get(pod.pod());
            if (state == null || podFailures.containsKey(pod.pod()) || plan.rejectedPods().containsKey(pod.pod())) {
                knownTables.remove(pod.pod());
                knownSince.remove(pod.pod());
                continue;
            }
            // listed (or relisted) in this apply: its age starts now; otherwise it keeps the age of its last listing
            knownSince.putIfAbsent(pod.pod(), now);
            java.nio.file.Path path = null;
            if (state.namespace() instanceof NetNamespace.AtPath p) {
                path = p.path();
            } else if (state.namespace() instanceof NetNamespace.Named n) {
                path = java.nio.file.Path.of("/run/netns", n.name());
            }
            if (path != null) {
                knownTables.put(pod.pod(), new KernelReader.KnownVipTable(path, vipLoadBalancer.expected(VipLoadBalancer.byVip(pod.vips())),
                        touched.contains(pod.pod()) ? null : state.links()));
            }
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
        tools.close();
    }
}

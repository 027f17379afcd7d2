package io.swarmnet.agent.datapath;

import io.swarmnet.agent.bpf.BalancedSockets;
import io.swarmnet.agent.bpf.Bpf;
import io.swarmnet.agent.bpf.MountTable;
import io.swarmnet.agent.bpf.SocketLoadBalancer;
import io.swarmnet.agent.bpf.SocketVips;
import io.swarmnet.agent.datapath.Plan.Owner;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.PodNamespaceLocator;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
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
    private final ConntrackTable conntrack;
    // Pods programmed by the previous apply: if they leave the desired state while their namespace lives on,
    // their interfaces and VIP table are removed. After a restart this is empty; their bridge ports still go.
    private final Set<PodRef> previousPods = new HashSet<>();
    private volatile Plan lastPlan;
    private final KernelMemory memory;
    /** The desired state of the latest apply: an apply of the same one brings no change (a resync, a retry). */
    private NodeDatapath lastDesired;
    /** Reads, between applies, what {@link KernelMemory} has trusted for long enough (drift repair off the change path). */
    private final ScheduledExecutorService refresher;
    /** Balanced at the socket: the balancer, and the VIPs it holds; null with NAT. */
    private final SocketVips socketVips;
    private final SocketLoadBalancer socketBalancer;
    /** How VIPs are balanced here: what the configuration asked, {@link VipBalancing#AUTO} resolved at the start. */
    private final VipBalancing vipBalancing;
    /** Whether a balancer pinned by an earlier agent has been looked for (with nft, after the first apply). */
    private boolean staleChecked;
    /** Each pod namespace's cookie by the namespace's identity (nsfs device and inode), read once while it lives. */
    private final Map<Object, Long> cookies = new HashMap<>();
    private static final int RETRIES = 5;
    private static final java.time.Duration RETRY = java.time.Duration.ofMillis(50);

    public LinuxDatapath(DatapathConfig config, PodNamespaceLocator locator) {
        this(config, locator, java.time.Duration.ofSeconds(30));
    }

    /** {@code relistAfter}: how long what was read or written is trusted before it is read again (drift repair). */
    public LinuxDatapath(DatapathConfig config, PodNamespaceLocator locator, java.time.Duration relistAfter) {
        this.config = config;
        KernelNames names = new KernelNames(config.prefix());
        AtomicInteger threads = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(config.parallelism(), r -> {
            Thread t = new Thread(r, "datapath-" + config.prefix() + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.tools = KernelTools.forAgent(config.toolTimeout());
        this.socketBalancer = switch (config.vipBalancing()) {
            case SOCKET -> attachSocketBalancer(config);
            case AUTO -> socketBalancerIfPossible(config);
            case NFT -> null;
        };
        this.vipBalancing = socketBalancer != null ? VipBalancing.SOCKET : VipBalancing.NFT;
        this.reader = new KernelReader(names, config.hostNamespace(), tools, locator, pool, vipBalancing);
        this.planner = new DatapathPlanner(names, config.hostNamespace(), config.vxlanPort(), config.attachment(), vipBalancing);
        this.socketVips = socketBalancer == null ? null : new SocketVips(socketBalancer);
        this.conntrack = new ConntrackTable(config.toolTimeout());
        this.executor = new PlanExecutor(tools, conntrack, pool);
        this.memory = new KernelMemory(relistAfter);
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "datapath-" + config.prefix() + "-refresh");
            t.setDaemon(true);
            return t;
        });
        // one pod's table a tick (or what an apply forgot), each due every relistAfter: 20 pods' tables in two thirds of it
        long tick = Math.max(100, Math.min(1_000, relistAfter.toMillis() / 10));
        refresher.scheduleWithFixedDelay(this::refresh, tick, tick, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * Reads what is due for a fresh read without holding up an apply: the reading runs outside the apply's lock, and is
     * taken only when no apply came between ({@link KernelMemory#refreshed}). One pod's table at a time, and a reading
     * overtaken by an apply is made again after {@link #RETRY}, a few times: with backend changes every few hundred
     * milliseconds a longer reading would seldom be taken, and what stays due is read by the agent's resync apply, which
     * a change arriving meanwhile waits for. Drift it finds is repaired by the next apply. A due table is listed only when
     * its namespace's nftables ruleset generation moved since the table was known (someone else committed there): a
     * quiet pod costs one netlink message each way instead of a listing.
     */
    private void refresh() {
        try {
            for (int attempt = 0; attempt < RETRIES; attempt++) {
                List<String> namespaces = reader.ourNetworkNamespaces();
                KernelMemory.Due due;
                synchronized (this) {
                    due = memory.due(System.nanoTime(), namespaces, 1);
                }
                if (due.isEmpty()) {
                    return;
                }
                KernelReader.Reading read = reader.readNow(due.pods(), due.devices(), due.networks(), due.host());
                boolean taken;
                synchronized (this) {
                    taken = memory.refreshed(due, read, System.nanoTime());
                }
                if (taken) {
                    return;
                }
                Thread.sleep(RETRY.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.debug("datapath {}: reading the kernel again failed ({}); the next tick or apply tries again", config.prefix(), e.toString());
        }
    }

    /**
     * Unpins the balancer when it routes nothing and its pins are still this process's (a successor started beside
     * this one during a rollout may have adopted them and put its programs into the links: they are its then); else
     * only closes this process's descriptors.
     */
    private void closeSocketBalancer() {
        if (config.bpfPins().isPresent() && socketVips.routesNothing()) {
            try {
                if (socketBalancer.pinsStillRunOurPrograms()) {
                    socketBalancer.remove();
                    LOG.info("datapath {}: the socket balancer routed no VIP: unpinned from {} and detached", config.prefix(),
                            config.bpfPins().get());
                    return;
                }
                LOG.info("datapath {}: the socket balancer pinned in {} runs another agent's programs now: left to it", config.prefix(),
                        config.bpfPins().get());
            } catch (IOException e) {
                LOG.warn("datapath {}: could not unpin the socket balancer from {}: {}", config.prefix(), config.bpfPins().get(), e.toString());
            }
        }
        socketBalancer.close();
    }

    /**
     * With nft: a balancer an earlier agent pinned where this one was told (a node switched from the socket to nft, or
     * whose kernel refused this version's programs) would keep redirecting connections to VIPs with maps nobody updates
     * any more; it is removed once the pods' NAT tables are in place (after the first apply).
     */
    private void removeStalePins() {
        staleChecked = true;
        if (vipBalancing != VipBalancing.NFT || config.bpfPins().isEmpty()) {
            return;
        }
        try {
            if (SocketLoadBalancer.removePinned(config.bpfPins().get(), config.prefix())) {
                LOG.info("datapath {}: VIPs balanced by nft; removed the socket balancer an earlier agent pinned in {}", config.prefix(),
                        config.bpfPins().get());
            }
        } catch (IOException e) {
            LOG.warn("datapath {}: could not remove the socket balancer pinned in {}: {}", config.prefix(), config.bpfPins().get(), e.toString());
        }
    }

    /** How VIPs are balanced on this node: nft or socket, {@link VipBalancing#AUTO} having been resolved at the start. */
    public VipBalancing vipBalancing() {
        return vipBalancing;
    }

    /**
     * The socket load balancer at the cgroup2 root, pinned where the configuration says (adopting an earlier
     * process's maps and links there). Without it VIPs cannot be balanced this way: the agent does not start.
     */
    private static SocketLoadBalancer attachSocketBalancer(DatapathConfig config) {
        try {
            MountTable mounts = MountTable.read();
            java.nio.file.Path cgroup = cgroup2Root(mounts, config.cgroup2Root()).orElseThrow(() -> new IOException(
                    noCgroup2(config.cgroup2Root()) + "; name the host's cgroup2 mount in SWARMNET_CGROUP2_ROOT"));
            return attach(config, cgroup);
        } catch (IOException e) {
            throw new IllegalStateException("SWARMNET_VIP_BALANCING=socket: the socket load balancer cannot be attached: "
                    + e.getMessage() + "; use SWARMNET_VIP_BALANCING=nft on this node", e);
        }
    }

    /**
     * {@link VipBalancing#AUTO}: the socket balancer where it can be attached <em>and pinned</em> — pinned, VIPs stay
     * balanced while the agent restarts, as the pods' NAT tables keep them without an agent — else none (nft), saying why.
     */
    private static SocketLoadBalancer socketBalancerIfPossible(DatapathConfig config) {
        String why;
        try {
            MountTable mounts = MountTable.read();
            java.util.Optional<java.nio.file.Path> cgroup = cgroup2Root(mounts, config.cgroup2Root());
            if (config.bpfPins().isEmpty()) {
                why = "no directory to pin the balancer in (SWARMNET_BPF_PINS), so VIPs would go unbalanced while the agent restarts";
            } else if (!mounts.typeAt(config.bpfPins().get()).filter("bpf"::equals).isPresent()) {
                why = config.bpfPins().get() + " is not on a BPF file system (mount one on the node: mount -t bpf bpf /sys/fs/bpf)";
            } else if (cgroup.isEmpty()) {
                why = noCgroup2(config.cgroup2Root());
            } else {
                return attach(config, cgroup.get());
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            why = "the balancer could not be attached: " + e.getMessage();
        }
        // with nft, whatever an earlier agent pinned there is removed after the first apply (removeStalePins)
        LOG.info("datapath {}: VIP balancing auto: VIPs balanced by nft (DNAT in each pod's table), not at the socket: {}",
                config.prefix(), why);
        return null;
    }

    private static SocketLoadBalancer attach(DatapathConfig config, java.nio.file.Path cgroup) throws IOException {
        SocketLoadBalancer balancer = config.bpfPins().isPresent()
                ? SocketLoadBalancer.attachPinned(cgroup, config.prefix(), config.bpfPins().get())
                : SocketLoadBalancer.attach(cgroup, config.prefix());
        LOG.info("datapath {}: VIPs balanced at the socket, BPF programs attached to {}{}", config.prefix(), cgroup,
                config.bpfPins().map(p -> ", pinned in " + p + (balancer.adopted() ? " (adopted)" : "")).orElse(""));
        return balancer;
    }

    /** Why {@link #cgroup2Root} found none. */
    private static String noCgroup2(java.util.Optional<java.nio.file.Path> configured) {
        return configured.map(root -> root + " is not a cgroup2 file system, nor is " + root.resolve("unified"))
                .orElse("no cgroup2 file system is mounted (none in /proc/self/mountinfo)");
    }

    /**
     * Where the balancer's programs go: {@code configured} if it is a cgroup2 file system, else its {@code unified}
     * directory if that is one (a node's /sys/fs/cgroup that mounts cgroup v1 too); unconfigured, the first cgroup2 mount.
     */
    static java.util.Optional<java.nio.file.Path> cgroup2Root(MountTable mounts, java.util.Optional<java.nio.file.Path> configured) {
        if (configured.isEmpty()) {
            return mounts.first("cgroup2");
        }
        for (java.nio.file.Path candidate : java.util.List.of(configured.get(), configured.get().resolve("unified"))) {
            if (mounts.isMountOf(candidate, "cgroup2")) {
                return java.util.Optional.of(candidate);
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * The VIPs with backends of every attached pod into the socket balancer's maps (those without are the pod's
     * table's, refused there). A pod whose routes cannot be written is reported failed, as one whose table could not be.
     */
    private void balanceAtTheSocket(NodeDatapath desired, ActualNode actual, Set<PodRef> attached, Map<PodRef, String> podFailures) {
        Map<Long, Map<IpAddress, List<IpAddress>>> routes = new HashMap<>();
        Map<Long, PodRef> owners = new HashMap<>();
        Set<Object> live = new HashSet<>();
        for (PodDatapath pod : desired.pods()) {
            PodNamespaceState state = actual.pods().get(pod.pod());
            if (!attached.contains(pod.pod()) || state == null) {
                continue;
            }
            Long cookie;
            try {
                java.nio.file.Path path = state.namespace().enterPath().orElseThrow(
                        () -> new IOException("its network namespace has no path to enter"));
                // the namespace's identity, not its path: a path through a process names another namespace once the PID is reused
                Object identity = java.nio.file.Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
                live.add(identity);
                cookie = cookies.get(identity);
                if (cookie == null) {
                    cookie = Bpf.netnsCookie(path);
                    cookies.put(identity, cookie);
                }
            } catch (IOException e) {
                podFailures.put(pod.pod(), "pod " + pod.pod() + ": its VIPs cannot be balanced at the socket: " + e.getMessage());
                continue;
            }
            Map<IpAddress, List<IpAddress>> vips = new HashMap<>();
            VipLoadBalancer.byVip(pod.vips()).forEach((vip, backends) -> {
                if (!backends.isEmpty()) {
                    vips.put(vip, backends);
                }
            });
            routes.put(cookie, vips);
            owners.put(cookie, pod.pod());
        }
        cookies.keySet().retainAll(live);
        SocketVips.Result result;
        try {
            result = socketVips.apply(routes);
            result.problems().forEach(p -> LOG.warn("datapath {}: {}", config.prefix(), p));
        } catch (IOException e) {
            owners.values().forEach(pod -> podFailures.put(pod, "pod " + pod + ": writing its VIPs into the socket load balancer failed: "
                    + e.getMessage()));
            return;
        }
        if (!result.left().isEmpty()) {
            endSocketsOfLeavers(desired, actual, attached, result.left());
        }
    }

    /**
     * Per backend that left a VIP, the sockets the balancer had connected to it from that VIP in the node's pods: as the
     * NAT layout deletes such flows, connected UDP sockets end whenever a backend leaves, TCP connections only when the
     * task is gone (a task that is only not ready keeps its connections, to finish them).
     */
    private void endSocketsOfLeavers(NodeDatapath desired, ActualNode actual, Set<PodRef> attached, Map<IpAddress, Set<IpAddress>> left) {
        NetworkTasks tasks = planner.lastTasks();
        for (PodDatapath pod : desired.pods()) {
            PodNamespaceState state = actual.pods().get(pod.pod());
            java.util.Optional<java.nio.file.Path> path = state == null ? java.util.Optional.empty() : state.namespace().enterPath();
            if (!attached.contains(pod.pod()) || path.isEmpty()) {
                continue;
            }
            Map<IpAddress, NetworkKey> networkOf = new HashMap<>();
            pod.vips().forEach(rule -> networkOf.putIfAbsent(rule.vip(), rule.network()));
            // of the VIPs this pod has: who left each, and who of them is gone (their TCP connections end too)
            Map<IpAddress, Set<IpAddress>> leftHere = new HashMap<>();
            Map<IpAddress, Set<IpAddress>> goneHere = new HashMap<>();
            Set<IpAddress> peers = new HashSet<>();
            left.forEach((vip, backends) -> {
                NetworkKey network = networkOf.get(vip);
                if (network != null) {
                    leftHere.put(vip, backends);
                    peers.addAll(backends);
                    backends.stream().filter(b -> tasks == null || !tasks.isTask(network, b))
                            .forEach(b -> goneHere.computeIfAbsent(vip, v -> new HashSet<>()).add(b));
                }
            });
            if (peers.isEmpty()) {
                continue;
            }
            try {
                int ended = BalancedSockets.end(path.get(), peers, !goneHere.isEmpty(), (cookie, peer, port, tcp) -> {
                    IpAddress vip = socketBalancer.origin(cookie, peer, port).orElse(null);
                    return vip != null && leftHere.getOrDefault(vip, Set.of()).contains(peer)
                            && (!tcp || goneHere.getOrDefault(vip, Set.of()).contains(peer));
                });
                if (ended > 0) {
                    LOG.info("datapath {}: pod {}: ended {} sockets balanced to backends that left {} (gone: {})", config.prefix(), pod.pod(),
                            ended, leftHere, goneHere);
                }
            } catch (IOException e) {
                LOG.warn("datapath {}: pod {}: the sockets balanced to backends that left {} could not be ended: {}", config.prefix(),
                        pod.pod(), leftHere, e.getMessage());
            }
        }
    }

    public DatapathConfig config() {
        return config;
    }

    /**
     * Where the time of the latest apply went, in nanoseconds (for benchmarks and logs): reading the kernel, planning,
     * running the plan (and each of its phases, by name), and recording what it did (the datapath's memory of the kernel,
     * the connection trackers followed, the report); and how many pods' tables were listed from the kernel.
     */
    public record Timings(long readNanos, long planNanos, long executeNanos, long recordNanos, Map<String, Long> phaseNanos,
            int tablesListed) {
        public Timings {
            phaseNanos = Map.copyOf(phaseNanos);
        }
    }

    private volatile Timings lastTimings;

    public Timings lastTimings() {
        return lastTimings;
    }

    /** How many pods' tables this datapath has listed from the kernel (for tests and benchmarks). */
    public long tablesListed() {
        return reader.tablesListed();
    }

    /** How many due tables it did not list, their namespace's ruleset generation unchanged (for tests and benchmarks). */
    public long tablesFoundUnchanged() {
        return reader.tablesFoundUnchanged();
    }

    /** How many processes this datapath has started (for tests and benchmarks). */
    public long processesStarted() {
        return tools.processesStarted();
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
        // an apply that brings a change reads nothing it knows, however old: what is due waits for the refresher
        boolean again = desired.equals(lastDesired);
        KernelReader.Known known = memory.beforeApply(started, again);
        lastDesired = desired;
        try {
            actual = reader.read(pods, known);
        } catch (RuntimeException e) {
            memory.forgetAll();
            // nothing can be planned without the actual state: every network and pod waits for the retry
            String cause = "reading the kernel state failed: " + e.getMessage();
            Map<NetworkKey, String> networks = new HashMap<>();
            desired.networks().forEach(n -> networks.put(n.key(), "network " + n.key() + ": " + cause));
            Map<PodRef, String> podFailures = new HashMap<>();
            desired.pods().forEach(p -> podFailures.put(p.pod(), "pod " + p.pod() + ": " + cause));
            return new ApplyReport(Set.of(), networks, podFailures, 0, Map.of());
        }
        long read = System.nanoTime();
        int listed = KernelMemory.listed(known, actual);
        Plan plan = planner.plan(desired, actual);
        lastPlan = plan;
        long planned = System.nanoTime();
        PlanExecutor.Outcome outcome = plan.isEmpty() ? PlanExecutor.Outcome.NOTHING : executor.execute(plan);
        long executed = System.nanoTime();

        Map<NetworkKey, String> networkFailures = new HashMap<>(plan.rejectedNetworks());
        Map<PodRef, String> podFailures = new HashMap<>(plan.rejectedPods());
        Map<String, String> leftovers = new HashMap<>();
        Map<NetworkKey, String> tunings = new HashMap<>();
        outcome.failures().forEach((owner, message) -> {
            if (owner instanceof Owner.Network n) {
                networkFailures.putIfAbsent(n.key(), message);
            } else if (owner instanceof Owner.Pod p) {
                podFailures.putIfAbsent(p.pod(), message);
            } else if (owner instanceof Owner.Leftover l) {
                leftovers.putIfAbsent(l.object(), message);
            } else if (owner instanceof Owner.Tuning t) {
                tunings.putIfAbsent(t.network(), message);
            }
        });
        // the network works without it: a warning, not a failure; one whose network failed is that failure's
        tunings.forEach((network, message) -> {
            if (!networkFailures.containsKey(network)) {
                LOG.warn("{}; the network works without it, tried again once its namespace is read again", message);
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
        if (socketVips != null) {
            if (again) {
                // a resync: the maps are read again (another agent — the one a rollout replaces — may have written them)
                socketVips.forget();
            }
            balanceAtTheSocket(desired, actual, attached, podFailures);
            podFailures.keySet().forEach(attached::remove);
        }
        // the connection trackers followed in pods that are gone or no longer ours are let go (they hold the namespace)
        Set<NetNamespace> podNamespaces = desired.pods().stream().map(p -> actual.pods().get(p.pod())).filter(java.util.Objects::nonNull)
                .map(PodNamespaceState::namespace).collect(java.util.stream.Collectors.toSet());
        conntrack.retain(podNamespaces);
        // and those of attached pods are followed from now on, so that a backend's removal finds them current (at the
        // socket no pod's connections are tracked: nothing to follow)
        conntrack.follow(socketVips != null ? Set.of() : attached.stream().map(actual.pods()::get).filter(java.util.Objects::nonNull)
                .map(PodNamespaceState::namespace).collect(java.util.stream.Collectors.toSet()));
        memory.afterApply(desired, actual, plan, outcome.nftCommits(), podFailures,
                !outcome.failures().isEmpty() || !networkFailures.isEmpty(), started);
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
        // a namespace not there yet is, most often, a pod whose sandbox is still being made: the agent's publisher warns
        // of it once the kubelet says the sandbox is up (DesiredState#startingPods); the rest are failures at once
        podFailures.forEach((pod, m) -> {
            if (actual.missingPods().containsKey(pod)) {
                LOG.debug("{}", m);
            } else {
                LOG.warn("{}", m);
            }
        });
        networkFailures.values().forEach(m -> LOG.warn("{}", m));
        lastTimings = new Timings(read - started, planned - read, executed - planned, System.nanoTime() - executed, outcome.phaseNanos(),
                listed);
        if (!staleChecked) {
            removeStalePins();
        }
        return new ApplyReport(attached, networkFailures, podFailures, outcome.changes(), leftovers);
    }

    /**
     * Stops. A pinned socket balancer stays attached for the next agent to adopt (an upgrade, a restart) while it
     * routes some pod's VIPs; one known to route nothing is unpinned and detached instead, so that an agent stopped for
     * good — {@code helm uninstall} after the tasks went — leaves nothing of it on the node (the next agent, if one
     * comes, attaches it anew: nothing was balanced by it meanwhile).
     */
    @Override
    public void close() {
        synchronized (this) { // not while an apply writes the maps
            if (socketBalancer != null) {
                closeSocketBalancer();
            }
        }
        refresher.shutdownNow();
        pool.shutdownNow();
        conntrack.close();
        tools.close();
    }
}

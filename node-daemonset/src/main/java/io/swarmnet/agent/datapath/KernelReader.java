package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.netns.PodNamespaceLocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Reads what the kernel holds for one node: our network namespaces (devices, neighbours, FDB, br_netfilter's
 * settings), VXLAN devices in the host namespace (our strays and others' devices), and the interfaces and VIP table of
 * each pod asked about.
 */
public final class KernelReader {

    private static final Path NETNS_DIR = Path.of("/run/netns");
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KernelReader.class);

    private final KernelNames names;
    private final NetNamespace host;
    private final KernelTools tools;
    private final PodNamespaceLocator locator;
    private final KernelStateParser parser;
    private final ExecutorService pool;
    private final AtomicLong tablesListed = new AtomicLong();
    private final AtomicLong tablesUnchanged = new AtomicLong();

    public KernelReader(KernelNames names, NetNamespace host, KernelTools tools, PodNamespaceLocator locator, ExecutorService pool,
            VipBalancing balancing) {
        this.names = names;
        this.host = host;
        this.tools = tools;
        this.locator = locator;
        this.parser = new KernelStateParser(names, balancing);
        this.pool = pool;
    }

    public ActualNode read(Collection<PodRef> pods) {
        return read(pods, Known.NOTHING);
    }

    /**
     * What the datapath already knows without reading, because nothing changed it since it was read or written:
     * each pod's VIP table (and devices), each network namespace's contents, the host's VXLAN devices (null: read
     * them). With 1,000 services a pod's listing is one large JSON document and each namespace read starts
     * processes: a backend change must cost neither. The tables of {@code recheck} (pods due for a fresh read) are
     * taken only if their namespace's ruleset generation has not moved since they were known, else listed.
     */
    public record Known(Map<PodRef, KnownVipTable> pods, Map<String, NetworkNamespaceState> networks, HostVxlans host,
            Set<PodRef> recheck) {
        public static final Known NOTHING = new Known(Map.of(), Map.of(), null, Set.of());

        public Known {
            pods = Map.copyOf(pods);
            networks = Map.copyOf(networks);
            recheck = Set.copyOf(recheck);
        }
    }

    /** The VXLAN devices of the host namespace: ours (strays) and others'. */
    public record HostVxlans(List<LinkState> ours, List<LinkState> foreign) {
        public HostVxlans {
            ours = List.copyOf(ours);
            foreign = List.copyOf(foreign);
        }
    }

    /** As {@link #read(Collection)}, but whatever {@code known} holds is taken from it instead of the kernel. */
    public ActualNode read(Collection<PodRef> pods, Known known) {
        HostVxlans host = known.host() != null ? known.host() : readHost();

        Map<String, NetworkNamespaceState> networks = new ConcurrentHashMap<>();
        Map<PodRef, PodNamespaceState> podStates = new ConcurrentHashMap<>();
        Map<PodRef, String> missing = new ConcurrentHashMap<>();
        List<Future<?>> reads = new ArrayList<>();
        for (String namespace : ourNetworkNamespaces()) {
            NetworkNamespaceState state = known.networks().get(namespace);
            if (state != null) {
                networks.put(namespace, state);
            } else {
                reads.add(pool.submit(() -> networks.put(namespace, readNetwork(namespace))));
            }
        }
        List<PodRef> knownPods = new ArrayList<>();
        for (PodRef pod : pods) {
            KnownVipTable table = known.pods().get(pod);
            boolean recheck = known.recheck().contains(pod);
            if (table != null && table.links() != null && !recheck) {
                knownPods.add(pod);
            } else {
                reads.add(pool.submit(() -> readPod(pod, table, recheck, podStates, missing)));
            }
        }
        // a pod known whole costs a look-up of its namespace: here, rather than a hand-off each to the pool
        knownPods.forEach(pod -> readPod(pod, known.pods().get(pod), false, podStates, missing));
        for (Future<?> f : reads) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the kernel state", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
            }
        }
        return new ActualNode(host.ours(), networks, podStates, missing, host.foreign());
    }

    /** What {@link #readNow} read: the pods found (by ref), the network namespaces, the host's VXLAN devices (null: not asked). */
    public record Reading(Map<PodRef, PodNamespaceState> pods, Map<String, NetworkNamespaceState> networks, HostVxlans host) {
    }

    /**
     * Reads exactly the devices and tables of {@code pods} (a table only when its namespace's ruleset generation moved
     * since it was known), the devices (not the table) of {@code devices}, {@code networkNamespaces} and, if
     * {@code host}, the host's VXLAN devices, on the calling thread: the datapath's refresher, which must not take the
     * pool's threads from an apply.
     */
    public Reading readNow(Map<PodRef, KnownVipTable> pods, Map<PodRef, KnownVipTable> devices, Collection<String> networkNamespaces,
            boolean host) {
        Map<PodRef, PodNamespaceState> states = new java.util.HashMap<>();
        pods.forEach((pod, known) -> readPod(pod, known.withoutLinks(), true, states, new java.util.HashMap<>()));
        devices.forEach((pod, known) -> readPod(pod, known.withoutLinks(), false, states, new java.util.HashMap<>()));
        Map<String, NetworkNamespaceState> networks = new java.util.HashMap<>();
        networkNamespaces.forEach(namespace -> networks.put(namespace, readNetwork(namespace)));
        return new Reading(states, networks, host ? readHost() : null);
    }

    private HostVxlans readHost() {
        List<LinkState> ours = new ArrayList<>();
        List<LinkState> foreign = new ArrayList<>();
        KernelTools.Result hostLinks = tools.read(host, List.of("ip", "-d", "-j", "link", "show", "type", "vxlan"));
        if (!hostLinks.ok()) {
            throw new IllegalStateException("cannot read the host namespace (" + host + "): " + hostLinks.describe());
        }
        parser.links(hostLinks.stdout()).values().forEach(l -> (names.isOurVxlan(l.name()) ? ours : foreign).add(l));
        return new HostVxlans(ours, foreign);
    }

    /** Names under /run/netns that our prefix produced for networks. */
    public List<String> ourNetworkNamespaces() {
        if (!Files.isDirectory(NETNS_DIR)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(NETNS_DIR)) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(n -> names.vniOfNetworkNamespace(n).isPresent()).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + NETNS_DIR + ": " + e.getMessage(), e);
        }
    }

    private NetworkNamespaceState readNetwork(String namespace) {
        NetNamespace ns = new NetNamespace.Named(namespace);
        KernelTools.Result links = tools.read(ns, List.of("ip", "-d", "-j", "addr", "show"));
        if (!links.ok()) {
            // e.g. a namespace file whose namespace is gone: planning removes or recreates it
            return new NetworkNamespaceState(namespace, Map.of(), Map.of(), Map.of(), BridgeNetfilter.UNKNOWN);
        }
        Map<String, LinkState> parsed = parser.links(links.stdout());
        BridgeNetfilter bridgeNetfilter = readBridgeNetfilter(ns);
        String vxlan = names.vxlan(names.vniOfNetworkNamespace(namespace).orElseThrow());
        if (!parsed.containsKey(vxlan)) {
            return new NetworkNamespaceState(namespace, parsed, Map.of(), Map.of(), bridgeNetfilter);
        }
        KernelTools.Result neigh = tools.read(ns, List.of("ip", "-j", "neigh", "show", "dev", vxlan, "nud", "permanent"));
        KernelTools.Result fdb = tools.read(ns, List.of("bridge", "-j", "fdb", "show", "dev", vxlan));
        return new NetworkNamespaceState(namespace, parsed, neigh.ok() ? parser.neighbours(neigh.stdout()) : Map.of(),
                fdb.ok() ? parser.fdb(fdb.stdout()) : Map.of(), bridgeNetfilter);
    }

    /**
     * br_netfilter's settings in {@code ns}, read from /proc/sys/net/bridge by a thread that entered the namespace: a
     * /proc/sys/net file shows the network namespace of the thread that opens it. No process (three small reads), since
     * every network namespace is read again every {@code relistAfter}.
     */
    private static BridgeNetfilter readBridgeNetfilter(NetNamespace ns) {
        try {
            return NetworkNamespace.call(ns.enterPath(), "bridge-netfilter-read", () -> {
                if (!Files.isDirectory(BridgeNetfilter.DIRECTORY)) {
                    return BridgeNetfilter.ABSENT;
                }
                List<String> values = new ArrayList<>();
                for (String setting : BridgeNetfilter.SETTINGS) {
                    Path file = BridgeNetfilter.file(setting);
                    if (Files.exists(file)) {
                        values.add(Files.readString(file));
                    }
                }
                return BridgeNetfilter.of(values);
            });
        } catch (IOException e) {
            LOG.debug("{}: br_netfilter's settings not read ({}); read again with the namespace", ns, e.getMessage());
            return BridgeNetfilter.UNKNOWN;
        }
    }

    /**
     * What the datapath knows of a pod without reading: where its namespace was, its VIP table as last written or read,
     * the namespace's ruleset generation at which the kernel held that table (unknown: after a transaction whose commit
     * the kernel did not report, or another commit came between), and its devices as last read when nothing changed
     * them since (null: read them).
     */
    public record KnownVipTable(Path namespace, VipTable table, Map<String, LinkState> links, NftGeneration generation) {
        KnownVipTable withoutLinks() {
            return new KnownVipTable(namespace, table, null, generation);
        }
    }

    /** How many pods' tables have been listed from the kernel (for tests and benchmarks). */
    public long tablesListed() {
        return tablesListed.get();
    }

    /** How many due tables were not listed, their namespace's ruleset generation unchanged (for tests and benchmarks). */
    public long tablesFoundUnchanged() {
        return tablesUnchanged.get();
    }

    /**
     * Reads a pod's devices (unless {@code known} has them) and its table: {@code known}'s (when its namespace is the
     * same), unless {@code recheck} and the namespace's ruleset generation moved since, else listed.
     */
    private void readPod(PodRef pod, KnownVipTable known, boolean recheck, Map<PodRef, PodNamespaceState> states,
            Map<PodRef, String> missing) {
        Optional<Path> path;
        try {
            path = locator.find(pod);
        } catch (RuntimeException e) {
            missing.put(pod, "pod " + pod + ": finding its network namespace failed: " + e.getMessage() + " (the agent retries)");
            return;
        }
        if (path.isEmpty() || !Files.exists(path.get())) {
            missing.put(pod, "pod " + pod + " (uid " + pod.uid() + "): network namespace not found"
                    + path.map(p -> " at " + p).orElse("") + "; is the pod sandbox running? (the agent retries)");
            return;
        }
        NetNamespace ns = NetNamespace.of(path.get());
        boolean sameNamespace = known != null && known.namespace().equals(path.get());
        Map<String, LinkState> podLinks;
        if (sameNamespace && known.links() != null) {
            podLinks = known.links();
        } else {
            KernelTools.Result links = tools.read(ns, List.of("ip", "-d", "-j", "addr", "show"));
            if (!links.ok()) {
                missing.put(pod, "pod " + pod + ": cannot read its network namespace at " + path.get() + ": " + links.describe());
                return;
            }
            podLinks = parser.links(links.stdout());
        }
        if (sameNamespace && !recheck) {
            states.put(pod, new PodNamespaceState(ns, podLinks, known.table(), known.generation()));
            return;
        }
        // asked before the listing: a listing reflects this generation or a later one, so while the namespace stays at
        // this one, nothing has been committed since the listing either
        NftGeneration now = tools.nftGeneration(ns);
        if (sameNamespace && known.generation().unchangedAt(now)) {
            tablesUnchanged.incrementAndGet();
            LOG.debug("pod {}: nftables ruleset generation {} unchanged since its table was known, not listed", pod, now.id());
            states.put(pod, new PodNamespaceState(ns, podLinks, known.table(), known.generation()));
            return;
        }
        KernelTools.Result nft = tools.read(ns, List.of("nft", "-j", "list", "table", "ip", names.vipTable()));
        tablesListed.incrementAndGet();
        // a listing that failed is taken as no table, as before, but not trusted past the next due time
        states.put(pod, nft.ok() ? new PodNamespaceState(ns, podLinks, parser.vipTable(nft.stdout()), now)
                : new PodNamespaceState(ns, podLinks, VipTable.ABSENT));
    }
}

package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.PodNamespaceLocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Reads what the kernel holds for one node: our network namespaces (devices, neighbours, FDB), VXLAN devices in
 * the host namespace (our strays and others' devices), and the interfaces and VIP table of each pod asked about.
 */
public final class KernelReader {

    private static final Path NETNS_DIR = Path.of("/run/netns");

    private final KernelNames names;
    private final NetNamespace host;
    private final KernelTools tools;
    private final PodNamespaceLocator locator;
    private final KernelStateParser parser;
    private final ExecutorService pool;

    public KernelReader(KernelNames names, NetNamespace host, KernelTools tools, PodNamespaceLocator locator, ExecutorService pool) {
        this.names = names;
        this.host = host;
        this.tools = tools;
        this.locator = locator;
        this.parser = new KernelStateParser(names);
        this.pool = pool;
    }

    public ActualNode read(Collection<PodRef> pods) {
        return read(pods, Known.NOTHING);
    }

    /**
     * What the datapath already knows without reading, because nothing changed it since it was read or written:
     * each pod's VIP table (and devices), each network namespace's contents, the host's VXLAN devices (null: read
     * them). With 1,000 services a pod's listing is one large JSON document and each namespace read starts
     * processes: a backend change must cost neither.
     */
    public record Known(Map<PodRef, KnownVipTable> pods, Map<String, NetworkNamespaceState> networks, HostVxlans host) {
        public static final Known NOTHING = new Known(Map.of(), Map.of(), null);

        public Known {
            pods = Map.copyOf(pods);
            networks = Map.copyOf(networks);
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
            if (table != null && table.links() != null) {
                knownPods.add(pod);
            } else {
                reads.add(pool.submit(() -> readPod(pod, table, podStates, missing)));
            }
        }
        // a pod known whole costs a look-up of its namespace: here, rather than a hand-off each to the pool
        knownPods.forEach(pod -> readPod(pod, known.pods().get(pod), podStates, missing));
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
     * Reads exactly {@code pods}, the devices (not the table) of {@code devices}, {@code networkNamespaces} and, if
     * {@code host}, the host's VXLAN devices, on the calling thread: the datapath's refresher, which must not take the
     * pool's threads from an apply.
     */
    public Reading readNow(Collection<PodRef> pods, Map<PodRef, KnownVipTable> devices, Collection<String> networkNamespaces,
            boolean host) {
        Map<PodRef, PodNamespaceState> states = new java.util.HashMap<>();
        pods.forEach(pod -> readPod(pod, null, states, new java.util.HashMap<>()));
        devices.forEach((pod, known) -> readPod(pod, new KnownVipTable(known.namespace(), known.table(), null), states,
                new java.util.HashMap<>()));
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
            return new NetworkNamespaceState(namespace, Map.of(), Map.of(), Map.of());
        }
        Map<String, LinkState> parsed = parser.links(links.stdout());
        String vxlan = names.vxlan(names.vniOfNetworkNamespace(namespace).orElseThrow());
        if (!parsed.containsKey(vxlan)) {
            return new NetworkNamespaceState(namespace, parsed, Map.of(), Map.of());
        }
        KernelTools.Result neigh = tools.read(ns, List.of("ip", "-j", "neigh", "show", "dev", vxlan, "nud", "permanent"));
        KernelTools.Result fdb = tools.read(ns, List.of("bridge", "-j", "fdb", "show", "dev", vxlan));
        return new NetworkNamespaceState(namespace, parsed, neigh.ok() ? parser.neighbours(neigh.stdout()) : Map.of(),
                fdb.ok() ? parser.fdb(fdb.stdout()) : Map.of());
    }

    /**
     * What the datapath knows of a pod without reading: where its namespace was, its VIP table as last written,
     * and its devices as last read when nothing changed them since (null: read them).
     */
    public record KnownVipTable(Path namespace, VipTable table, Map<String, LinkState> links) {
    }

    private void readPod(PodRef pod, KnownVipTable known, Map<PodRef, PodNamespaceState> states, Map<PodRef, String> missing) {
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
        VipTable vips;
        if (sameNamespace) {
            vips = known.table();
        } else {
            KernelTools.Result nft = tools.read(ns, List.of("nft", "-j", "list", "table", "ip", names.vipTable()));
            vips = nft.ok() ? parser.vipTable(nft.stdout()) : VipTable.ABSENT;
        }
        states.put(pod, new PodNamespaceState(ns, podLinks, vips));
    }
}

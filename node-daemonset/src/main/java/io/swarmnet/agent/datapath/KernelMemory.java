package io.swarmnet.agent.datapath;

import io.swarmnet.agent.datapath.KernelReader.HostVxlans;
import io.swarmnet.agent.datapath.KernelReader.Known;
import io.swarmnet.agent.datapath.KernelReader.KnownVipTable;
import io.swarmnet.agent.datapath.Plan.Owner;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the datapath knows of the kernel between applies, so that an apply reads only what may have changed:
 * pods' VIP tables as our last transactions left them (and their devices as last read, while nothing touched
 * them), the network namespaces' contents and the host's VXLAN devices as last read.
 *
 * <p>Trust is bounded. A device change anywhere (an {@code ip} or {@code bridge} step), a {@code sysctl} step or any
 * failure forgets the network namespaces and the host, which the next apply reads again; a failed pod is forgotten at
 * once.
 * Drift made by someone else is found by age: each entry is read again once older than {@code relistAfter}, a few at
 * a time ({@link #RELISTS_PER_APPLY} pods, one network namespace). Not by an apply that brings a change: a listing costs
 * a 1,000-VIP pod 50–100 ms and a network namespace with 10,000 remote tasks more, which would stand between a backend
 * change and the kernel. The datapath's refresher reads what is due between applies ({@link #due}, {@link #refreshed}),
 * and the network namespaces and host an apply forgot, so that the next change finds them known; an apply that brings
 * no change (the agent's resync, a retry) reads what is due itself. Nothing is trusted across a
 * restart: a new agent starts with an empty memory.
 *
 * <p>A pod's table also carries the namespace's nftables ruleset generation at which the kernel held it: the one asked
 * for before it was listed, moved on by each of our own netlink commits there only when the kernel reports that commit
 * as the very next generation ({@link NftGeneration#then}); anything else (a commit by someone else, a transaction
 * libnftables ran, whose generation is not reported) leaves it unknown. A due table whose namespace is still at that
 * generation cannot have changed and is not listed; otherwise it is listed as before.
 */
final class KernelMemory {

    static final int RELISTS_PER_APPLY = 2;

    private final long relistAfterNanos;
    private final Map<PodRef, KnownVipTable> tables = new HashMap<>();
    private final Map<PodRef, Long> tableSince = new HashMap<>();
    private final Map<String, NetworkNamespaceState> networks = new HashMap<>();
    private final Map<String, Long> networkSince = new HashMap<>();
    private HostVxlans host;
    private long hostSince;
    private long version;

    KernelMemory(Duration relistAfter) {
        this.relistAfterNanos = relistAfter.toNanos();
    }

    /**
     * What the next apply may take as known at {@code now}. With {@code relist} (an apply that brings no change) what is
     * due for a fresh read is forgotten first, so that the apply reads it.
     */
    Known beforeApply(long now, boolean relist) {
        Set<PodRef> recheck = Set.of();
        if (relist) {
            Due due = due(now, List.of(), RELISTS_PER_APPLY);
            relist(due);
            recheck = due.pods().keySet();
        }
        return new Known(tables, networks, host, recheck);
    }

    /**
     * Entries read (or written) longer than {@code relistAfter} ago, the oldest first, as many as one relisting reads;
     * those of {@code networkNamespaces} (ours in the kernel) and the host not known at all since an apply forgot them
     * (after it changed devices); and the memory's version, which every apply and every forgetting moves on.
     */
    record Due(Map<PodRef, KnownVipTable> pods, Map<PodRef, KnownVipTable> devices, List<String> networks, boolean host, long version) {
        boolean isEmpty() {
            return pods.isEmpty() && devices.isEmpty() && networks.isEmpty() && !host;
        }
    }

    /**
     * As above, at most {@code atMost} pods' tables; {@code devices} are the pods whose table is known but whose devices an
     * apply changed (those are read alone, a process each, not the table).
     */
    Due due(long now, Collection<String> networkNamespaces, int atMost) {
        Map<PodRef, KnownVipTable> pods = new java.util.LinkedHashMap<>();
        aged(tableSince, now, atMost).forEach(pod -> pods.put(pod, tables.get(pod)));
        List<String> namespaces = new ArrayList<>(aged(networkSince, now, 1));
        Map<PodRef, KnownVipTable> devices = new HashMap<>();
        boolean applied = version > 0;
        if (applied) {
            networkNamespaces.stream().filter(n -> !networks.containsKey(n) && !namespaces.contains(n)).forEach(namespaces::add);
            tables.forEach((pod, known) -> {
                if (known.links() == null && !pods.containsKey(pod)) {
                    devices.put(pod, known);
                }
            });
        }
        return new Due(pods, devices, namespaces, host != null ? now - hostSince > relistAfterNanos : applied, version);
    }

    /**
     * Makes the next apply read what is due: a pod's table is checked, and listed only if its namespace's ruleset
     * generation moved ({@link Known#recheck}), its age starting again with that apply; network namespaces and the
     * host are forgotten (reading them costs the same either way).
     */
    private void relist(Due due) {
        due.pods().keySet().forEach(tableSince::remove);
        due.networks().forEach(namespace -> {
            networks.remove(namespace);
            networkSince.remove(namespace);
        });
        if (due.host()) {
            host = null;
        }
        version++;
    }

    /**
     * Takes what the refresher read of {@code due}, unless an apply or a forgetting came between (then the reading may be
     * older than what the memory holds, and the refresher tries again later): an entry read as remembered is trusted for
     * another {@code relistAfter}; one that differs (drift) is remembered as read, and the next apply plans its repair
     * from it. Returns whether the reading was taken.
     */
    boolean refreshed(Due due, KernelReader.Reading read, long now) {
        if (due.version() != version) {
            return false;
        }
        for (PodRef pod : due.pods().keySet()) {
            if (refreshedPod(pod, read.pods().get(pod))) {
                tableSince.put(pod, now);
            }
        }
        due.devices().keySet().forEach(pod -> refreshedPod(pod, read.pods().get(pod)));
        for (String namespace : due.networks()) {
            NetworkNamespaceState state = read.networks().get(namespace);
            if (state != null) {
                // an equal reading keeps the remembered object: the planner recognises it by identity
                if (!state.equals(networks.get(namespace))) {
                    networks.put(namespace, state);
                }
                networkSince.put(namespace, now);
            }
        }
        if (due.host() && read.host() != null) {
            if (!read.host().equals(host)) {
                host = read.host();
            }
            hostSince = now;
        }
        return true;
    }

    /**
     * Takes a pod's reading: its table, the generation it was read at and its devices as read, keeping the remembered
     * table when equal (the planner knows it).
     */
    private boolean refreshedPod(PodRef pod, PodNamespaceState state) {
        KnownVipTable known = tables.get(pod);
        Path path = state == null ? null : state.namespace().enterPath().orElse(null);
        if (known == null || path == null) {
            return false; // not found: the next apply reports it
        }
        if (!known.namespace().equals(path) || !known.table().equals(state.vips())) {
            tables.put(pod, new KnownVipTable(path, state.vips(), state.links(), state.generation()));
        } else if (!state.links().equals(known.links()) || !state.generation().equals(known.generation())) {
            tables.put(pod, new KnownVipTable(path, known.table(), state.links(), state.generation()));
        }
        return true;
    }

    /**
     * How many pods' tables a read listed: those whose table in {@code actual} is not the one {@code known} held (a table
     * taken as known is that very object, a listed one a new one).
     */
    static int listed(Known known, ActualNode actual) {
        return (int) actual.pods().entrySet().stream().filter(e -> {
            KnownVipTable table = known.pods().get(e.getKey());
            return table == null || table.table() != e.getValue().vips();
        }).count();
    }

    /** Reading failed: nothing read may be trusted. */
    void forgetAll() {
        version++;
        tables.clear();
        tableSince.clear();
        forgetNetworksAndHost();
    }

    /**
     * Remembers what an apply read and wrote: {@code actual} as read, changed by {@code plan}, whose nft transactions
     * committed {@code nftCommits} (per namespace, in order), where {@code failed} says whether anything failed (then
     * only pods that did not fail are kept).
     */
    void afterApply(NodeDatapath desired, ActualNode actual, Plan plan, Map<NetNamespace, List<NftGeneration>> nftCommits,
            Map<PodRef, String> podFailures, boolean failed, long now) {
        version++;
        Set<PodRef> touchedPods = new HashSet<>();
        boolean devicesChanged = false;
        for (Plan.Phase phase : plan.phases()) {
            for (Plan.Step step : phase.steps()) {
                // a sysctl step changes what a network namespace was read with, as a device change does
                if (step.tool() == Plan.Tool.IP || step.tool() == Plan.Tool.BRIDGE || step.tool() == Plan.Tool.SYSCTL) {
                    devicesChanged = true;
                    step.commands().forEach(c -> {
                        if (c.owner() instanceof Owner.Pod p) {
                            touchedPods.add(p.pod());
                        }
                    });
                }
            }
        }
        rememberPods(desired, actual, plan, nftCommits, podFailures, touchedPods, now);
        if (devicesChanged || failed || !plan.rejectedNetworks().isEmpty()) {
            forgetNetworksAndHost();
            return;
        }
        networks.keySet().retainAll(actual.networkNamespaces().keySet());
        networkSince.keySet().retainAll(actual.networkNamespaces().keySet());
        actual.networkNamespaces().forEach((name, state) -> {
            networks.put(name, state);
            networkSince.putIfAbsent(name, now);
        });
        if (host == null) {
            host = new HostVxlans(actual.hostVxlans(), actual.foreignVxlans());
            hostSince = now;
        }
    }

    private void rememberPods(NodeDatapath desired, ActualNode actual, Plan plan, Map<NetNamespace, List<NftGeneration>> nftCommits,
            Map<PodRef, String> podFailures, Set<PodRef> touched, long now) {
        Set<PodRef> desiredPods = new HashSet<>(desired.pods().stream().map(PodDatapath::pod).toList());
        tables.keySet().retainAll(desiredPods);
        tableSince.keySet().retainAll(desiredPods);
        for (PodDatapath pod : desired.pods()) {
            PodNamespaceState state = actual.pods().get(pod.pod());
            Path path = state == null ? null : state.namespace().enterPath().orElse(null);
            // pods with the same rules share one table: the planner's, which it recognises by identity next time
            VipTable table = plan.vipTables().get(pod.pod());
            if (path == null || table == null || podFailures.containsKey(pod.pod())) {
                tables.remove(pod.pod());
                tableSince.remove(pod.pod());
                continue;
            }
            // listed (or relisted) in this apply: its age starts now; otherwise it keeps the age of its last listing
            tableSince.putIfAbsent(pod.pod(), now);
            // the table is known at the generation our last commit reached, if each of our commits was the very next one
            NftGeneration generation = state.generation();
            for (NftGeneration commit : nftCommits.getOrDefault(state.namespace(), List.of())) {
                generation = generation.then(commit);
            }
            tables.put(pod.pod(), new KnownVipTable(path, table, touched.contains(pod.pod()) ? null : state.links(), generation));
        }
    }

    private void forgetNetworksAndHost() {
        networks.clear();
        networkSince.clear();
        host = null;
    }

    private <K> List<K> aged(Map<K, Long> since, long now, int atMost) {
        return since.entrySet().stream().filter(e -> now - e.getValue() > relistAfterNanos)
                .sorted(Map.Entry.comparingByValue(Comparator.naturalOrder())).limit(atMost).map(Map.Entry::getKey).toList();
    }
}

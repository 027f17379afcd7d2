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
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the datapath knows of the kernel between applies, so that an apply reads only what may have changed:
 * pods' VIP tables as our last transactions left them (and their devices as last read, while nothing touched
 * them), the network namespaces' contents and the host's VXLAN devices as last read.
 *
 * <p>Trust is bounded. A device change anywhere (an {@code ip} or {@code bridge} step) or any failure forgets
 * the network namespaces and the host, which the next apply reads again; a failed pod is forgotten at once.
 * Drift made by someone else is found by age: each entry is read again once older than {@code relistAfter},
 * a few per apply ({@link #RELISTS_PER_APPLY} pods, one network namespace) so that repair never stalls a backend
 * change. Nothing is trusted across a restart: a new agent starts with an empty memory.
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

    KernelMemory(Duration relistAfter) {
        this.relistAfterNanos = relistAfter.toNanos();
    }

    /** Forgets what is due for a fresh read at {@code now} and returns the rest. */
    Known beforeApply(long now) {
        forgetAged(tables, tableSince, now, RELISTS_PER_APPLY);
        forgetAged(networks, networkSince, now, 1);
        if (host != null && now - hostSince > relistAfterNanos) {
            host = null;
        }
        return new Known(tables, networks, host);
    }

    /** How many pods the next read lists in full, of {@code pods}. */
    int unknownPods(Set<PodRef> pods) {
        return (int) pods.stream().filter(p -> !tables.containsKey(p)).count();
    }

    /** Reading failed: nothing read may be trusted. */
    void forgetAll() {
        tables.clear();
        tableSince.clear();
        forgetNetworksAndHost();
    }

    /**
     * Remembers what an apply read and wrote: {@code actual} as read, changed by {@code plan}, where
     * {@code failed} says whether anything failed (then only pods that did not fail are kept).
     */
    void afterApply(NodeDatapath desired, ActualNode actual, Plan plan, Map<PodRef, String> podFailures, boolean failed, long now) {
        Set<PodRef> touchedPods = new HashSet<>();
        boolean devicesChanged = false;
        for (Plan.Phase phase : plan.phases()) {
            for (Plan.Step step : phase.steps()) {
                if (step.tool() == Plan.Tool.IP || step.tool() == Plan.Tool.BRIDGE) {
                    devicesChanged = true;
                    step.commands().forEach(c -> {
                        if (c.owner() instanceof Owner.Pod p) {
                            touchedPods.add(p.pod());
                        }
                    });
                }
            }
        }
        rememberPods(desired, actual, plan, podFailures, touchedPods, now);
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

    private void rememberPods(NodeDatapath desired, ActualNode actual, Plan plan, Map<PodRef, String> podFailures,
            Set<PodRef> touched, long now) {
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
            tables.put(pod.pod(), new KnownVipTable(path, table, touched.contains(pod.pod()) ? null : state.links()));
        }
    }

    private void forgetNetworksAndHost() {
        networks.clear();
        networkSince.clear();
        host = null;
    }

    private <K> void forgetAged(Map<K, ?> entries, Map<K, Long> since, long now, int atMost) {
        since.entrySet().stream().filter(e -> now - e.getValue() > relistAfterNanos)
                .sorted(Map.Entry.comparingByValue(Comparator.naturalOrder())).limit(atMost).map(Map.Entry::getKey).toList()
                .forEach(key -> {
                    entries.remove(key);
                    since.remove(key);
                });
    }
}

package io.swarmnet.agent.cluster;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.SwarmService;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable picture of the cluster objects the node agent acts on, parsed into domain types. Objects
 * that could not be parsed are absent and described in {@link #problems()}.
 *
 * @param networks   allocated OverlayNetworks (status subnet, gateway and vxlanId set and valid), by key
 * @param services   SwarmServices, by key
 * @param tasks      task pods (label swarmnet.io/service) with a readable address annotation, sorted by pod
 * @param nodeVteps  each Node's InternalIP, the address VXLAN packets for its tasks go to, by node name
 * @param problems   objects (or parts of them) that were skipped, sorted
 */
public record ClusterSnapshot(Map<NetworkKey, NetworkInfo> networks, Map<ServiceKey, ServiceInfo> services,
        List<TaskInfo> tasks, Map<String, IpAddress> nodeVteps, List<Problem> problems) {

    public static final ClusterSnapshot EMPTY = new ClusterSnapshot(Map.of(), Map.of(), List.of(), Map.of(), List.of());

    public ClusterSnapshot {
        // hash maps in sorted iteration order: lookups stay O(1) for thousands of services (the keys' natural
        // order compares formatted strings, too slow for a map consulted once per task)
        networks = sortedHashMap(networks, Comparator.comparing(NetworkKey::namespace).thenComparing(NetworkKey::name));
        services = sortedHashMap(services, Comparator.comparing(ServiceKey::namespace).thenComparing(ServiceKey::name));
        tasks = tasks.stream().sorted(Comparator.comparing((TaskInfo t) -> t.pod().namespace())
                .thenComparing(t -> t.pod().name())).toList();
        nodeVteps = Collections.unmodifiableMap(new TreeMap<>(nodeVteps));
        problems = problems.stream().sorted().toList();
    }

    private static <K, V> Map<K, V> sortedHashMap(Map<K, V> map, Comparator<K> order) {
        Map<K, V> sorted = new LinkedHashMap<>();
        map.keySet().stream().sorted(order).forEach(k -> sorted.put(k, map.get(k)));
        return Collections.unmodifiableMap(sorted);
    }

    /** Parses whole objects (tests and tools; the agent's informers keep pods and services already read, see {@link #reader()}). */
    public static ClusterSnapshot of(Collection<Pod> pods, Collection<SwarmService> services,
            Collection<OverlayNetwork> networks, Collection<Node> nodes) {
        PodParser parser = new PodParser(null);
        return new SnapshotParser().parse(pods.stream().map(parser::read).toList(), services.stream().map(ServiceParser::read).toList(),
                networks, nodes);
    }

    /**
     * A reader of repeated snapshots of the same informers, whose stores hold pods and services already read
     * ({@link PodParser}, {@link ServiceParser}): it hands the tasks to each snapshot in the previous one's order, so that
     * sorting thousands of them costs little. Never throws; a malformed object becomes a problem.
     */
    public static Reader reader() {
        return new Reader();
    }

    /** See {@link #reader()}. Not thread-safe: one per reconcile thread. */
    public static final class Reader {
        private final SnapshotParser parser = new SnapshotParser();

        private Reader() {
        }

        public ClusterSnapshot read(Collection<CachedPod> pods, Collection<CachedService> services, Collection<OverlayNetwork> networks,
                Collection<Node> nodes) {
            return parser.parse(pods, services, networks, nodes);
        }
    }

    public Optional<NetworkInfo> network(NetworkKey key) {
        return Optional.ofNullable(networks.get(key));
    }

    public Optional<ServiceInfo> service(ServiceKey key) {
        return Optional.ofNullable(services.get(key));
    }
}

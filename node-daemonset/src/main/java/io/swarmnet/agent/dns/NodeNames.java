package io.swarmnet.agent.dns;

import io.swarmnet.agent.cluster.ClusterSnapshot;
import io.swarmnet.agent.cluster.NetworkInfo;
import io.swarmnet.agent.cluster.ServiceInfo;
import io.swarmnet.agent.cluster.ServiceNetwork;
import io.swarmnet.agent.cluster.TaskInfo;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodAttachment;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The name table of every local pod of a node, from the same snapshot and desired state the datapath
 * is programmed from, so DNS and VIP rules never disagree about which tasks are ready.
 */
public final class NodeNames {

    private NodeNames() {
    }

    public static Map<PodRef, NameTable> compute(ClusterSnapshot snapshot, NodeDatapath desired) {
        List<ServiceEndpoints> services = endpoints(snapshot);
        List<PodEndpoint> standalone = standalonePods(snapshot);
        Map<PodRef, List<String>> searches = new HashMap<>();
        snapshot.tasks().forEach(task -> searches.put(task.pod(), task.dnsSearches()));
        Map<PodRef, NameTable> tables = new HashMap<>();
        // a table depends only on the pod's namespace, networks and search path: the pods of one service (and
        // usually of a namespace) share one, built once per round instead of once per pod
        Map<TableKey, NameTable> distinct = new HashMap<>();
        for (PodDatapath pod : desired.pods()) {
            Set<String> networks = pod.attachments().stream().map(PodAttachment::network)
                    .map(n -> n.relativeTo(pod.pod().namespace())).collect(Collectors.toSet());
            TableKey key = new TableKey(pod.pod().namespace(), networks, searches.getOrDefault(pod.pod(), List.of()));
            tables.put(pod.pod(), distinct.computeIfAbsent(key, k -> DnsRecords.forPod(k.namespace(), k.networks(), services, standalone,
                    k.searches())));
        }
        return tables;
    }

    /** What a pod's name table is made from besides the round's services and pods. */
    private record TableKey(String namespace, Set<String> networks, List<String> searches) {
    }

    static List<ServiceEndpoints> endpoints(ClusterSnapshot snapshot) {
        Map<io.swarmnet.agent.cluster.ServiceKey, List<ServiceEndpoints.TaskEndpoint>> ready = new HashMap<>();
        for (TaskInfo task : snapshot.tasks()) {
            if (!task.ready() || task.standalone()) {
                continue;
            }
            List<ServiceEndpoints.TaskEndpoint> endpoints = ready.computeIfAbsent(task.serviceKey(), k -> new ArrayList<>());
            task.addresses().forEach((network, address) -> {
                if (admitted(snapshot, task.pod().namespace(), network)) {
                    endpoints.add(new ServiceEndpoints.TaskEndpoint(task.pod().name(), network, address));
                }
            });
        }
        List<ServiceEndpoints> services = new ArrayList<>();
        for (ServiceInfo service : snapshot.services().values()) {
            String namespace = service.key().namespace();
            Map<String, List<String>> aliases = new HashMap<>();
            for (ServiceNetwork network : service.networks()) {
                if (admitted(snapshot, namespace, network.network())) {
                    aliases.put(network.network(), network.aliases());
                }
            }
            Map<String, io.swarmnet.api.net.IpAddress> vips = service.virtualIps();
            if (vips.keySet().stream().anyMatch(network -> !admitted(snapshot, namespace, network))) {
                vips = new HashMap<>(vips);
                vips.keySet().removeIf(network -> !admitted(snapshot, namespace, network));
            }
            services.add(new ServiceEndpoints(namespace, service.name(), service.endpointMode(),
                    aliases.keySet(), vips, aliases, ready.getOrDefault(service.key(), List.of())));
        }
        return services;
    }

    /** Ready pods that are no task, once per network they are on; like tasks, they leave DNS when they stop being ready. */
    static List<PodEndpoint> standalonePods(ClusterSnapshot snapshot) {
        List<PodEndpoint> pods = new ArrayList<>();
        for (TaskInfo task : snapshot.tasks()) {
            if (task.standalone() && task.ready()) {
                task.addresses().forEach((network, address) -> {
                    if (admitted(snapshot, task.pod().namespace(), network)) {
                        pods.add(new PodEndpoint(task.pod().namespace(), task.pod().name(), network, address,
                                task.podAliases().getOrDefault(network, List.of())));
                    }
                });
            }
        }
        return pods;
    }

    /**
     * Whether what {@code namespace} records as {@code network} may carry its names: a network of its own namespace, or one of
     * another that is shared ({@link NetworkInfo#admits}); names on a network of another namespace that is not shared are
     * never offered, whatever a pod's annotation says.
     */
    private static boolean admitted(ClusterSnapshot snapshot, String namespace, String network) {
        if (network.indexOf('/') < 0) {
            return true;
        }
        return snapshot.network(NetworkKey.resolve(namespace, network)).map(n -> n.admits(namespace)).orElse(false);
    }
}

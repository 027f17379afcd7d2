package io.swarmnet.agent.cluster;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import io.swarmnet.api.network.OverlayMtu;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkSpec;
import io.swarmnet.api.network.OverlayNetworkStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns what the informers hold into a {@link ClusterSnapshot}: pods and services as their stores read them
 * ({@link PodParser}, {@link ServiceParser}), OverlayNetworks (whose VXLAN ids are checked against each other) and
 * Nodes parsed here. Parse at the edge, carry domain types inside. Pure; a malformed object is skipped and described
 * as a {@link Problem}.
 */
final class SnapshotParser {

    private List<Problem> problems = new ArrayList<>();
    /**
     * The uids of the previous snapshot's tasks, in its (sorted) order: the tasks are handed to the snapshot in that order,
     * new ones after, so that its sort finds them in order (10,000 tasks sorted afresh each round cost ~5 ms; in order, ~0.5).
     */
    private List<String> previousOrder = List.of();

    ClusterSnapshot parse(Collection<CachedPod> pods, Collection<CachedService> services, Collection<OverlayNetwork> networks,
            Collection<Node> nodes) {
        Map<NetworkKey, NetworkInfo> parsedNetworks = new TreeMap<>();
        Map<Integer, NetworkKey> byVni = new HashMap<>();
        // on a VXLAN id clash the older network keeps it: that is the one already carrying traffic
        networks.stream()
                .sorted(OverlayNetwork.OLDEST_FIRST)
                .forEach(network -> network(network).ifPresent(info -> {
                    NetworkKey holder = byVni.putIfAbsent(info.vni().value(), info.key());
                    if (holder != null) {
                        problems.add(Problem.clusterWide(networkRef(network), "VxlanIdClash", "OverlayNetwork " + info.key()
                                + ": status.vxlanId " + info.vni() + " is already used by OverlayNetwork " + holder
                                + "; the network is not programmed until its VXLAN id is unique (check the operator's allocation)"));
                    } else {
                        parsedNetworks.put(info.key(), info);
                    }
                }));
        // the snapshot orders services itself; a TreeMap here would compare formatted keys
        Map<ServiceKey, ServiceInfo> parsedServices = new HashMap<>();
        for (CachedService service : services) {
            service.service().ifPresent(info -> parsedServices.put(info.key(), info));
            problems.addAll(service.problems());
        }
        Map<String, TaskInfo> byUid = new HashMap<>();
        List<TaskInfo> unordered = new ArrayList<>();
        for (CachedPod pod : pods) {
            String uid = pod.ref().uid();
            pod.task().ifPresent(task -> {
                if (uid == null || byUid.putIfAbsent(uid, task) != null) {
                    unordered.add(task);
                }
            });
            problems.addAll(pod.problems());
        }
        List<TaskInfo> tasks = new ArrayList<>(byUid.size() + unordered.size());
        Set<String> placed = new HashSet<>();
        for (String uid : previousOrder) {
            TaskInfo task = byUid.get(uid);
            if (task != null && placed.add(uid)) {
                tasks.add(task);
            }
        }
        byUid.forEach((uid, task) -> {
            if (!placed.contains(uid)) {
                tasks.add(task);
            }
        });
        tasks.addAll(unordered);
        Map<String, IpAddress> vteps = new TreeMap<>();
        for (Node node : nodes) {
            vtep(node).ifPresent(address -> vteps.put(node.getMetadata().getName(), address));
        }
        ClusterSnapshot snapshot = new ClusterSnapshot(parsedNetworks, parsedServices, tasks, vteps, problems);
        problems = new ArrayList<>();
        previousOrder = snapshot.tasks().stream().map(t -> t.pod().uid()).filter(java.util.Objects::nonNull).toList();
        return snapshot;
    }

    private static NetworkKey key(OverlayNetwork network) {
        return new NetworkKey(network.getMetadata().getNamespace(), network.getMetadata().getName());
    }

    private static ObjectRef networkRef(OverlayNetwork network) {
        return ObjectRef.network(network.getMetadata().getNamespace(), network.getMetadata().getName(),
                network.getMetadata().getUid());
    }

    private Optional<NetworkInfo> network(OverlayNetwork network) {
        NetworkKey key = key(network);
        OverlayNetworkStatus status = network.getStatus();
        if (status == null || status.getSubnet() == null || status.getGateway() == null || status.getVxlanId() == null) {
            return Optional.empty(); // not allocated yet: the operator will fill the status
        }
        ObjectRef ref = networkRef(network);
        Cidr subnet;
        IpAddress gateway;
        Vni vni;
        try {
            subnet = Cidr.parse(status.getSubnet());
        } catch (IllegalArgumentException e) {
            return skip(ref, "InvalidNetworkStatus", "OverlayNetwork " + key + ": status.subnet '" + status.getSubnet()
                    + "' is not usable (" + e.getMessage() + "); the network is not programmed until the operator fixes it");
        }
        try {
            gateway = IpAddress.parse(status.getGateway());
        } catch (IllegalArgumentException e) {
            return skip(ref, "InvalidNetworkStatus", "OverlayNetwork " + key + ": status.gateway '" + status.getGateway()
                    + "' is not usable (" + e.getMessage() + "); the network is not programmed until the operator fixes it");
        }
        if (!subnet.contains(gateway)) {
            return skip(ref, "InvalidNetworkStatus", "OverlayNetwork " + key + ": status.gateway " + gateway
                    + " is outside status.subnet " + subnet + "; the network is not programmed until the operator fixes it");
        }
        try {
            vni = new Vni(status.getVxlanId());
        } catch (IllegalArgumentException e) {
            return skip(ref, "InvalidNetworkStatus", "OverlayNetwork " + key + ": status.vxlanId " + status.getVxlanId()
                    + " is not usable (" + e.getMessage() + "); the network is not programmed until the operator fixes it");
        }
        OverlayNetworkSpec spec = network.getSpec();
        OptionalInt mtu = OptionalInt.empty();
        if (spec != null && spec.getMtu() != null) {
            // the CRD schema's bounds: an API server that does not enforce the schema (the test one) lets others through
            if (!OverlayMtu.allowed(spec.getMtu())) {
                problems.add(Problem.clusterWide(ref, "InvalidMtu", "OverlayNetwork " + key + ": spec.mtu " + spec.getMtu()
                        + " is outside " + OverlayMtu.RANGE + "; using the MTU derived from each node's underlay instead"));
            } else {
                mtu = OptionalInt.of(spec.getMtu());
            }
        }
        boolean encrypted = spec != null && spec.isEncrypted();
        boolean internal = spec != null && spec.isInternal();
        boolean shared = spec != null && spec.getShareWith() != null;
        return Optional.of(new NetworkInfo(key, vni, subnet, gateway, encrypted, mtu, internal, shared));
    }

    private Optional<IpAddress> vtep(Node node) {
        String name = node.getMetadata().getName();
        List<NodeAddress> addresses = node.getStatus() == null || node.getStatus().getAddresses() == null ? List.of()
                : node.getStatus().getAddresses();
        Optional<NodeAddress> internal = addresses.stream()
                .filter(a -> a != null && "InternalIP".equals(a.getType()) && IpAddress.isValid(a.getAddress()))
                .findFirst();
        if (internal.isEmpty()) {
            String seen = addresses.stream().filter(a -> a != null && "InternalIP".equals(a.getType()))
                    .map(NodeAddress::getAddress).toList().toString();
            problems.add(Problem.clusterWide(ObjectRef.node(name, node.getMetadata().getUid()), "NodeAddressMissing", "Node "
                    + name + ": status.addresses has no IPv4 InternalIP (InternalIP entries: " + seen
                    + "); its tasks are unreachable over the overlay until the node reports one"));
            return Optional.empty();
        }
        return Optional.of(IpAddress.parse(internal.get().getAddress()));
    }

    private <T> Optional<T> skip(ObjectRef subject, String reason, String message) {
        problems.add(Problem.clusterWide(subject, reason, message));
        return Optional.empty();
    }
}

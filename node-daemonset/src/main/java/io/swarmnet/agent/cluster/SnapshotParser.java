package io.swarmnet.agent.cluster;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.contract.PodNetworkRequests;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import io.swarmnet.api.network.OverlayMtu;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkSpec;
import io.swarmnet.api.network.OverlayNetworkStatus;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceSpec;
import io.swarmnet.api.service.VirtualIP;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns the fabric8 objects of the informers into a {@link ClusterSnapshot}: parse at the edge, carry
 * domain types inside. Pure; a malformed object is skipped and described as a {@link Problem}.
 */
final class SnapshotParser {

    private List<Problem> problems = new ArrayList<>();
    /** Parsed pods by uid, valid while their resourceVersion is unchanged; rebuilt on every parse. */
    private Map<String, ParsedPod> parsedPods = new HashMap<>();
    /**
     * The uids of the previous snapshot's tasks, in its (sorted) order: the tasks are handed to the snapshot in that order,
     * new ones after, so that its sort finds them in order (10,000 tasks sorted afresh each round cost ~5 ms; in order, ~0.5).
     */
    private List<String> previousOrder = List.of();

    private record ParsedPod(String resourceVersion, Optional<TaskInfo> task, List<Problem> problems) {
    }

    ClusterSnapshot parse(Collection<Pod> pods, Collection<SwarmService> services, Collection<OverlayNetwork> networks,
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
        for (SwarmService service : services) {
            service(service).ifPresent(info -> parsedServices.put(info.key(), info));
        }
        List<TaskInfo> unordered = new ArrayList<>();
        Map<String, ParsedPod> parsedNow = new HashMap<>();
        for (Pod pod : pods) {
            String uid = pod.getMetadata().getUid();
            String version = pod.getMetadata().getResourceVersion();
            ParsedPod parsed = uid == null || version == null ? null : parsedPods.get(uid);
            if (parsed == null || !parsed.resourceVersion().equals(version)) {
                List<Problem> before = problems;
                problems = new ArrayList<>();
                Optional<TaskInfo> task = task(pod);
                parsed = new ParsedPod(version, task, problems);
                problems = before;
            }
            if (uid != null && version != null && !parsedNow.containsKey(uid)) {
                parsedNow.put(uid, parsed);
            } else {
                parsed.task().ifPresent(unordered::add);
            }
            problems.addAll(parsed.problems());
        }
        List<TaskInfo> tasks = new ArrayList<>(parsedNow.size() + unordered.size());
        Set<String> placed = new HashSet<>();
        for (String uid : previousOrder) {
            ParsedPod parsed = parsedNow.get(uid);
            if (parsed != null && placed.add(uid)) {
                parsed.task().ifPresent(tasks::add);
            }
        }
        parsedNow.forEach((uid, parsed) -> {
            if (!placed.contains(uid)) {
                parsed.task().ifPresent(tasks::add);
            }
        });
        tasks.addAll(unordered);
        parsedPods = parsedNow;
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

    private Optional<ServiceInfo> service(SwarmService service) {
        String namespace = service.getMetadata().getNamespace();
        String name = service.getMetadata().getName();
        ServiceKey key = new ServiceKey(namespace, name);
        ObjectRef ref = ObjectRef.service(namespace, name, service.getMetadata().getUid());
        SwarmServiceSpec spec = service.getSpec();
        if (spec == null) {
            return skip(ref, "InvalidService", "SwarmService " + key + " has no spec; its tasks are not attached");
        }
        List<ServiceNetwork> networks = new ArrayList<>();
        if (spec.getNetworks() != null) {
            for (int i = 0; i < spec.getNetworks().size(); i++) {
                NetworkAttachment attachment = spec.getNetworks().get(i);
                if (attachment == null || attachment.getName() == null || attachment.getName().isBlank()) {
                    problems.add(Problem.clusterWide(ref, "InvalidService", "SwarmService " + key + ": spec.networks[" + i
                            + "].name is missing; that entry is ignored"));
                    continue;
                }
                List<String> aliases = attachment.getAliases() == null ? List.of()
                        : attachment.getAliases().stream().filter(a -> a != null && !a.isBlank()).toList();
                // as the service's tasks and status record it: a network shared from another namespace carries its namespace
                String recorded = attachment.getNamespace() == null ? attachment.getName()
                        : new NetworkKey(attachment.getNamespace(), attachment.getName()).relativeTo(namespace);
                networks.add(new ServiceNetwork(recorded, aliases));
            }
        }
        Map<String, IpAddress> vips = new LinkedHashMap<>();
        if (service.getStatus() != null && service.getStatus().getVirtualIPs() != null) {
            for (VirtualIP vip : service.getStatus().getVirtualIPs()) {
                if (vip == null || vip.getNetwork() == null) {
                    problems.add(Problem.clusterWide(ref, "InvalidVirtualIP", "SwarmService " + key
                            + ": a status.virtualIPs entry has no network; it is ignored"));
                    continue;
                }
                try {
                    vips.put(vip.getNetwork(), IpAddress.parse(vip.getAddress()));
                } catch (IllegalArgumentException e) {
                    problems.add(Problem.clusterWide(ref, "InvalidVirtualIP", "SwarmService " + key + ": status.virtualIPs["
                            + vip.getNetwork() + "].address '" + vip.getAddress() + "' is not an IPv4 address ("
                            + e.getMessage() + "); no VIP on that network until the operator fixes it"));
                }
            }
        }
        return Optional.of(new ServiceInfo(key, spec.effectiveEndpointMode(), networks, vips));
    }

    private Optional<TaskInfo> task(Pod pod) {
        var meta = pod.getMetadata();
        PodRef ref = new PodRef(meta.getNamespace(), meta.getName(), meta.getUid());
        String node = pod.getSpec() == null ? null : blankToNull(pod.getSpec().getNodeName());
        String service = meta.getLabels() == null ? null : blankToNull(meta.getLabels().get(SwarmnetKeys.LABEL_SERVICE));
        boolean standalone = service == null && meta.getLabels() != null && meta.getLabels().containsKey(SwarmnetKeys.LABEL_ATTACHED_POD);
        if (service == null && !standalone) {
            return Optional.empty(); // neither a task pod nor an attached one (the informers select by label; defensive only)
        }
        Map<String, List<String>> podAliases = Map.of();
        if (standalone) {
            String accepted = meta.getAnnotations() == null ? null : meta.getAnnotations().get(SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS);
            try {
                podAliases = PodNetworkRequests.parse(accepted, meta.getNamespace()).networks();
            } catch (IllegalArgumentException e) {
                problems.add(new Problem(ObjectRef.pod(ref.namespace(), ref.name(), ref.uid()), "InvalidAttachedNetworks", "pod "
                        + ref + ": annotation " + SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS + " '" + accepted + "' is unusable ("
                        + e.getMessage() + "); the pod is not attached to any network until the operator rewrites it", node));
                return Optional.empty();
            }
        }
        String annotation = meta.getAnnotations() == null ? null : meta.getAnnotations().get(SwarmnetKeys.ANNOTATION_ADDRESSES);
        TaskAddresses addresses;
        try {
            addresses = TaskAddresses.parse(annotation);
        } catch (RuntimeException e) {
            problems.add(new Problem(ObjectRef.pod(ref.namespace(), ref.name(), ref.uid()), "InvalidAddresses", "pod " + ref
                    + ": annotation " + SwarmnetKeys.ANNOTATION_ADDRESSES + " '" + annotation + "' is unusable ("
                    + e.getMessage() + "); the task is not attached to any network until the operator rewrites it", node));
            return Optional.empty();
        }
        PodStatus status = pod.getStatus();
        String phase = status == null || status.getPhase() == null ? "Pending" : status.getPhase();
        boolean deleting = meta.getDeletionTimestamp() != null;
        List<String> searches = pod.getSpec() == null || pod.getSpec().getDnsConfig() == null
                || pod.getSpec().getDnsConfig().getSearches() == null ? List.of() : pod.getSpec().getDnsConfig().getSearches();
        return Optional.of(new TaskInfo(ref, service, Optional.ofNullable(node), addresses.byNetwork(), phase, deleting,
                containersReady(status), conditionTrue(status, SwarmnetKeys.CONDITION_ATTACHED),
                searches.stream().filter(java.util.Objects::nonNull).toList(), podAliases));
    }

    private static boolean containersReady(PodStatus status) {
        if (status == null) {
            return false;
        }
        Optional<PodCondition> condition = condition(status, "ContainersReady");
        if (condition.isPresent()) {
            return "True".equals(condition.get().getStatus());
        }
        List<ContainerStatus> containers = status.getContainerStatuses();
        return containers != null && !containers.isEmpty()
                && containers.stream().allMatch(c -> Boolean.TRUE.equals(c.getReady()));
    }

    private static boolean conditionTrue(PodStatus status, String type) {
        return status != null && condition(status, type).map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    private static Optional<PodCondition> condition(PodStatus status, String type) {
        if (status.getConditions() == null) {
            return Optional.empty();
        }
        return status.getConditions().stream().filter(c -> c != null && type.equals(c.getType())).findFirst();
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

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}

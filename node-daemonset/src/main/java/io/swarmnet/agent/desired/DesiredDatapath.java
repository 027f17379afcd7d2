package io.swarmnet.agent.desired;

import io.swarmnet.agent.cluster.ClusterSnapshot;
import io.swarmnet.agent.cluster.NetworkInfo;
import io.swarmnet.agent.cluster.ObjectRef;
import io.swarmnet.agent.cluster.Problem;
import io.swarmnet.agent.cluster.ServiceInfo;
import io.swarmnet.agent.cluster.ServiceKey;
import io.swarmnet.agent.cluster.TaskInfo;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import io.swarmnet.api.network.OverlayMtu;
import io.swarmnet.api.service.EndpointMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The node agent's pure desired-state function: from a {@link ClusterSnapshot} and the facts of one node,
 * the complete datapath that node should have (docs/node-agent.md, "What it programs"). No I/O, no clock, deterministic
 * output (every list sorted) so that the datapath's diff against the kernel is stable.
 *
 * <p>Rules: a network is on the node only while a local task (scheduled here, neither terminated nor being
 * deleted) is attached to it. Local tasks get one interface per network, named by the network's position in
 * the service's spec.networks. Every other live task of the network becomes a remote endpoint (static FDB
 * and neighbour entry towards its node); remote tasks count from the moment they are scheduled, before they
 * are ready, so connectivity exists when their containers start. Each local pod gets, for every vip-mode
 * service with a virtual IP on one of its networks, a VIP rule over that service's ready tasks there.
 * Malformed or inconsistent objects are skipped and reported, never thrown.
 */
public final class DesiredDatapath {

    /**
     * Extra room left for ESP-in-UDP on encrypted networks: UDP (8), SPI and sequence (8), IV (8), at most 3 bytes of
     * padding, pad length and next header (2), ICV (16) = 45, so 46 with the rounding below (1450 becomes 1404 on a
     * 1500-byte underlay). Docker's 26 assumes plain ESP with an 8-byte ICV; ours is 16 bytes and carried in UDP.
     */
    public static final int ESP_OVERHEAD = 46;
    /** Prefix of the task's interface names inside its pod: swn0, swn1, ... (short: the kernel allows 15 chars). */
    public static final String INTERFACE_PREFIX = "swn";

    private DesiredDatapath() {
    }

    /** The MTU of a network's devices on a node whose underlay interface has {@code underlayMtu}. */
    public static int mtu(NetworkInfo network, int underlayMtu) {
        if (network.mtu().isPresent()) {
            return network.mtu().getAsInt();
        }
        int mtu = underlayMtu - OverlayMtu.VXLAN_OVERHEAD;
        if (network.encrypted()) {
            // ESP pads to 4 bytes; an MTU that is not a multiple of 4 would waste the difference on every full packet
            mtu = (mtu - ESP_OVERHEAD) & ~3;
        }
        return mtu;
    }

    public static String interfaceName(int index) {
        return INTERFACE_PREFIX + index;
    }

    public static DesiredState compute(ClusterSnapshot snapshot, NodeFacts node) {
        return compute(snapshot, node, null);
    }

    /**
     * As {@link #compute(ClusterSnapshot, NodeFacts)}, sharing with {@code previous} (the last result, may be null)
     * every per-network VIP rule list, VIP rule and list of remote endpoints that did not change. The result is equal
     * either way; sharing makes comparing it with {@code previous} cheap when thousands of pods each carry the same
     * thousand rules, a backend change alters one rule of them, and the remote endpoints of a network number thousands.
     */
    public static DesiredState compute(ClusterSnapshot snapshot, NodeFacts node, NodeDatapath previous) {
        return new Computation(snapshot, node, previous).run();
    }

    /** One run of the function; holds the indexes built from the snapshot. */
    private static final class Computation {

        private final ClusterSnapshot snapshot;
        private final NodeFacts node;
        private final List<Problem> problems = new ArrayList<>();
        /** Live tasks with an address on each network, in snapshot (pod) order. */
        private final Map<NetworkKey, List<Member>> members = new HashMap<>();
        /** Gateway and virtual IPs of each network, with who holds them. */
        private final Map<NetworkKey, Map<IpAddress, List<String>>> reserved = new HashMap<>();
        /** Addresses of live tasks on each network, with the pods holding them (named only when two do). */
        private final Map<NetworkKey, Map<IpAddress, List<PodRef>>> taskHolders = new HashMap<>();

        private record Member(TaskInfo task, IpAddress address) {
        }

        /** The previous result's VIP rule lists of single-network pods, by network, for sharing. */
        private final Map<NetworkKey, List<VipRule>> previousVips = new HashMap<>();
        /** The previous result's remote endpoints, by network, for sharing. */
        private final Map<NetworkKey, List<RemoteEndpoint>> previousRemotes = new HashMap<>();

        Computation(ClusterSnapshot snapshot, NodeFacts node, NodeDatapath previous) {
            this.snapshot = snapshot;
            this.node = node;
            if (previous != null) {
                previous.networks().forEach(n -> previousRemotes.putIfAbsent(n.key(), n.remoteEndpoints()));
                for (PodDatapath pod : previous.pods()) {
                    if (pod.attachments().size() == 1) {
                        previousVips.putIfAbsent(pod.attachments().get(0).network(), pod.vips());
                    }
                }
            }
        }

        DesiredState run() {
            for (Problem problem : snapshot.problems()) {
                if (problem.node() == null || problem.node().equals(node.nodeName())) {
                    problems.add(problem);
                }
            }
            indexMembers();
            List<LocalPod> localPods = new ArrayList<>();
            Set<PodRef> starting = new HashSet<>();
            for (TaskInfo task : snapshot.tasks()) {
                if (task.isOn(node.nodeName()) && task.alive()) {
                    localPod(task).ifPresent(localPods::add);
                    if (!task.sandboxReported()) {
                        starting.add(task.pod());
                    }
                }
            }
            Set<NetworkKey> localNetworks = new TreeSet<>();
            localPods.forEach(p -> p.attachments.forEach(a -> localNetworks.add(a.network())));

            List<NetworkDatapath> networks = new ArrayList<>();
            Map<NetworkKey, List<VipRule>> vipsByNetwork = new HashMap<>();
            for (NetworkKey key : localNetworks) {
                NetworkInfo network = snapshot.networks().get(key);
                networks.add(networkDatapath(network));
                vipsByNetwork.put(key, vipRules(network));
            }
            List<PodDatapath> pods = new ArrayList<>();
            for (LocalPod local : localPods) {
                pods.add(new PodDatapath(local.pod, local.attachments, vipsFor(local, vipsByNetwork)));
            }
            pods.sort(Comparator.comparing(PodDatapath::pod));
            return new DesiredState(new NodeDatapath(node, networks, pods), problems.stream().sorted().distinct().toList(), starting);
        }

        private void indexMembers() {
            for (NetworkInfo network : snapshot.networks().values()) {
                Map<IpAddress, List<String>> held = new HashMap<>();
                held.computeIfAbsent(network.gateway(), a -> new ArrayList<>()).add("the gateway of " + network.key());
                reserved.put(network.key(), held);
                taskHolders.put(network.key(), new HashMap<>());
            }
            for (ServiceInfo service : snapshot.services().values()) {
                if (service.endpointMode() != EndpointMode.VIP) {
                    continue;
                }
                service.virtualIps().forEach((networkName, vip) -> {
                    NetworkKey key = NetworkKey.resolve(service.key().namespace(), networkName);
                    Map<IpAddress, List<String>> held = admitted(key, service.key().namespace()) ? reserved.get(key) : null;
                    if (held != null) {
                        held.computeIfAbsent(vip, a -> new ArrayList<>()).add("the virtual IP of service " + service.key());
                    }
                });
            }
            for (TaskInfo task : snapshot.tasks()) {
                if (!task.alive()) {
                    continue;
                }
                task.addresses().forEach((networkName, address) -> {
                    NetworkKey key = NetworkKey.resolve(task.pod().namespace(), networkName);
                    Map<IpAddress, List<PodRef>> held = admitted(key, task.pod().namespace()) ? taskHolders.get(key) : null;
                    if (held != null) {
                        held.computeIfAbsent(address, a -> new ArrayList<>(1)).add(task.pod());
                        members.computeIfAbsent(key, k -> new ArrayList<>()).add(new Member(task, address));
                    }
                });
            }
        }

        /**
         * Why {@code address} cannot be a task address on {@code network}, or empty when it can. The gateway and
         * virtual IPs win over tasks (one bad task must not take a service's VIP away from everyone); two tasks
         * with one address both lose, because which of them would receive the traffic is arbitrary.
         */
        private Optional<String> unusable(NetworkInfo network, IpAddress address) {
            if (!network.subnet().contains(address)) {
                return Optional.of("is outside the network's subnet " + network.subnet());
            }
            if (address.equals(network.subnet().first()) || address.equals(network.subnet().broadcast())) {
                return Optional.of("is the network or broadcast address of " + network.subnet());
            }
            List<String> reservedBy = reserved.get(network.key()).get(address);
            if (reservedBy != null) {
                return Optional.of("is " + String.join(" and ", reservedBy));
            }
            List<PodRef> held = taskHolders.get(network.key()).getOrDefault(address, List.of());
            if (held.size() > 1) {
                return Optional.of("is also used by " + String.join(" and ", held.stream().map(pod -> "pod " + pod).toList()));
            }
            return Optional.empty();
        }

        private record LocalPod(PodRef pod, List<PodAttachment> attachments) {
        }

        private Optional<LocalPod> localPod(TaskInfo task) {
            ObjectRef ref = ObjectRef.pod(task.pod().namespace(), task.pod().name(), task.pod().uid());
            if (task.standalone()) {
                return standalonePod(task, ref);
            }
            Optional<ServiceInfo> service = snapshot.service(task.serviceKey());
            if (service.isEmpty()) {
                return reject(ref, "ServiceNotFound", "pod " + task.pod() + ": label " + "swarmnet.io/service names SwarmService '"
                        + task.service() + "', which does not exist in namespace " + task.pod().namespace()
                        + "; the pod is not attached");
            }
            if (task.addresses().isEmpty()) {
                return reject(ref, "NoAddresses", "pod " + task.pod() + ": annotation swarmnet.io/addresses is missing or empty; "
                        + "the operator writes it before creating a task pod, so this pod is not attached");
            }
            // spec.networks order first (it names the interfaces); networks the service no longer lists come after
            return attachments(task, ref, service.get()::indexOf, service.get().networks().size());
        }

        /**
         * A pod that is no task, on attachable networks: attached like a task, its interfaces in the order its annotation named
         * the networks (as the operator recorded it).
         */
        private Optional<LocalPod> standalonePod(TaskInfo task, ObjectRef ref) {
            if (task.addresses().isEmpty()) {
                return reject(ref, "NoAddresses", "pod " + task.pod() + ": annotation swarmnet.io/addresses is missing or empty; "
                        + "the operator writes it with the label swarmnet.io/attached-pod, so this pod is not attached");
            }
            List<String> asked = new ArrayList<>(task.podAliases().keySet());
            return attachments(task, ref, asked::indexOf, asked.size());
        }

        /**
         * The pod's interfaces, one per network it has an address on: a network at {@code position} ≥ 0 gets interface
         * swn{position}, the others (by name) the next numbers from {@code extra} on.
         */
        private Optional<LocalPod> attachments(TaskInfo task, ObjectRef ref, java.util.function.ToIntFunction<String> position,
                int extra) {
            List<String> order = new ArrayList<>(task.addresses().keySet());
            order.sort(Comparator.comparingInt((String n) -> {
                int i = position.applyAsInt(n);
                return i < 0 ? Integer.MAX_VALUE : i;
            }).thenComparing(Comparator.naturalOrder()));
            List<PodAttachment> attachments = new ArrayList<>();
            for (String networkName : order) {
                NetworkKey key = NetworkKey.resolve(task.pod().namespace(), networkName);
                IpAddress address = task.addresses().get(networkName);
                NetworkInfo network = snapshot.networks().get(key);
                if (network == null) {
                    return reject(ref, "NetworkNotFound", "pod " + task.pod() + ": annotation swarmnet.io/addresses names network '"
                            + networkName + "', which does not exist in namespace " + key.namespace()
                            + " or has no subnet and VXLAN id allocated yet; the pod is not attached");
                }
                if (!network.admits(task.pod().namespace())) {
                    return reject(ref, "NetworkNotShared", "pod " + task.pod() + ": annotation swarmnet.io/addresses names network "
                            + key + " of another namespace, which is not shared (its spec.shareWith is not set); the pod is not "
                            + "attached until the operator writes its addresses again or the network's owner shares it");
                }
                Optional<String> why = unusable(network, address);
                if (why.isPresent()) {
                    return reject(ref, "AddressConflict", "pod " + task.pod() + ": address " + address + " on network " + key
                            + " (annotation swarmnet.io/addresses) " + why.get() + "; the pod is not attached until the operator "
                            + "gives it a unique address in the subnet");
                }
                int index = position.applyAsInt(networkName);
                attachments.add(new PodAttachment(key, interfaceName(index >= 0 ? index : extra++), address,
                        network.subnet().prefixLength(), MacAddress.forTask(address), mtu(network, node.underlayMtu())));
            }
            return Optional.of(new LocalPod(task.pod(), attachments));
        }

        /** Whether objects of {@code namespace} may be on the network {@code key} (an unknown network admits nobody). */
        private boolean admitted(NetworkKey key, String namespace) {
            NetworkInfo network = snapshot.networks().get(key);
            return network != null && network.admits(namespace);
        }

        private Optional<LocalPod> reject(ObjectRef ref, String reason, String message) {
            problems.add(new Problem(ref, reason, message, node.nodeName()));
            return Optional.empty();
        }

        private NetworkDatapath networkDatapath(NetworkInfo network) {
            Map<IpAddress, RemoteEndpoint> remote = new TreeMap<>();
            Set<IpAddress> peers = new HashSet<>();
            for (Member member : members.getOrDefault(network.key(), List.of())) {
                TaskInfo task = member.task();
                if (task.isOn(node.nodeName())) {
                    continue;
                }
                IpAddress vtep = snapshot.nodeVteps().get(task.node().orElseThrow());
                // a remote task whose node has no address cannot be reached; its node's problem is reported on the Node
                if (vtep == null || vtep.equals(node.underlayAddress()) || unusable(network, member.address()).isPresent()) {
                    continue;
                }
                remote.put(member.address(), new RemoteEndpoint(member.address(), MacAddress.forTask(member.address()), vtep));
                peers.add(vtep);
            }
            List<RemoteEndpoint> endpoints = List.copyOf(remote.values());
            List<RemoteEndpoint> previous = previousRemotes.get(network.key());
            return new NetworkDatapath(network.key(), network.vni(), network.subnet(), network.gateway(),
                    mtu(network, node.underlayMtu()), network.encrypted(), endpoints.equals(previous) ? previous : endpoints, peers,
                    network.internal());
        }

        /**
         * VIP rules of every vip-mode service with a virtual IP on the network, sorted by service name (a service of another
         * namespace than the network's, on a network shared with it, by {@code namespace/name}).
         */
        private List<VipRule> vipRules(NetworkInfo network) {
            Map<ServiceKey, List<IpAddress>> readyByService = new HashMap<>();
            for (Member member : members.getOrDefault(network.key(), List.of())) {
                // a standalone pod is reached by its own name and aliases, never behind a service's VIP
                if (!member.task().standalone() && member.task().ready() && unusable(network, member.address()).isEmpty()) {
                    readyByService.computeIfAbsent(member.task().serviceKey(), s -> new ArrayList<>()).add(member.address());
                }
            }
            List<VipRule> rules = new ArrayList<>();
            Map<String, VipRule> previousRules = new HashMap<>();
            previousVips.getOrDefault(network.key(), List.of()).forEach(r -> previousRules.putIfAbsent(r.service(), r));
            // how the network's own namespace records it, and how any other does
            String own = network.key().name();
            String qualified = network.key().toString();
            for (ServiceInfo service : snapshot.services().values()) {
                if (service.endpointMode() != EndpointMode.VIP || service.virtualIps().isEmpty()) {
                    continue;
                }
                boolean local = service.key().namespace().equals(network.key().namespace());
                if (!local && !network.shared()) {
                    continue;
                }
                String recorded = local ? own : qualified;
                IpAddress vip = service.virtualIps().get(recorded);
                if (vip == null) {
                    continue;
                }
                String name = local ? service.name() : service.key().toString();
                List<String> holders = reserved.get(network.key()).get(vip);
                if (holders.size() > 1) {
                    // also the gateway or another service's VIP: which one would receive the traffic is arbitrary
                    problems.add(Problem.clusterWide(ObjectRef.service(service.key().namespace(), service.name(), null),
                            "AddressConflict", "SwarmService " + service.key() + ": status.virtualIPs[" + recorded + "] " + vip
                            + " is " + String.join(" and ", holders) + "; no VIP rule for it until the operator allocates a unique one"));
                    continue;
                }
                List<IpAddress> backends = new ArrayList<>(readyByService.getOrDefault(service.key(), List.of()));
                backends.sort(Comparator.naturalOrder());
                VipRule rule = new VipRule(name, network.key(), vip, backends);
                VipRule before = previousRules.get(name);
                rules.add(rule.equals(before) ? before : rule);
            }
            rules.sort(Comparator.comparing(VipRule::service));
            List<VipRule> previous = previousVips.get(network.key());
            return rules.equals(previous) ? previous : List.copyOf(rules);
        }

        private static List<VipRule> vipsFor(LocalPod pod, Map<NetworkKey, List<VipRule>> vipsByNetwork) {
            if (pod.attachments.size() == 1) {
                return vipsByNetwork.get(pod.attachments.get(0).network()); // shared, not copied: thousands of pods per network
            }
            List<VipRule> rules = new ArrayList<>();
            pod.attachments.stream().map(PodAttachment::network).sorted()
                    .forEach(network -> rules.addAll(vipsByNetwork.get(network)));
            return rules;
        }
    }
}

package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.NetworkDatapath;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.net.IpAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which addresses are tasks of each network, ready or not, and which tasks leave it in this plan: what decides whether
 * a backend leaving a VIP keeps its TCP connections (only not ready) or loses them (gone), see {@link StaleVipFlows}.
 *
 * @param remote tasks on other nodes, by network
 * @param local  tasks on this node, by network
 * @param gone   tasks that leave each network, as far as the kernel shows them: remote ones by the neighbour entries
 *               no remote task needs any more, local ones by the addresses on our interfaces in pods that left (a
 *               local pod whose namespace is already gone shows nothing; its TCP connections time out instead)
 */
record NetworkTasks(Map<NetworkKey, Set<IpAddress>> remote, Map<NetworkKey, Set<IpAddress>> local,
        Map<NetworkKey, Set<IpAddress>> gone) {

    static NetworkTasks of(NodeDatapath desired, ActualNode actual, KernelNames names, RemoteEndpointEntries entries) {
        Map<NetworkKey, Set<IpAddress>> remote = new HashMap<>();
        Map<NetworkKey, Set<IpAddress>> local = new HashMap<>();
        Map<NetworkKey, Set<IpAddress>> gone = new HashMap<>();
        for (NetworkDatapath n : desired.networks()) {
            RemoteEndpointEntries.Tasks tasks = entries.of(n, desired.node().underlayAddress());
            remote.merge(n.key(), tasks.addresses(), NetworkTasks::union);
            NetworkNamespaceState state = actual.networkNamespaces().get(names.networkNamespace(n.vni()));
            if (state != null && !tasks.strays(state).isEmpty()) {
                gone.computeIfAbsent(n.key(), k -> new HashSet<>()).addAll(tasks.strays(state));
            }
        }
        Set<PodRef> desiredPods = new HashSet<>();
        for (PodDatapath p : desired.pods()) {
            desiredPods.add(p.pod());
            p.attachments().forEach(a -> local.computeIfAbsent(a.network(), k -> new HashSet<>()).add(a.address()));
        }
        actual.pods().forEach((ref, state) -> {
            if (!desiredPods.contains(ref)) {
                state.links().values().forEach(link -> names.networkOfPodInterfaceAlias(link.alias()).ifPresent(n ->
                        link.addresses().forEach(a -> gone.computeIfAbsent(n, k -> new HashSet<>()).add(a.address()))));
            }
        });
        gone.forEach((n, addresses) -> addresses.removeIf(a -> isTask(remote, local, n, a)));
        return new NetworkTasks(remote, local, gone);
    }

    /** True when {@code address} is a task of {@code network}, here or elsewhere. */
    boolean isTask(NetworkKey network, IpAddress address) {
        return isTask(remote, local, network, address);
    }

    private static boolean isTask(Map<NetworkKey, Set<IpAddress>> remote, Map<NetworkKey, Set<IpAddress>> local, NetworkKey network,
            IpAddress address) {
        return remote.getOrDefault(network, Set.of()).contains(address) || local.getOrDefault(network, Set.of()).contains(address);
    }

    /** Tasks that leave {@code network}. */
    Set<IpAddress> gone(NetworkKey network) {
        return gone.getOrDefault(network, Set.of());
    }

    /** True when some task leaves some network. */
    boolean anyGone() {
        return gone.values().stream().anyMatch(s -> !s.isEmpty());
    }

    private static Set<IpAddress> union(Set<IpAddress> a, Set<IpAddress> b) {
        Set<IpAddress> both = new HashSet<>(a);
        both.addAll(b);
        return both;
    }
}

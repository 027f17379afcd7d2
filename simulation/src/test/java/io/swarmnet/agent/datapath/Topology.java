package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.NetworkDatapath;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.NodeFacts;
import io.swarmnet.agent.desired.PodAttachment;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.desired.RemoteEndpoint;
import io.swarmnet.agent.desired.VipRule;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import io.swarmnet.api.net.Vni;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Hand-built desired states for datapath tests: networks, tasks placed on nodes, services with VIPs. It derives
 * each node's {@link NodeDatapath} the way the agent's desired-state function does (remote endpoints from tasks on
 * other nodes, VIP rules in every local pod sharing the service's network), without any Kubernetes API.
 */
final class Topology {

    record Node(String name, IpAddress underlay, int mtu) {
        NodeFacts facts() {
            return new NodeFacts(name, underlay, mtu);
        }
    }

    record Network(NetworkKey key, Vni vni, Cidr subnet, IpAddress gateway, int mtu) {
    }

    record Task(PodRef pod, Node node, Map<NetworkKey, IpAddress> addresses) {
    }

    record Service(String name, NetworkKey network, IpAddress vip, List<PodRef> backends) {
    }

    private final Map<NetworkKey, Network> networks = new LinkedHashMap<>();
    private final Map<PodRef, Task> tasks = new LinkedHashMap<>();
    private final Map<String, Service> services = new LinkedHashMap<>();
    private final Set<NetworkKey> internal = new java.util.HashSet<>();
    private final Map<Node, NodeDatapath> lastDesired = new java.util.HashMap<>();

    static PodRef pod(String name) {
        return new PodRef("default", name, "uid-" + name);
    }

    Network network(String name, int vni, String subnet) {
        Cidr cidr = Cidr.parse(subnet);
        Network n = new Network(new NetworkKey("default", name), new Vni(vni), cidr, cidr.first().plus(1), 1450);
        networks.put(n.key(), n);
        return n;
    }

    /** Makes {@code network} internal (spec.internal) or not, from the next {@link #desired} on. */
    void internal(Network network, boolean on) {
        if (on) {
            internal.add(network.key());
        } else {
            internal.remove(network.key());
        }
    }

    Task task(PodRef pod, Node node, Network network, String address) {
        Task existing = tasks.get(pod);
        Map<NetworkKey, IpAddress> addresses = new LinkedHashMap<>(existing == null ? Map.of() : existing.addresses());
        addresses.put(network.key(), IpAddress.parse(address));
        Task t = new Task(pod, node, addresses);
        tasks.put(pod, t);
        return t;
    }

    void remove(PodRef pod) {
        tasks.remove(pod);
        services.replaceAll((k, s) -> new Service(s.name(), s.network(), s.vip(),
                s.backends().stream().filter(b -> !b.equals(pod)).toList()));
    }

    Service service(String name, Network network, String vip, List<PodRef> backends) {
        Service s = new Service(name, network.key(), IpAddress.parse(vip), List.copyOf(backends));
        services.put(name, s);
        return s;
    }

    IpAddress address(PodRef pod, Network network) {
        return tasks.get(pod).addresses().get(network.key());
    }

    NodeDatapath desired(Node node) {
        // as DesiredDatapath does: what did not change since the node's last desired state is shared with it
        NodeDatapath last = lastDesired.get(node);
        Map<NetworkKey, List<RemoteEndpoint>> lastRemotes = new java.util.HashMap<>();
        Map<String, VipRule> lastRules = new java.util.HashMap<>();
        Map<java.util.Set<NetworkKey>, List<VipRule>> lastLists = new java.util.HashMap<>();
        if (last != null) {
            last.networks().forEach(n -> lastRemotes.put(n.key(), n.remoteEndpoints()));
            last.pods().forEach(p -> {
                p.vips().forEach(r -> lastRules.putIfAbsent(r.network() + " " + r.service(), r));
                lastLists.putIfAbsent(Set.copyOf(p.attachments().stream().map(PodAttachment::network).toList()), p.vips());
            });
        }
        Set<NetworkKey> local = new TreeSet<>();
        List<PodDatapath> pods = new ArrayList<>();
        Map<java.util.Set<NetworkKey>, List<VipRule>> vipsByNetworks = new java.util.HashMap<>();
        for (Task t : tasks.values()) {
            if (!t.node().equals(node)) {
                continue;
            }
            local.addAll(t.addresses().keySet());
            List<PodAttachment> attachments = new ArrayList<>();
            int index = 0;
            for (Map.Entry<NetworkKey, IpAddress> e : t.addresses().entrySet()) {
                Network n = networks.get(e.getKey());
                attachments.add(new PodAttachment(n.key(), "eth" + (++index), e.getValue(), n.subnet().prefixLength(),
                        MacAddress.forTask(e.getValue()), n.mtu()));
            }
            // as DesiredDatapath does: pods on the same networks share one list of rules
            List<VipRule> vips = vipsByNetworks.computeIfAbsent(t.addresses().keySet(), networksOfPod -> {
                List<VipRule> rules = new ArrayList<>();
                for (Service s : services.values()) {
                    if (networksOfPod.contains(s.network())) {
                        List<IpAddress> backends = s.backends().stream().filter(tasks::containsKey)
                                .map(b -> tasks.get(b).addresses().get(s.network())).sorted().toList();
                        VipRule rule = new VipRule(s.name(), s.network(), s.vip(), backends);
                        VipRule before = lastRules.get(s.network() + " " + s.name());
                        rules.add(rule.equals(before) ? before : rule);
                    }
                }
                List<VipRule> before = lastLists.get(networksOfPod);
                return rules.equals(before) ? before : List.copyOf(rules);
            });
            pods.add(new PodDatapath(t.pod(), attachments, vips));
        }
        List<NetworkDatapath> nets = new ArrayList<>();
        for (NetworkKey key : local) {
            Network n = networks.get(key);
            List<RemoteEndpoint> remotes = new ArrayList<>();
            Set<IpAddress> vteps = new TreeSet<>();
            for (Task t : tasks.values()) {
                IpAddress a = t.addresses().get(key);
                if (a != null && !t.node().equals(node)) {
                    remotes.add(new RemoteEndpoint(a, MacAddress.forTask(a), t.node().underlay()));
                    vteps.add(t.node().underlay());
                }
            }
            remotes.sort(Comparator.comparing(RemoteEndpoint::address));
            List<RemoteEndpoint> before = lastRemotes.get(key);
            nets.add(new NetworkDatapath(key, n.vni(), n.subnet(), n.gateway(), n.mtu(), false, remotes.equals(before) ? before : remotes,
                    vteps, internal.contains(key)));
        }
        NodeDatapath desired = new NodeDatapath(node.facts(), nets, pods);
        lastDesired.put(node, desired);
        return desired;
    }
}

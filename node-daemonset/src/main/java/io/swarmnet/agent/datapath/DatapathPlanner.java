package io.swarmnet.agent.datapath;

import io.swarmnet.agent.datapath.Plan.Command;
import io.swarmnet.agent.datapath.Plan.Owner;
import io.swarmnet.agent.datapath.Plan.Phase;
import io.swarmnet.agent.desired.NetworkDatapath;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodAttachment;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.desired.VipRule;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import io.swarmnet.api.network.OverlayMtu;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Decides, without touching the kernel, what to run so that a node's actual datapath becomes the desired one.
 * Everything already right is left alone: re-planning a converged node yields an empty plan, which is what
 * keeps established connections alive across agent restarts.
 *
 * <p>A plan is a function of its two arguments alone, but a planner keeps what it worked out last time
 * ({@link RemoteEndpointEntries}, {@link VipChanges}), so that a backend change — the same remote tasks, the same
 * reading of the network namespaces, tables it made itself — is planned from what changed rather than by comparing
 * ten thousand neighbour entries and a thousand VIPs per pod again. One plan at a time: not thread-safe.
 */
public final class DatapathPlanner {

    private static final Pattern INTERFACE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

    private final KernelNames names;
    private final NetNamespace host;
    private final VxlanPort vxlanPort;
    private final AttachmentLayout layout;
    private final VipChanges vipChanges;
    private final RemoteEndpointEntries remoteEntries = new RemoteEndpointEntries();
    /** The tasks of the latest plan's networks: whether a backend that left a VIP is gone or only not ready. */
    private NetworkTasks lastTasks;

    public DatapathPlanner(KernelNames names, NetNamespace host, VxlanPort vxlanPort, PodAttachmentMode attachment) {
        this(names, host, vxlanPort, attachment, VipBalancing.DEFAULT);
    }

    public DatapathPlanner(KernelNames names, NetNamespace host, VxlanPort vxlanPort, PodAttachmentMode attachment, VipBalancing balancing) {
        this.names = names;
        this.host = host;
        this.vxlanPort = vxlanPort;
        this.layout = AttachmentLayout.of(attachment, names);
        this.vipChanges = new VipChanges(new VipLoadBalancer(names, balancing));
    }

    /** The tasks the latest {@link #plan} found in each network, ready or not (null before the first). */
    NetworkTasks lastTasks() {
        return lastTasks;
    }

    public Plan plan(NodeDatapath desired, ActualNode actual) {
        Map<NetworkKey, String> rejectedNetworks = new TreeMap<>();
        Map<PodRef, String> rejectedPods = new TreeMap<>();
        Map<NetworkKey, NetworkDatapath> networks = acceptNetworks(desired, actual, rejectedNetworks);
        Map<PodRef, PodDatapath> pods = acceptPods(desired, actual, networks, rejectedNetworks, rejectedPods);

        // A network lives on the node only while a local task is attached to it (libnetwork's rule).
        Set<NetworkKey> used = new HashSet<>();
        desired.pods().forEach(p -> p.attachments().forEach(a -> used.add(a.network())));
        networks.keySet().retainAll(used);

        Map<String, NetworkDatapath> byNamespace = new TreeMap<>();
        networks.values().forEach(n -> byNamespace.put(names.networkNamespace(n.vni()), n));
        Map<NetworkKey, List<Attachment>> attachments = attachmentsByNetwork(pods);

        PlanSteps steps = new PlanSteps(host);
        removeFormerPodsInterfaces(actual, pods, rejectedPods, steps);
        removeNetworks(actual, byNamespace, steps);
        for (LinkState vxlan : actual.hostVxlans()) {
            steps.host(new Command("link del dev " + vxlan.name(), new Owner.Leftover(vxlan.name() + " in " + host)));
        }
        for (Map.Entry<String, NetworkDatapath> e : byNamespace.entrySet()) {
            NetworkDatapath network = e.getValue();
            NetworkNamespaceState state = actual.networkNamespaces().get(e.getKey());
            planNetwork(network, e.getKey(), state, attachments.getOrDefault(network.key(), List.of()), actual, desired, steps);
            bridgeNetfilterOff(network, e.getKey(), state, steps);
        }
        List<Phase> phases = new ArrayList<>(steps.phases(pod -> actual.pods().get(pod).namespace()));
        NetworkTasks tasks = NetworkTasks.of(desired, actual, names, remoteEntries);
        lastTasks = tasks;
        VipChanges.Steps vips = vipChanges.plan(actual, pods, rejectedPods, tasks);
        phases.add(new Phase("VIP load balancing", vips.transactions()));
        // after the transaction that took the backends out, so that a deleted flow's next packet picks a live one
        phases.add(new Phase("flows to removed VIP backends", vips.staleFlows()));
        remoteEntries.retain(desired.networks().stream().map(NetworkDatapath::key).toList());

        List<Phase> nonEmpty = phases.stream().filter(p -> !p.steps().isEmpty()).toList();
        return new Plan(nonEmpty, rejectedNetworks, rejectedPods, vips.tables());
    }

    /**
     * Pods that left the desired state but whose namespace still exists lose our interfaces, first thing, while what
     * they hang on still exists. A veth end whose bridge end is still there goes with it (deleting one end of a veth
     * deletes both), when its network namespace or its port is removed; any other interface of ours is deleted here.
     */
    private void removeFormerPodsInterfaces(ActualNode actual, Map<PodRef, PodDatapath> pods, Map<PodRef, String> rejectedPods,
            PlanSteps steps) {
        Set<String> existingPorts = new HashSet<>();
        actual.networkNamespaces().values().forEach(n -> n.links().values().stream()
                .filter(l -> l.kind().equals("veth")).forEach(l -> existingPorts.add(l.name())));
        for (Map.Entry<PodRef, PodNamespaceState> e : new TreeMap<>(actual.pods()).entrySet()) {
            if (pods.containsKey(e.getKey()) || rejectedPods.containsKey(e.getKey())) {
                continue;
            }
            for (LinkState link : e.getValue().links().values()) {
                boolean orphan = names.networkOfPodInterfaceAlias(link.alias())
                        .map(n -> !link.kind().equals("veth") || !existingPorts.contains(names.bridgePort(e.getKey(), n))).orElse(false);
                if (orphan) {
                    steps.removePodInterface(e.getKey(), new Command("link del dev " + link.name(), new Owner.Pod(e.getKey())));
                }
            }
        }
    }

    private void removeNetworks(ActualNode actual, Map<String, NetworkDatapath> keep, PlanSteps steps) {
        for (Map.Entry<String, NetworkNamespaceState> e : new TreeMap<>(actual.networkNamespaces()).entrySet()) {
            if (keep.containsKey(e.getKey())) {
                continue;
            }
            Owner owner = new Owner.Leftover("network namespace " + e.getKey());
            // the VXLAN device goes first so its UDP socket is released now, not whenever the namespace is reaped
            e.getValue().links().values().stream().filter(l -> names.isOurVxlan(l.name()))
                    .forEach(l -> steps.emptyRemovedNamespace(e.getKey(), new Command("link del dev " + l.name(), owner)));
            steps.removeNamespace(new Command("netns del " + e.getKey(), owner));
        }
    }

    private void planNetwork(NetworkDatapath network, String namespace, NetworkNamespaceState state, List<Attachment> attachments,
            ActualNode actual, NodeDatapath desired, PlanSteps steps) {
        Owner owner = new Owner.Network(network.key());
        List<Owner> requiresNetwork = List.of(owner);
        String vxlan = names.vxlan(network.vni());
        Map<String, LinkState> links = state == null ? Map.of() : state.links();

        if (state == null) {
            steps.createNamespace(new Command("netns add " + namespace, owner));
        }
        LinkState.VxlanParameters wanted = new LinkState.VxlanParameters(network.vni().value(), desired.node().underlayAddress(),
                vxlanPort.value(), false, true);
        LinkState vxlanLink = links.get(vxlan);
        boolean vxlanRight = vxlanLink != null && wanted.equals(vxlanLink.vxlan());
        if (vxlanLink != null && !vxlanRight) {
            steps.prune(namespace, new Command("link del dev " + vxlan, owner));
        }
        if (!vxlanRight) {
            // created in the host namespace so that its UDP socket lives on the underlay, then moved in
            steps.host(new Command("link add name " + vxlan + " type vxlan id " + network.vni().value() + " local "
                    + desired.node().underlayAddress() + " dstport " + vxlanPort + " nolearning proxy", owner, requiresNetwork));
            steps.host(new Command("link set dev " + vxlan + " netns " + namespace, owner, requiresNetwork));
        }
        NetworkSite site = new NetworkSite(network, namespace, links, vxlan, vxlanRight ? vxlanLink : null, owner, steps);
        layout.networkDevices(site);

        // remote tasks: static neighbour and FDB entries
        RemoteEndpointEntries.Comparison entries = remoteEntries.of(network, desired.node().underlayAddress())
                .compare(vxlanRight ? state : null, vxlan);
        entries.neighbourLines().forEach(line -> site.device(line, owner));
        entries.fdbLines().forEach(line -> steps.fdb(namespace, new Command(line, owner, requiresNetwork)));
        // local tasks: one interface each, named by the user, hung on the VXLAN device as the layout has it
        // on an internal network the pod end joins the group the pod's isolate chain drops forwarding for (VipLoadBalancer);
        // changed in place on a live pod, which leaves its connections on the network alone
        int group = network.internal() ? KernelNames.INTERNAL_GROUP : LinkState.DEFAULT_GROUP;
        Set<PodRef> attached = new HashSet<>();
        for (Attachment a : attachments) {
            attached.add(a.pod());
            planPodEnd(site, a, actual.pods().get(a.pod()), group);
        }
        layout.pruneLeftovers(site, attached);
    }

    private void planPodEnd(NetworkSite site, Attachment a, PodNamespaceState podState, int group) {
        PodAttachment att = a.attachment();
        Owner pod = new Owner.Pod(a.pod());
        List<Owner> requires = List.of(site.owner(), pod);
        LinkState podLink = podState.links().get(att.interfaceName());
        boolean podSideRight = podLink != null && podLink.mtu() == att.mtu() && att.mac().equals(podLink.mac())
                && podLink.addresses().equals(List.of(new LinkState.InterfaceAddress(att.address(), att.prefixLength())))
                && names.podInterfaceAlias(att.network()).equals(podLink.alias());
        boolean recreate = !podSideRight || !layout.hangsRight(site, a.pod(), podLink);
        if (recreate) {
            // a veth end whose bridge end is there goes with it (both layouts delete that one); anything else goes first
            boolean goesWithPort = podLink != null && podLink.kind().equals("veth")
                    && site.link(names.bridgePort(a.pod(), att.network()), "veth") != null;
            if (podLink != null && !goesWithPort) {
                site.steps().removePodInterface(a.pod(), new Command("link del dev " + att.interfaceName(), pod));
            }
            layout.createPodEnd(site, a.pod(), att, podState.namespace());
            // a new device starts in the default group
            site.steps().pod(a.pod(), new Command("link set dev " + att.interfaceName() + " alias " + names.podInterfaceAlias(att.network())
                    + (group == LinkState.DEFAULT_GROUP ? "" : " group " + group), pod, requires));
            site.steps().pod(a.pod(), new Command("addr add " + att.address() + "/" + att.prefixLength() + " dev " + att.interfaceName(),
                    pod, requires));
            site.steps().pod(a.pod(), new Command("link set dev " + att.interfaceName() + " up", pod, requires));
        } else {
            if (podLink.group() != group) {
                site.steps().pod(a.pod(), new Command("link set dev " + att.interfaceName() + " group " + group, pod, requires));
            }
            if (!podLink.up()) {
                site.steps().pod(a.pod(), new Command("link set dev " + att.interfaceName() + " up", pod, requires));
            }
        }
        layout.afterPodEnd(site, a.pod(), att, recreate);
    }

    /**
     * br_netfilter's hooks switched off ({@link BridgeNetfilter}) in a namespace made by this plan — its settings cannot
     * have been read, and {@code sysctl -e} passes over them on a node without the module — and in one read with them
     * on (the module loaded after the namespace was made, or someone set them).
     */
    private static void bridgeNetfilterOff(NetworkDatapath network, String namespace, NetworkNamespaceState state, PlanSteps steps) {
        if (state != null && state.bridgeNetfilter() != BridgeNetfilter.ON) {
            return;
        }
        Owner tuning = new Owner.Tuning(network.key(), "switching off br_netfilter's IP hooks for bridged frames (bridge-nf-call-*)");
        List<Owner> requiresNetwork = List.of(new Owner.Network(network.key()));
        BridgeNetfilter.SETTINGS.forEach(setting -> steps.bridgeNetfilter(namespace, new Command(setting + "=0", tuning, requiresNetwork)));
    }

    private Map<NetworkKey, NetworkDatapath> acceptNetworks(NodeDatapath desired, ActualNode actual, Map<NetworkKey, String> rejected) {
        Map<NetworkKey, NetworkDatapath> accepted = new TreeMap<>();
        Map<Vni, NetworkKey> vnis = new HashMap<>();
        for (NetworkDatapath n : desired.networks()) {
            String problem = null;
            Optional<LinkState> foreign = foreignHolder(n.vni(), actual);
            if (accepted.containsKey(n.key())) {
                problem = "network " + n.key() + " appears twice in the desired state";
            } else if (vnis.containsKey(n.vni())) {
                problem = "network " + n.key() + ": VXLAN id " + n.vni() + " is also used by network " + vnis.get(n.vni())
                        + "; give one of them another vxlanId";
            } else if (foreign.isPresent()) {
                problem = "network " + n.key() + ": VXLAN id " + n.vni() + " on UDP port " + vxlanPort + " is already held on this node by "
                        + "device " + foreign.get().name() + " (VNI " + foreign.get().vxlan().id() + ", dstport " + foreign.get().vxlan().port()
                        + ") in " + host + ", which swarmnet did not create (the cluster's CNI or another overlay); the kernel allows one "
                        + "VXLAN device per id and port. Re-create the network with another spec.vxlanId, or leave spec.vxlanId out "
                        + "to get one from the operator's automatic range (chart value network.vxlanIdRange), or move every node's "
                        + "VXLAN to another port (chart value network.dataPathPort)";
            } else if (!OverlayMtu.fitsLink(n.mtu())) {
                problem = "network " + n.key() + ": mtu " + n.mtu() + " is outside " + OverlayMtu.LINK_RANGE + "; fix spec.mtu or the underlay MTU";
            } else if (!n.subnet().contains(n.gateway())) {
                problem = "network " + n.key() + ": gateway " + n.gateway() + " is outside subnet " + n.subnet();
            }
            if (problem != null) {
                rejected.putIfAbsent(n.key(), problem);
                continue;
            }
            accepted.put(n.key(), n);
            vnis.put(n.vni(), n.key());
        }
        return accepted;
    }

    /**
     * A device we did not make that holds {@code vni} on our port in the host namespace, unless this network's own
     * device already exists (then the two differ in something the kernel tells apart, and ours works).
     */
    private Optional<LinkState> foreignHolder(Vni vni, ActualNode actual) {
        NetworkNamespaceState ours = actual.networkNamespaces().get(names.networkNamespace(vni));
        if (ours != null && ours.links().containsKey(names.vxlan(vni))) {
            return Optional.empty();
        }
        return actual.foreignVxlans().stream()
                .filter(l -> l.vxlan() != null && l.vxlan().id() == vni.value() && l.vxlan().port() == vxlanPort.value())
                .findFirst();
    }

    private Map<PodRef, PodDatapath> acceptPods(NodeDatapath desired, ActualNode actual, Map<NetworkKey, NetworkDatapath> networks,
            Map<NetworkKey, String> rejectedNetworks, Map<PodRef, String> rejected) {
        Map<PodRef, PodDatapath> accepted = new TreeMap<>();
        Map<String, PodRef> addressOwners = new HashMap<>();
        Map<String, PodRef> portOwners = new HashMap<>();
        Map<List<VipRule>, Optional<VipClash>> clashes = new IdentityHashMap<>();
        List<PodDatapath> sorted = desired.pods().stream().sorted(Comparator.comparing(PodDatapath::pod)).toList();
        for (PodDatapath pod : sorted) {
            String problem = podProblem(pod, actual, networks, rejectedNetworks, addressOwners, portOwners, clashes);
            if (problem != null) {
                rejected.putIfAbsent(pod.pod(), problem);
                continue;
            }
            for (PodAttachment a : pod.attachments()) {
                addressOwners.put(a.network() + " " + a.address(), pod.pod());
                portOwners.put(a.network() + " " + names.bridgePort(pod.pod(), a.network()), pod.pod());
            }
            accepted.put(pod.pod(), pod);
        }
        return accepted;
    }

    private String podProblem(PodDatapath pod, ActualNode actual, Map<NetworkKey, NetworkDatapath> networks,
            Map<NetworkKey, String> rejectedNetworks, Map<String, PodRef> addressOwners, Map<String, PodRef> portOwners,
            Map<List<VipRule>, Optional<VipClash>> clashes) {
        PodRef ref = pod.pod();
        if (actual.missingPods().containsKey(ref)) {
            return actual.missingPods().get(ref);
        }
        PodNamespaceState state = actual.pods().get(ref);
        if (state == null) {
            return "pod " + ref + ": its network namespace was not read";
        }
        Set<String> interfaces = new HashSet<>();
        Set<NetworkKey> attachedTo = new HashSet<>();
        for (PodAttachment a : pod.attachments()) {
            NetworkDatapath network = networks.get(a.network());
            if (network == null) {
                return "pod " + ref + ": network " + a.network() + " is not programmed on this node ("
                        + rejectedNetworks.getOrDefault(a.network(), "it is missing from the desired state") + ")";
            }
            if (!INTERFACE_NAME.matcher(a.interfaceName()).matches() || a.interfaceName().equals("lo")) {
                return "pod " + ref + ": interface name '" + a.interfaceName() + "' for network " + a.network()
                        + " must be 1-15 characters of [A-Za-z0-9_.-] and not 'lo'";
            }
            if (!interfaces.add(a.interfaceName())) {
                return "pod " + ref + ": interface name " + a.interfaceName() + " is used for two networks";
            }
            if (!attachedTo.add(a.network())) {
                return "pod " + ref + ": attached twice to network " + a.network();
            }
            if (!network.subnet().contains(a.address()) || a.address().equals(network.gateway())) {
                return "pod " + ref + ": address " + a.address() + " is not a task address of network " + a.network()
                        + " (subnet " + network.subnet() + ", gateway " + network.gateway() + ")";
            }
            if (!OverlayMtu.fitsLink(a.mtu())) {
                return "pod " + ref + ": mtu " + a.mtu() + " on network " + a.network() + " is outside " + OverlayMtu.LINK_RANGE;
            }
            PodRef holder = addressOwners.get(a.network() + " " + a.address());
            if (holder != null) {
                return "pod " + ref + ": address " + a.address() + " on network " + a.network() + " is already used by pod " + holder;
            }
            String port = names.bridgePort(ref, a.network());
            PodRef portHolder = portOwners.get(a.network() + " " + port);
            if (portHolder != null) {
                return "pod " + ref + ": device name clash: bridge port " + port + " on network " + a.network()
                        + " is already used by pod " + portHolder;
            }
            LinkState existing = state.links().get(a.interfaceName());
            if (existing != null && !names.isOurPodInterfaceAlias(existing.alias()) && !unfinished(existing, a)) {
                return "pod " + ref + ": device name clash: the pod already has a device " + a.interfaceName()
                        + " that swarmnet did not create; use another interface name for network " + a.network();
            }
            for (LinkState other : state.links().values()) {
                boolean ours = other.name().equals(a.interfaceName()) || names.isOurPodInterfaceAlias(other.alias());
                if (!ours && other.addresses().stream().anyMatch(x -> x.address().equals(a.address()))) {
                    return "pod " + ref + ": address " + a.address() + " is already present on device " + other.name()
                            + " in the pod's namespace";
                }
            }
        }
        // pods of the same networks share one list of rules: it is checked once
        Optional<VipClash> clash = clashes.computeIfAbsent(pod.vips(), DatapathPlanner::vipClash);
        if (clash.isPresent()) {
            return "pod " + ref + ": VIP " + clash.get().first().vip() + " is claimed by services " + clash.get().first().service() + " and "
                    + clash.get().second().service() + " with different backends";
        }
        return null;
    }

    /** Two rules giving one VIP different backends. */
    /**
     * A device this agent made for {@code a} and did not finish: moved into the pod, then the round failed before the
     * alias that marks it as ours was set (a step of its network failed meanwhile). It has no alias and the task's own
     * MAC address, which swarmnet gives it when it creates it; it is replaced like a device of ours that is not right,
     * instead of blocking the pod forever as a clash.
     */
    private static boolean unfinished(LinkState existing, PodAttachment a) {
        return (existing.alias() == null || existing.alias().isEmpty()) && a.mac().equals(existing.mac())
                && (existing.kind().equals("macvlan") || existing.kind().equals("veth"));
    }

    private record VipClash(VipRule first, VipRule second) {
    }

    private static Optional<VipClash> vipClash(List<VipRule> rules) {
        Map<IpAddress, VipRule> vips = new HashMap<>();
        for (VipRule rule : rules) {
            VipRule previous = vips.putIfAbsent(rule.vip(), rule);
            if (previous != null && !previous.backends().equals(rule.backends())) {
                return Optional.of(new VipClash(previous, rule));
            }
        }
        return Optional.empty();
    }

    private static Map<NetworkKey, List<Attachment>> attachmentsByNetwork(Map<PodRef, PodDatapath> pods) {
        Map<NetworkKey, List<Attachment>> byNetwork = new TreeMap<>();
        pods.values().forEach(p -> p.attachments().forEach(a ->
                byNetwork.computeIfAbsent(a.network(), k -> new ArrayList<>()).add(new Attachment(p.pod(), a))));
        return byNetwork;
    }

    private record Attachment(PodRef pod, PodAttachment attachment) {
    }
}

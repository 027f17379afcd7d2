package io.swarmnet.agent.datapath;

import io.swarmnet.agent.datapath.Plan.Command;
import io.swarmnet.agent.datapath.Plan.Owner;
import io.swarmnet.agent.datapath.Plan.Phase;
import io.swarmnet.agent.datapath.Plan.Step;
import io.swarmnet.agent.datapath.Plan.Tool;
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
    private final VipChanges vipChanges;
    private final RemoteEndpointEntries remoteEntries = new RemoteEndpointEntries();

    public DatapathPlanner(KernelNames names, NetNamespace host, VxlanPort vxlanPort) {
        this.names = names;
        this.host = host;
        this.vxlanPort = vxlanPort;
        this.vipChanges = new VipChanges(new VipLoadBalancer(names));
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

        List<Phase> phases = new ArrayList<>();
        removeNetworks(actual, byNamespace, phases);
        List<Step> prune = new ArrayList<>();
        List<Step> create = new ArrayList<>();
        List<Command> hostCommands = new ArrayList<>();
        for (LinkState vxlan : actual.hostVxlans()) {
            hostCommands.add(new Command("link del dev " + vxlan.name(), new Owner.Leftover(vxlan.name() + " in " + host)));
        }
        List<Step> devices = new ArrayList<>();
        List<Step> fdb = new ArrayList<>();
        Map<PodRef, List<Command>> podCommands = new TreeMap<>();
        Map<NetworkKey, List<Command>> portCommands = new TreeMap<>();
        List<Step> bridgeNetfilter = new ArrayList<>();
        for (Map.Entry<String, NetworkDatapath> e : byNamespace.entrySet()) {
            String namespace = e.getKey();
            NetworkDatapath network = e.getValue();
            NetworkNamespaceState state = actual.networkNamespaces().get(namespace);
            planNetwork(network, namespace, state, attachments.getOrDefault(network.key(), List.of()), actual, desired,
                    prune, create, hostCommands, devices, fdb, podCommands, portCommands);
            bridgeNetfilterOff(network, namespace, state).ifPresent(bridgeNetfilter::add);
        }
        phases.add(new Phase("prune network namespaces", prune));
        phases.add(new Phase("create network namespaces", create));
        phases.add(new Phase("bridge netfilter hooks", bridgeNetfilter));
        phases.add(new Phase("host namespace", hostCommands.isEmpty() ? List.of() : List.of(new Step(Tool.IP, host, hostCommands))));
        phases.add(new Phase("network devices", devices));
        phases.add(new Phase("forwarding database", fdb));

        // Pods that left the desired state but whose namespace still exists lose our interfaces. Most go with
        // their bridge port (deleting one end of a veth deletes both); only an orphaned pod end is deleted here.
        Set<String> existingPorts = new HashSet<>();
        actual.networkNamespaces().values().forEach(n -> existingPorts.addAll(n.links().keySet()));
        for (Map.Entry<PodRef, PodNamespaceState> e : actual.pods().entrySet()) {
            if (pods.containsKey(e.getKey()) || rejectedPods.containsKey(e.getKey())) {
                continue;
            }
            for (LinkState link : e.getValue().links().values()) {
                boolean orphan = names.networkOfPodInterfaceAlias(link.alias())
                        .map(n -> !existingPorts.contains(names.bridgePort(e.getKey(), n))).orElse(false);
                if (orphan) {
                    podCommands.computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                            .add(new Command("link del dev " + link.name(), new Owner.Pod(e.getKey())));
                }
            }
        }
        List<Step> podSteps = new ArrayList<>();
        podCommands.forEach((pod, commands) -> {
            if (!commands.isEmpty()) {
                podSteps.add(new Step(Tool.IP, actual.pods().get(pod).namespace(), commands));
            }
        });
        phases.add(new Phase("pod interfaces", podSteps));
        List<Step> portSteps = new ArrayList<>();
        portCommands.forEach((key, commands) -> {
            if (!commands.isEmpty()) {
                portSteps.add(new Step(Tool.IP, new NetNamespace.Named(names.networkNamespace(networks.get(key).vni())), commands));
            }
        });
        phases.add(new Phase("bridge ports", portSteps));
        NetworkTasks tasks = NetworkTasks.of(desired, actual, names, remoteEntries);
        VipChanges.Steps vips = vipChanges.plan(actual, pods, rejectedPods, tasks);
        phases.add(new Phase("VIP load balancing", vips.transactions()));
        // after the transaction that took the backends out, so that a deleted flow's next packet picks a live one
        phases.add(new Phase("flows to removed VIP backends", vips.staleFlows()));
        remoteEntries.retain(desired.networks().stream().map(NetworkDatapath::key).toList());

        List<Phase> nonEmpty = phases.stream().filter(p -> !p.steps().isEmpty()).toList();
        return new Plan(nonEmpty, rejectedNetworks, rejectedPods, vips.tables());
    }

    private void removeNetworks(ActualNode actual, Map<String, NetworkDatapath> keep, List<Phase> phases) {
        List<Step> emptying = new ArrayList<>();
        List<Command> deletions = new ArrayList<>();
        for (Map.Entry<String, NetworkNamespaceState> e : new TreeMap<>(actual.networkNamespaces()).entrySet()) {
            if (keep.containsKey(e.getKey())) {
                continue;
            }
            Owner owner = new Owner.Leftover("network namespace " + e.getKey());
            // the VXLAN device goes first so its UDP socket is released now, not whenever the namespace is reaped
            List<Command> links = e.getValue().links().values().stream()
                    .filter(l -> names.isOurVxlan(l.name()))
                    .map(l -> new Command("link del dev " + l.name(), owner)).toList();
            if (!links.isEmpty()) {
                emptying.add(new Step(Tool.IP, new NetNamespace.Named(e.getKey()), links));
            }
            deletions.add(new Command("netns del " + e.getKey(), owner));
        }
        phases.add(new Phase("empty removed network namespaces", emptying));
        phases.add(new Phase("remove network namespaces",
                deletions.isEmpty() ? List.of() : List.of(new Step(Tool.IP, new NetNamespace.Root(), deletions))));
    }

    private void planNetwork(NetworkDatapath network, String namespace, NetworkNamespaceState state, List<Attachment> attachments,
            ActualNode actual, NodeDatapath desired, List<Step> prune, List<Step> create, List<Command> hostCommands,
            List<Step> devices, List<Step> fdb, Map<PodRef, List<Command>> podCommands,
            Map<NetworkKey, List<Command>> portCommands) {
        Owner owner = new Owner.Network(network.key());
        List<Owner> requiresNetwork = List.of(owner);
        NetNamespace ns = new NetNamespace.Named(namespace);
        String bridge = names.bridge(network.vni());
        String vxlan = names.vxlan(network.vni());
        Map<String, LinkState> links = state == null ? Map.of() : state.links();
        List<Command> pruneCommands = new ArrayList<>();
        List<Command> deviceCommands = new ArrayList<>();

        if (state == null) {
            create.add(new Step(Tool.IP, new NetNamespace.Root(), List.of(new Command("netns add " + namespace, owner))));
        }
        LinkState bridgeLink = links.get(bridge);
        if (bridgeLink != null && !bridgeLink.kind().equals("bridge")) {
            pruneCommands.add(new Command("link del dev " + bridge, owner));
            bridgeLink = null;
        }
        if (bridgeLink == null) {
            deviceCommands.add(new Command("link add name " + bridge + " type bridge", owner));
        }
        if (bridgeLink == null || bridgeLink.mtu() != network.mtu() || !bridgeLink.up()) {
            deviceCommands.add(new Command("link set dev " + bridge + " mtu " + network.mtu() + " up", owner));
        }
        LinkState.InterfaceAddress gateway = new LinkState.InterfaceAddress(network.gateway(), network.subnet().prefixLength());
        if (bridgeLink == null || !bridgeLink.addresses().contains(gateway)) {
            deviceCommands.add(new Command("addr add " + gateway + " dev " + bridge, owner));
        }
        if (bridgeLink != null) {
            for (LinkState.InterfaceAddress extra : bridgeLink.addresses()) {
                if (!extra.equals(gateway)) {
                    deviceCommands.add(new Command("addr del " + extra + " dev " + bridge, owner));
                }
            }
        }

        LinkState.VxlanParameters wanted = new LinkState.VxlanParameters(network.vni().value(), desired.node().underlayAddress(),
                vxlanPort.value(), false, true);
        LinkState vxlanLink = links.get(vxlan);
        boolean vxlanRight = vxlanLink != null && wanted.equals(vxlanLink.vxlan());
        if (vxlanLink != null && !vxlanRight) {
            pruneCommands.add(new Command("link del dev " + vxlan, owner));
        }
        if (!vxlanRight) {
            // created in the host namespace so that its UDP socket lives on the underlay, then moved in
            hostCommands.add(new Command("link add name " + vxlan + " type vxlan id " + network.vni().value() + " local "
                    + desired.node().underlayAddress() + " dstport " + vxlanPort + " nolearning proxy", owner, requiresNetwork));
            hostCommands.add(new Command("link set dev " + vxlan + " netns " + namespace, owner, requiresNetwork));
        }
        if (!vxlanRight || vxlanLink.mtu() != network.mtu() || !bridge.equals(vxlanLink.master()) || !vxlanLink.up()) {
            deviceCommands.add(new Command("link set dev " + vxlan + " master " + bridge + " mtu " + network.mtu() + " up", owner));
        }

        // remote tasks: static neighbour and FDB entries
        RemoteEndpointEntries.Comparison entries = remoteEntries.of(network, desired.node().underlayAddress())
                .compare(vxlanRight ? state : null, vxlan);
        entries.neighbourLines().forEach(line -> deviceCommands.add(new Command(line, owner)));
        List<Command> fdbCommands = entries.fdbLines().stream().map(line -> new Command(line, owner)).toList();
        // local tasks: one veth each, pod end named by the user, bridge end named by us
        Set<String> wantedPorts = new HashSet<>();
        // on an internal network the pod end joins the group the pod's isolate chain drops forwarding for (VipLoadBalancer);
        // changed in place on a live pod, which leaves its connections on the network alone
        int group = network.internal() ? KernelNames.INTERNAL_GROUP : LinkState.DEFAULT_GROUP;
        for (Attachment a : attachments) {
            PodAttachment att = a.attachment();
            Owner pod = new Owner.Pod(a.pod());
            String port = names.bridgePort(a.pod(), network.key());
            wantedPorts.add(port);
            PodNamespaceState podState = actual.pods().get(a.pod());
            LinkState podLink = podState.links().get(att.interfaceName());
            LinkState portLink = links.get(port);
            boolean podSideRight = podLink != null && podLink.kind().equals("veth") && podLink.mtu() == att.mtu()
                    && att.mac().equals(podLink.mac())
                    && podLink.addresses().equals(List.of(new LinkState.InterfaceAddress(att.address(), att.prefixLength())))
                    && names.podInterfaceAlias(network.key()).equals(podLink.alias());
            List<Command> forPod = podCommands.computeIfAbsent(a.pod(), k -> new ArrayList<>());
            boolean recreate = !podSideRight || portLink == null || !portLink.kind().equals("veth");
            if (recreate) {
                if (portLink != null) {
                    // deleting one end of a veth pair deletes both: the pod end goes with it
                    pruneCommands.add(new Command("link del dev " + port, pod));
                } else if (podLink != null) {
                    forPod.add(new Command("link del dev " + att.interfaceName(), pod));
                }
                forPod.add(new Command("link add name " + att.interfaceName() + " mtu " + att.mtu() + " address " + att.mac()
                        + " type veth peer name " + port + " mtu " + att.mtu() + " netns " + namespace, pod, requiresNetwork));
                // a new device starts in the default group
                forPod.add(new Command("link set dev " + att.interfaceName() + " alias " + names.podInterfaceAlias(network.key())
                        + (group == LinkState.DEFAULT_GROUP ? "" : " group " + group), pod, requiresNetwork));
                forPod.add(new Command("addr add " + att.address() + "/" + att.prefixLength() + " dev " + att.interfaceName(),
                        pod, requiresNetwork));
                forPod.add(new Command("link set dev " + att.interfaceName() + " up", pod, requiresNetwork));
            } else {
                if (podLink.group() != group) {
                    forPod.add(new Command("link set dev " + att.interfaceName() + " group " + group, pod, requiresNetwork));
                }
                if (!podLink.up()) {
                    forPod.add(new Command("link set dev " + att.interfaceName() + " up", pod, requiresNetwork));
                }
            }
            if (recreate || !bridge.equals(portLink.master()) || portLink.mtu() != att.mtu() || !portLink.up()
                    || !names.bridgePortAlias(a.pod()).equals(portLink.alias())) {
                portCommands.computeIfAbsent(network.key(), k -> new ArrayList<>()).add(new Command("link set dev " + port
                        + " master " + bridge + " mtu " + att.mtu() + " alias " + names.bridgePortAlias(a.pod()) + " up", pod,
                        List.of(owner, pod)));
            }
        }
        for (LinkState link : links.values().stream().sorted(Comparator.comparing(LinkState::name)).toList()) {
            if (names.isOurBridgePort(link.name()) && !wantedPorts.contains(link.name())) {
                pruneCommands.add(new Command("link del dev " + link.name(), owner));
            }
        }
        if (!pruneCommands.isEmpty()) {
            prune.add(new Step(Tool.IP, ns, pruneCommands));
        }
        if (!deviceCommands.isEmpty()) {
            devices.add(new Step(Tool.IP, ns, deviceCommands.stream()
                    .map(c -> new Command(c.line(), c.owner(), List.of(owner))).toList()));
        }
        if (!fdbCommands.isEmpty()) {
            fdb.add(new Step(Tool.BRIDGE, ns, fdbCommands.stream().map(c -> new Command(c.line(), c.owner(), List.of(owner))).toList()));
        }
    }

    /**
     * br_netfilter's hooks switched off ({@link BridgeNetfilter}) in a namespace made by this plan — its settings cannot
     * have been read, and {@code sysctl -e} passes over them on a node without the module — and in one read with them
     * on (the module loaded after the namespace was made, or someone set them).
     */
    private static Optional<Step> bridgeNetfilterOff(NetworkDatapath network, String namespace, NetworkNamespaceState state) {
        if (state != null && state.bridgeNetfilter() != BridgeNetfilter.ON) {
            return Optional.empty();
        }
        Owner tuning = new Owner.Tuning(network.key(), "switching off br_netfilter's IP hooks for bridged frames (bridge-nf-call-*)");
        List<Owner> requiresNetwork = List.of(new Owner.Network(network.key()));
        return Optional.of(new Step(Tool.SYSCTL, new NetNamespace.Named(namespace), BridgeNetfilter.SETTINGS.stream()
                .map(setting -> new Command(setting + "=0", tuning, requiresNetwork)).toList()));
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
            if (existing != null && !names.isOurPodInterfaceAlias(existing.alias())) {
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

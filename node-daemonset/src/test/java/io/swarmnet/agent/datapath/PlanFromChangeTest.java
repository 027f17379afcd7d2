package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A planner that remembers what it worked out before (the neighbour and FDB comparison of unchanged remote tasks, VIP
 * transactions worked out from the rules that changed) against a planner that starts from nothing, on the same inputs:
 * random backend changes, services, tasks and pods coming and going, and kernel state that was read afresh or drifted.
 * The kernel is simulated the way the datapath hands it in: what a plan left is handed back as the very objects the plan
 * gave, unless something re-read it.
 */
class PlanFromChangeTest {

    private static final KernelNames NAMES = DatapathPlannerTest.NAMES;
    private static final IpAddress HERE = IpAddress.parse("192.0.2.11");
    private static final NodeFacts NODE = new NodeFacts("node-1", HERE, 1500);
    private static final List<IpAddress> ELSEWHERE = List.of(IpAddress.parse("192.0.2.12"), IpAddress.parse("192.0.2.13"));
    private static final VipLoadBalancer BALANCER = new VipLoadBalancer(NAMES);
    /** The planners and the simulated kernel alike attach pods the default way. */
    private static final PodAttachmentMode ATTACHMENT = PodAttachmentMode.DEFAULT;

    @Test
    void aPlanWorkedOutFromTheChangeIsThePlanOfTheWholeComparison() {
        int worthwhile = 0;
        for (long seed = 1; seed <= 40; seed++) {
            worthwhile += run(new Random(seed), 80);
        }
        // the sequences are made of changes the remembering planner works out from the change: most steps program VIPs
        assertThat(worthwhile).as("steps with a VIP transaction against a table the planner made").isGreaterThan(500);
    }

    /** One random sequence; returns how many steps changed VIPs in tables the remembering planner had made. */
    private int run(Random random, int steps) {
        Cluster cluster = new Cluster(random);
        DatapathPlanner remembering = new DatapathPlanner(NAMES, new NetNamespace.Root(), VxlanPort.DEFAULT, ATTACHMENT);
        Kernel kernel = new Kernel();
        int worthwhile = 0;
        NodeDatapath before = null;
        for (int step = 0; step < steps; step++) {
            cluster.change(random);
            NodeDatapath desired = cluster.desired(random);
            ActualNode actual = kernel.actual(desired, before, random);

            Plan plan = remembering.plan(desired, actual);
            Plan full = new DatapathPlanner(NAMES, new NetNamespace.Root(), VxlanPort.DEFAULT, ATTACHMENT).plan(desired, actual);

            assertThat(plan.lines(Plan.Tool.NFT)).as("step %d", step).isEqualTo(full.lines(Plan.Tool.NFT));
            assertThat(plan.lines(Plan.Tool.CONNTRACK)).as("step %d", step).isEqualTo(full.lines(Plan.Tool.CONNTRACK));
            assertThat(plan.lines(Plan.Tool.IP)).as("step %d", step).isEqualTo(full.lines(Plan.Tool.IP));
            assertThat(plan.lines(Plan.Tool.BRIDGE)).as("step %d", step).isEqualTo(full.lines(Plan.Tool.BRIDGE));
            assertThat(plan).as("step %d: every step, owner and table after", step).isEqualTo(full);
            desired.pods().stream().filter(p -> plan.vipTables().containsKey(p.pod())).forEach(p -> assertThat(plan.vipTables().get(p.pod()))
                    .as("what the kernel holds after the transaction").isEqualTo(BALANCER.expected(VipLoadBalancer.byVip(p.vips()))));
            if (!plan.lines(Plan.Tool.NFT).isEmpty() && kernel.handsBackPlannedTables) {
                worthwhile++;
            }
            kernel.ran(plan, desired);
            before = desired;
        }
        return worthwhile;
    }

    /** Networks, tasks here and elsewhere, services: mutated at random, turned into a node's desired state. */
    private static final class Cluster {
        private final List<Network> networks = List.of(
                new Network(new NetworkKey("default", "a"), new Vni(4097), Cidr.parse("10.0.9.0/24")),
                new Network(new NetworkKey("default", "b"), new Vni(4098), Cidr.parse("10.0.10.0/24")));
        /** Tasks elsewhere: network → address → node. */
        private final Map<NetworkKey, Map<IpAddress, IpAddress>> remote = new HashMap<>();
        private final Map<PodRef, Map<NetworkKey, IpAddress>> local = new TreeMap<>();
        private final Set<IpAddress> notReady = new HashSet<>();
        private final Map<String, Service> services = new TreeMap<>();
        private final Map<NetworkKey, List<VipRule>> lastRules = new HashMap<>();
        private int nextPod;

        private record Network(NetworkKey key, Vni vni, Cidr subnet) {
        }

        private record Service(NetworkKey network, IpAddress vip, List<IpAddress> members) {
        }

        Cluster(Random random) {
            for (Network n : networks) {
                remote.put(n.key(), new TreeMap<>());
                for (int i = 0; i < 12; i++) {
                    addRemote(n, random);
                }
            }
            for (int i = 0; i < 3; i++) {
                addLocal(random);
            }
            for (int s = 0; s < 10; s++) {
                addService(random);
            }
        }

        void change(Random random) {
            int kind = random.nextInt(100);
            if (kind < 55) {
                // a backend becomes ready or not: the change the datapath must be quick at
                List<IpAddress> members = services.isEmpty() ? List.of() : pick(random, List.copyOf(services.values())).members();
                if (!members.isEmpty()) {
                    IpAddress task = pick(random, members);
                    if (!notReady.remove(task)) {
                        notReady.add(task);
                    }
                }
            } else if (kind < 62) {
                addService(random);
            } else if (kind < 68 && !services.isEmpty()) {
                services.remove(pick(random, List.copyOf(services.keySet())));
            } else if (kind < 76) {
                addRemote(pick(random, networks), random);
            } else if (kind < 83) {
                Map<IpAddress, IpAddress> tasks = remote.get(pick(random, networks).key());
                if (!tasks.isEmpty()) {
                    tasks.remove(pick(random, List.copyOf(tasks.keySet())));
                }
            } else if (kind < 88) {
                addLocal(random);
            } else if (kind < 92 && local.size() > 1) {
                local.remove(pick(random, List.copyOf(local.keySet())));
            } else if (kind < 96) {
                // a remote task moves to another node: its FDB entry changes
                Map<IpAddress, IpAddress> tasks = remote.get(pick(random, networks).key());
                if (!tasks.isEmpty()) {
                    // now and then to this node, where the VXLAN device must not reach it
                    tasks.replaceAll((a, node) -> random.nextInt(4) != 0 ? node : random.nextInt(8) == 0 ? HERE : pick(random, ELSEWHERE));
                }
            }
            // else nothing changed: the plan must be empty or the same again
        }

        NodeDatapath desired(Random random) {
            List<NetworkDatapath> nets = new ArrayList<>();
            Map<NetworkKey, List<VipRule>> rules = new HashMap<>();
            for (Network n : networks) {
                List<RemoteEndpoint> endpoints = new ArrayList<>();
                remote.get(n.key()).forEach((address, node) -> endpoints.add(new RemoteEndpoint(address, MacAddress.forTask(address), node)));
                nets.add(new NetworkDatapath(n.key(), n.vni(), n.subnet(), n.subnet().first().plus(1), 1450, false, endpoints,
                        Set.copyOf(remote.get(n.key()).values())));
                List<VipRule> forNetwork = new ArrayList<>();
                services.forEach((name, s) -> {
                    if (s.network().equals(n.key())) {
                        forNetwork.add(new VipRule(name, n.key(), s.vip(), s.members().stream().filter(this::isTask)
                                .filter(m -> !notReady.contains(m)).sorted().toList()));
                    }
                });
                // the desired state shares an unchanged list with the last one, or builds an equal one afresh
                List<VipRule> previous = lastRules.get(n.key());
                rules.put(n.key(), forNetwork.equals(previous) && random.nextBoolean() ? previous : List.copyOf(forNetwork));
            }
            lastRules.clear();
            lastRules.putAll(rules);
            List<PodDatapath> pods = new ArrayList<>();
            local.forEach((pod, addresses) -> {
                List<PodAttachment> attachments = new ArrayList<>();
                List<VipRule> vips = new ArrayList<>();
                addresses.forEach((network, address) -> {
                    attachments.add(new PodAttachment(network, "eth" + (attachments.size() + 1), address, 24, MacAddress.forTask(address), 1450));
                    vips.addAll(rules.get(network));
                });
                pods.add(new PodDatapath(pod, attachments, attachments.size() == 1 ? rules.get(attachments.get(0).network()) : vips));
            });
            return new NodeDatapath(NODE, nets, pods);
        }

        private boolean isTask(IpAddress address) {
            return remote.values().stream().anyMatch(t -> t.containsKey(address))
                    || local.values().stream().anyMatch(a -> a.containsValue(address));
        }

        private void addRemote(Network n, Random random) {
            remote.get(n.key()).put(freeAddress(n, random), pick(random, ELSEWHERE));
        }

        private void addLocal(Random random) {
            Map<NetworkKey, IpAddress> addresses = new LinkedHashMap<>();
            for (Network n : networks) {
                if (addresses.isEmpty() || random.nextInt(3) == 0) {
                    addresses.put(n.key(), freeAddress(n, random));
                }
            }
            int number = nextPod++;
            local.put(new PodRef("default", "task-" + number, "uid-" + number), addresses);
        }

        private void addService(Random random) {
            Network n = pick(random, networks);
            List<IpAddress> candidates = new ArrayList<>(remote.get(n.key()).keySet());
            local.values().forEach(a -> {
                if (a.containsKey(n.key())) {
                    candidates.add(a.get(n.key()));
                }
            });
            List<IpAddress> members = new ArrayList<>();
            for (int i = random.nextInt(4); i > 0 && !candidates.isEmpty(); i--) {
                members.add(candidates.remove(random.nextInt(candidates.size())));
            }
            services.put("svc-" + random.nextInt(1000), new Service(n.key(), IpAddress.parse("10.0." + (n.vni().value() == 4097 ? 9 : 10)
                    + "." + (200 + random.nextInt(50))), members));
        }

        private IpAddress freeAddress(Network n, Random random) {
            while (true) {
                IpAddress candidate = n.subnet().first().plus(2 + random.nextInt(190));
                if (!isTask(candidate)) {
                    return candidate;
                }
            }
        }
    }

    /**
     * The kernel as the datapath hands it to the planner: what a plan programmed comes back as the objects the plan
     * gave (the datapath's memory), network namespaces are re-read after a device change, and now and then something
     * is read afresh or has drifted.
     */
    private static final class Kernel {
        private final Map<String, NetworkNamespaceState> networks = new HashMap<>();
        private final Map<PodRef, VipTable> tables = new HashMap<>();
        private boolean devicesChanged = true;
        boolean handsBackPlannedTables;

        ActualNode actual(NodeDatapath desired, NodeDatapath before, Random random) {
            Map<PodRef, PodNamespaceState> pods = new HashMap<>();
            ActualNode now = DatapathPlannerTest.converged(before == null ? new NodeDatapath(NODE, List.of(), List.of()) : before,
                    ATTACHMENT);
            if (devicesChanged) {
                // a network is on the node while a local task is attached to it
                Set<String> used = new HashSet<>();
                if (before != null) {
                    before.pods().forEach(p -> p.attachments().forEach(a -> before.networks().stream()
                            .filter(n -> n.key().equals(a.network())).forEach(n -> used.add(NAMES.networkNamespace(n.vni())))));
                }
                networks.clear();
                now.networkNamespaces().forEach((name, state) -> {
                    if (used.contains(name)) {
                        networks.put(name, state);
                    }
                });
                devicesChanged = false;
            }
            int drift = random.nextInt(20);
            if (drift == 0 && !networks.isEmpty()) {
                // re-read: equal contents, other objects
                networks.replaceAll((name, state) -> new NetworkNamespaceState(name, state.links(), new HashMap<>(state.neighbours()),
                        new HashMap<>(state.fdb()), state.bridgeNetfilter()));
            } else if (drift == 1 && !networks.isEmpty()) {
                // someone added a neighbour and FDB entry of a task that is not ours
                networks.replaceAll((name, state) -> {
                    Map<IpAddress, MacAddress> neighbours = new HashMap<>(state.neighbours());
                    Map<MacAddress, IpAddress> fdb = new HashMap<>(state.fdb());
                    IpAddress stray = IpAddress.parse(name.endsWith("4097") ? "10.0.9.250" : "10.0.10.250");
                    neighbours.put(stray, MacAddress.forTask(stray));
                    fdb.put(MacAddress.forTask(stray), ELSEWHERE.get(0));
                    return new NetworkNamespaceState(name, state.links(), neighbours, fdb, state.bridgeNetfilter());
                });
            }
            handsBackPlannedTables = drift > 3;
            Set<PodRef> present = new HashSet<>();
            desired.pods().forEach(p -> present.add(p.pod()));
            if (before != null) {
                before.pods().forEach(p -> present.add(p.pod()));
            }
            for (PodRef pod : present) {
                PodNamespaceState programmed = now.pods().get(pod);
                VipTable table = tables.getOrDefault(pod, VipTable.ABSENT);
                if (drift == 2 && table.present()) {
                    // listed afresh: the same table, not the object the planner made
                    table = new VipTable(true, table.skeleton(), new HashMap<>(table.balanced()), table.modulus(), table.refused(),
                            table.chains(), table.maps());
                } else if (drift == 3 && !table.balanced().isEmpty()) {
                    // someone took a VIP out of the verdict map
                    Map<IpAddress, List<IpAddress>> balanced = new HashMap<>(table.balanced());
                    balanced.remove(balanced.keySet().iterator().next());
                    table = new VipTable(true, true, balanced, table.modulus(), table.refused(), table.chains(), table.maps());
                }
                Map<String, LinkState> links = programmed == null ? Map.of() : programmed.links();
                pods.put(pod, new PodNamespaceState(new NetNamespace.AtPath(Path.of("/proc/1/ns/net")), links, table));
            }
            return new ActualNode(List.of(), networks, pods, Map.of());
        }

        /** The plan ran without failure. */
        void ran(Plan plan, NodeDatapath desired) {
            devicesChanged = !plan.lines(Plan.Tool.IP).isEmpty() || !plan.lines(Plan.Tool.BRIDGE).isEmpty();
            tables.clear();
            desired.pods().forEach(p -> {
                VipTable table = plan.vipTables().get(p.pod());
                if (table != null) {
                    tables.put(p.pod(), table);
                }
            });
        }
    }

    private static <T> T pick(Random random, List<T> from) {
        return from.get(random.nextInt(from.size()));
    }
}

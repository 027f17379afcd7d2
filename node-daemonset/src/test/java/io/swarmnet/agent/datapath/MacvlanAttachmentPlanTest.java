package io.swarmnet.agent.datapath;

import static io.swarmnet.agent.datapath.DatapathPlannerTest.HOST;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.NAMES;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.NET;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.NETNS;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.WEB1;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.WEB2;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.converged;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.emptyActual;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.internalNetwork;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.ip;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.network;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.node;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.pod;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.remote;
import static io.swarmnet.agent.datapath.DatapathPlannerTest.vip;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.desired.NodeDatapath;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The planner with pods attached as macvlan children of the VXLAN device, and switching a node between the two layouts. */
class MacvlanAttachmentPlanTest {

    private static final String VXLAN = "swn-x001001";
    private static final String GATEWAY = "swn-g001001";
    private static final String BRIDGE = "swn-b001001";

    private final DatapathPlanner macvlan = new DatapathPlanner(NAMES, HOST, VxlanPort.DEFAULT, PodAttachmentMode.MACVLAN);
    private final DatapathPlanner veth = new DatapathPlanner(NAMES, HOST, VxlanPort.DEFAULT, PodAttachmentMode.VETH);

    private static NodeDatapath twoPodsOneRemote() {
        return node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.5")), pod(WEB2, "10.0.9.4")));
    }

    @Test
    void anEmptyNodeGetsAGatewayChildAndOneChildPerTaskOnTheVxlanDeviceAndNoBridge() {
        Plan plan = macvlan.plan(twoPodsOneRemote(), emptyActual(WEB1, WEB2));

        assertThat(plan.rejectedPods()).isEmpty();
        assertThat(plan.lines(Plan.Tool.IP)).containsSubsequence(
                "netns add " + NETNS,
                "link add name " + VXLAN + " type vxlan id 4097 local 192.0.2.11 dstport 4789 nolearning proxy",
                "link set dev " + VXLAN + " netns " + NETNS,
                "link set dev " + VXLAN + " nomaster mtu 1450 up",
                "link add link " + VXLAN + " name " + GATEWAY + " type macvlan mode bridge",
                "link set dev " + GATEWAY + " mtu 1450 up",
                "addr add 10.0.9.1/24 dev " + GATEWAY,
                "neigh replace 10.0.9.5 lladdr 02:42:0a:00:09:05 dev " + VXLAN + " nud permanent",
                "link add link " + VXLAN + " name eth1 address 02:42:0a:00:09:03 mtu 1450 netns /proc/1/ns/net type macvlan mode bridge",
                "link set dev eth1 alias swn:default/my-network",
                "addr add 10.0.9.3/24 dev eth1",
                "link set dev eth1 up");
        assertThat(plan.lines(Plan.Tool.IP)).noneMatch(l -> l.contains("veth") || l.contains("type bridge") || l.contains(BRIDGE));
        assertThat(plan.lines(Plan.Tool.BRIDGE)).containsExactly("fdb replace 02:42:0a:00:09:05 dev " + VXLAN + " dst 192.0.2.12 self permanent");
        // a child is made where its lower device is, straight into the pod; the rest runs in the pod
        assertThat(stepOf(plan, "link add link " + VXLAN + " name eth1").namespace()).isEqualTo(new NetNamespace.Named(NETNS));
        assertThat(stepOf(plan, "addr add 10.0.9.3/24 dev eth1").namespace()).isNotEqualTo(new NetNamespace.Named(NETNS));
    }

    @Test
    void aConvergedNodeGetsAnEmptyPlan() {
        NodeDatapath desired = twoPodsOneRemote();

        Plan plan = macvlan.plan(desired, converged(desired, PodAttachmentMode.MACVLAN));

        assertThat(plan.isEmpty()).as("%s", plan).isTrue();
        assertThat(plan.rejectedPods()).isEmpty();
    }

    @Test
    void aTaskOnAnInternalNetworkGetsItsChildInTheIsolatedGroup() {
        NodeDatapath desired = node(List.of(internalNetwork(List.of())), List.of(pod(WEB1, "10.0.9.3")));

        assertThat(macvlan.plan(desired, emptyActual(WEB1)).lines(Plan.Tool.IP))
                .contains("link set dev eth1 alias swn:default/my-network group " + KernelNames.INTERNAL_GROUP);
        assertThat(macvlan.plan(desired, converged(desired, PodAttachmentMode.MACVLAN)).isEmpty()).isTrue();
    }

    @Test
    void aVethNodeSwitchedToMacvlanLosesItsBridgeAndPortsAndGetsChildren() {
        NodeDatapath desired = twoPodsOneRemote();

        Plan plan = macvlan.plan(desired, converged(desired, PodAttachmentMode.VETH));

        List<String> lines = plan.lines(Plan.Tool.IP);
        // the pod ends of the veths go with their bridge ends: no deletion in the pods
        assertThat(lines).containsSubsequence("link del dev " + BRIDGE, "link set dev " + VXLAN + " nomaster mtu 1450 up",
                "link add link " + VXLAN + " name " + GATEWAY + " type macvlan mode bridge", "addr add 10.0.9.1/24 dev " + GATEWAY,
                "link add link " + VXLAN + " name eth1 address 02:42:0a:00:09:03 mtu 1450 netns /proc/1/ns/net type macvlan mode bridge");
        assertThat(lines).contains("link del dev " + NAMES.bridgePort(WEB1, NET), "link del dev " + NAMES.bridgePort(WEB2, NET))
                .doesNotContain("link del dev eth1");
        assertThat(phase(plan, "prune network namespaces")).hasSize(3);
        // the remote tasks' entries and the VIP table stay as they are
        assertThat(plan.lines(Plan.Tool.BRIDGE)).isEmpty();
        assertThat(plan.lines(Plan.Tool.NFT)).isEmpty();
        assertThat(lines).noneMatch(l -> l.startsWith("neigh"));
    }

    @Test
    void aMacvlanNodeSwitchedToVethDeletesTheChildrenFirstThenBuildsTheBridge() {
        NodeDatapath desired = twoPodsOneRemote();

        Plan plan = veth.plan(desired, converged(desired, PodAttachmentMode.MACVLAN));

        assertThat(plan.phases().get(0).name()).isEqualTo("remove pod interfaces");
        assertThat(phase(plan, "remove pod interfaces")).containsExactly("link del dev eth1", "link del dev eth1");
        assertThat(phase(plan, "prune network namespaces")).containsExactly("link del dev " + GATEWAY);
        assertThat(plan.lines(Plan.Tool.IP)).containsSubsequence("link add name " + BRIDGE + " type bridge",
                "addr add 10.0.9.1/24 dev " + BRIDGE, "link set dev " + VXLAN + " master " + BRIDGE + " mtu 1450 up",
                "link add name eth1 mtu 1450 address 02:42:0a:00:09:03 type veth peer name " + NAMES.bridgePort(WEB1, NET)
                        + " mtu 1450 netns " + NETNS);
        assertThat(veth.plan(desired, converged(desired, PodAttachmentMode.VETH)).isEmpty()).isTrue();
    }

    @Test
    void aRecreatedVxlanDeviceHasItsChildrenMadeAgainTheTasksDeletedFirstTheGatewaysWithTheDevice() {
        NodeDatapath desired = twoPodsOneRemote();
        ActualNode actual = withVxlan(converged(desired, PodAttachmentMode.MACVLAN),
                new LinkState.VxlanParameters(4097, ip("192.0.2.99"), 4789, false, true));

        Plan plan = macvlan.plan(desired, actual);

        // the tasks' children go in the first phase, while their lower device exists; the gateway child, in the
        // network namespace, goes with the device (deleting it after would fail)
        assertThat(plan.phases().get(0).name()).isEqualTo("remove pod interfaces");
        assertThat(phase(plan, "remove pod interfaces")).containsExactly("link del dev eth1", "link del dev eth1");
        assertThat(phase(plan, "prune network namespaces")).containsExactly("link del dev " + VXLAN);
        assertThat(plan.lines(Plan.Tool.IP)).doesNotContain("link del dev " + GATEWAY)
                .contains("link add link " + VXLAN + " name " + GATEWAY + " type macvlan mode bridge",
                        "link add link " + VXLAN + " name eth1 address 02:42:0a:00:09:04 mtu 1450 netns /proc/1/ns/net type macvlan mode bridge");
    }

    @Test
    void aTaskInterfaceOnAnotherLowerDeviceIsReplaced() {
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));
        ActualNode actual = converged(desired, PodAttachmentMode.MACVLAN);
        PodNamespaceState state = actual.pods().get(WEB1);
        Map<String, LinkState> links = new HashMap<>(state.links());
        LinkState eth1 = links.get("eth1");
        links.put("eth1", new LinkState(eth1.name(), eth1.kind(), eth1.mtu(), true, null, eth1.mac(), eth1.addresses(), eth1.alias(),
                null, eth1.group(), eth1.index(), new LinkState.Macvlan("bridge", null, 99)));
        actual = new ActualNode(List.of(), actual.networkNamespaces(),
                Map.of(WEB1, new PodNamespaceState(state.namespace(), links, state.vips())), Map.of());

        Plan plan = macvlan.plan(desired, actual);

        assertThat(phase(plan, "remove pod interfaces")).containsExactly("link del dev eth1");
        assertThat(plan.lines(Plan.Tool.IP)).contains(
                "link add link " + VXLAN + " name eth1 address 02:42:0a:00:09:03 mtu 1450 netns /proc/1/ns/net type macvlan mode bridge");
    }

    @Test
    void aFormerTaskLosesItsChildBeforeItsNetworkNamespaceGoes() {
        NodeDatapath before = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));

        Plan plan = macvlan.plan(node(List.of(network(List.of())), List.of()), converged(before, PodAttachmentMode.MACVLAN));

        // the child would vanish with its VXLAN device, and a deletion after that would fail
        assertThat(plan.lines(Plan.Tool.IP)).containsExactly("link del dev eth1", "link del dev " + VXLAN, "netns del " + NETNS);
    }

    @Test
    void aFormerTaskOfAKeptNetworkLosesOnlyItsChild() {
        NodeDatapath before = twoPodsOneRemote();
        NodeDatapath after = node(before.networks(), List.of(before.pods().get(1)));

        Plan plan = macvlan.plan(after, converged(before, PodAttachmentMode.MACVLAN));

        assertThat(plan.lines(Plan.Tool.IP)).containsExactly("link del dev eth1");
        assertThat(stepOf(plan, "link del dev eth1").namespace()).isEqualTo(converged(before, PodAttachmentMode.MACVLAN).pods()
                .get(WEB1).namespace());
    }

    private static ActualNode withVxlan(ActualNode actual, LinkState.VxlanParameters parameters) {
        NetworkNamespaceState ns = actual.networkNamespaces().get(NETNS);
        Map<String, LinkState> links = new HashMap<>(ns.links());
        LinkState vx = links.get(VXLAN);
        links.put(VXLAN, new LinkState(vx.name(), "vxlan", vx.mtu(), true, null, vx.mac(), List.of(), null, parameters,
                vx.group(), vx.index(), null));
        return new ActualNode(List.of(), Map.of(NETNS, new NetworkNamespaceState(NETNS, links, ns.neighbours(), ns.fdb(), ns.bridgeNetfilter())),
                actual.pods(), Map.of());
    }

    private static List<String> phase(Plan plan, String name) {
        return plan.phases().stream().filter(p -> p.name().equals(name)).flatMap(p -> p.steps().stream())
                .flatMap(s -> s.commands().stream()).map(Plan.Command::line).toList();
    }

    private static Plan.Step stepOf(Plan plan, String linePrefix) {
        return plan.phases().stream().flatMap(p -> p.steps().stream())
                .filter(s -> s.commands().stream().anyMatch(c -> c.line().startsWith(linePrefix))).findFirst().orElseThrow();
    }
}

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
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The planner alone: desired + actual in, commands out. No kernel. */
class DatapathPlannerTest {

    static final KernelNames NAMES = new KernelNames("swn");
    static final NetNamespace HOST = new NetNamespace.Root();
    static final NodeFacts NODE = new NodeFacts("node-1", ip("192.0.2.11"), 1500);
    static final NetworkKey NET = new NetworkKey("default", "my-network");
    static final PodRef WEB1 = new PodRef("default", "my-web.1", "uid-1");
    static final PodRef WEB2 = new PodRef("default", "my-web.2", "uid-2");
    static final String NETNS = "swn-net-4097";

    /** The veth + bridge layout, pinned: {@link MacvlanAttachmentPlanTest} has the macvlan one (the default). */
    private final DatapathPlanner planner = new DatapathPlanner(NAMES, HOST, VxlanPort.DEFAULT, PodAttachmentMode.VETH);

    @Test
    void anEmptyNodeGetsTheWholeLibnetworkLayout() {
        NodeDatapath desired = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.5"))));

        Plan plan = planner.plan(desired, emptyActual(WEB1));

        assertThat(plan.rejectedPods()).isEmpty();
        assertThat(plan.lines(Plan.Tool.IP)).containsSubsequence(
                "netns add " + NETNS,
                "link add name swn-x001001 type vxlan id 4097 local 192.0.2.11 dstport 4789 nolearning proxy",
                "link set dev swn-x001001 netns " + NETNS,
                "link add name swn-b001001 type bridge",
                "link set dev swn-b001001 mtu 1450 up",
                "addr add 10.0.9.1/24 dev swn-b001001",
                "link set dev swn-x001001 master swn-b001001 mtu 1450 up",
                "neigh replace 10.0.9.5 lladdr 02:42:0a:00:09:05 dev swn-x001001 nud permanent",
                "link add name eth1 mtu 1450 address 02:42:0a:00:09:03 type veth peer name "
                        + NAMES.bridgePort(WEB1, NET) + " mtu 1450 netns " + NETNS,
                "addr add 10.0.9.3/24 dev eth1",
                "link set dev eth1 up",
                "link set dev " + NAMES.bridgePort(WEB1, NET) + " master swn-b001001 mtu 1450 alias swn:default/my-web.1:uid-1 up");
        assertThat(plan.lines(Plan.Tool.BRIDGE)).containsExactly("fdb replace 02:42:0a:00:09:05 dev swn-x001001 dst 192.0.2.12 self permanent");
        assertThat(plan.lines(Plan.Tool.NFT)).contains(
                "add map ip swn_vip b_10_0_9_2 { typeof numgen inc mod 2 : ip daddr; }",
                "add element ip swn_vip b_10_0_9_2 { 0 : 10.0.9.3, 1 : 10.0.9.5 }",
                "add rule ip swn_vip v_10_0_9_2 dnat to numgen inc mod 2 map @b_10_0_9_2",
                "add element ip swn_vip vips { 10.0.9.2 : jump v_10_0_9_2 }");
        // the VXLAN device is created in the host namespace, before anything runs inside the network namespace
        Plan.Phase host = plan.phases().stream().filter(p -> p.name().equals("host namespace")).findFirst().orElseThrow();
        assertThat(host.steps().get(0).namespace()).isEqualTo(HOST);
    }

    @Test
    void aConvergedNodeGetsAnEmptyPlan() {
        NodeDatapath desired = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.5"))));

        Plan plan = planner.plan(desired, converged(desired));

        assertThat(plan.isEmpty()).as("%s", plan).isTrue();
        assertThat(plan.rejectedPods()).isEmpty();
    }

    private static final List<String> BRIDGE_NETFILTER_OFF = List.of("net.bridge.bridge-nf-call-iptables=0",
            "net.bridge.bridge-nf-call-ip6tables=0", "net.bridge.bridge-nf-call-arptables=0");

    @Test
    void aNetworkNamespaceMadeByThePlanHasTheBridgesNetfilterHooksSwitchedOff() {
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));

        Plan plan = planner.plan(desired, emptyActual(WEB1));

        assertThat(plan.lines(Plan.Tool.SYSCTL)).containsExactlyElementsOf(BRIDGE_NETFILTER_OFF);
        assertThat(plan.phases().stream().map(Plan.Phase::name)).containsSubsequence("create network namespaces", "bridge netfilter hooks");
        Plan.Step step = plan.phases().stream().filter(p -> p.name().equals("bridge netfilter hooks")).findFirst().orElseThrow()
                .steps().get(0);
        assertThat(step.namespace()).isEqualTo(new NetNamespace.Named(NETNS));
        // skipped when the namespace could not be made; a failure of its own is no failure of the network
        assertThat(step.commands()).allSatisfy(c -> {
            assertThat(c.owner()).isInstanceOfSatisfying(Plan.Owner.Tuning.class, t -> assertThat(t.network()).isEqualTo(NET));
            assertThat(c.requires()).containsExactly(new Plan.Owner.Network(NET));
        });
    }

    @Test
    void aNetworkNamespaceReadWithTheBridgesNetfilterHooksOnHasThemSwitchedOffAndNothingElse() {
        NodeDatapath desired = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.5"))));

        Plan plan = planner.plan(desired, withBridgeNetfilter(converged(desired), BridgeNetfilter.ON));

        assertThat(plan.lines(Plan.Tool.SYSCTL)).containsExactlyElementsOf(BRIDGE_NETFILTER_OFF);
        assertThat(plan.size()).as("%s", plan).isEqualTo(BRIDGE_NETFILTER_OFF.size());
    }

    @Test
    void aNetworkNamespaceWithoutBrNetfilterOrNotReadGetsNoSysctl() {
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));

        for (BridgeNetfilter read : List.of(BridgeNetfilter.ABSENT, BridgeNetfilter.UNKNOWN)) {
            Plan plan = planner.plan(desired, withBridgeNetfilter(converged(desired), read));

            assertThat(plan.isEmpty()).as("%s: %s", read, plan).isTrue();
        }
    }

    @Test
    void aTaskOnAnInternalNetworkHasItsInterfaceCreatedInTheIsolatedGroup() {
        NodeDatapath desired = node(List.of(internalNetwork(List.of(remote("10.0.9.5", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.5"))));

        Plan plan = planner.plan(desired, emptyActual(WEB1));

        assertThat(plan.lines(Plan.Tool.IP)).containsSubsequence(
                "link add name eth1 mtu 1450 address 02:42:0a:00:09:03 type veth peer name "
                        + NAMES.bridgePort(WEB1, NET) + " mtu 1450 netns " + NETNS,
                "link set dev eth1 alias swn:default/my-network group " + KernelNames.INTERNAL_GROUP,
                "link set dev eth1 up");
        assertThat(plan.lines(Plan.Tool.NFT)).contains(
                "add chain ip swn_vip isolate { type filter hook forward priority 0; }",
                "add rule ip swn_vip isolate meta iifgroup " + KernelNames.INTERNAL_GROUP + " drop",
                "add rule ip swn_vip isolate meta oifgroup " + KernelNames.INTERNAL_GROUP + " drop");
    }

    @Test
    void aTaskOnAPlainNetworkStaysInTheDefaultGroup() {
        NodeDatapath desired = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.5"))));

        Plan plan = planner.plan(desired, emptyActual(WEB1));

        assertThat(plan.lines(Plan.Tool.IP)).contains("link set dev eth1 alias swn:default/my-network")
                .noneMatch(l -> l.contains("group"));
    }

    @Test
    void aConvergedNodeWithAnInternalNetworkGetsAnEmptyPlan() {
        NodeDatapath desired = node(List.of(internalNetwork(List.of(remote("10.0.9.5", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.5")), pod(WEB2, "10.0.9.4")));

        Plan plan = planner.plan(desired, converged(desired));

        assertThat(plan.isEmpty()).as("%s", plan).isTrue();
        assertThat(plan.rejectedPods()).isEmpty();
    }

    @Test
    void aTaskWithoutVipsOnAnInternalNetworkStillGetsTheIsolateChain() {
        // a dnsrr-only network: no VIP rule anywhere, yet the pod must not route into or out of the network
        NodeDatapath desired = node(List.of(internalNetwork(List.of())), List.of(pod(WEB1, "10.0.9.3")));

        Plan plan = planner.plan(desired, emptyActual(WEB1));

        assertThat(plan.lines(Plan.Tool.NFT)).contains("add table ip swn_vip",
                "add rule ip swn_vip isolate meta iifgroup " + KernelNames.INTERNAL_GROUP + " drop");
    }

    @Test
    void switchingALiveNetworkToInternalOnlyMovesItsTasksInterfacesIntoTheGroup() {
        List<RemoteEndpoint> remotes = List.of(remote("10.0.9.5", "192.0.2.12"));
        List<PodDatapath> pods = List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.5")), pod(WEB2, "10.0.9.4"));
        NodeDatapath plain = node(List.of(network(remotes)), pods);
        NodeDatapath internal = node(List.of(internalNetwork(remotes)), pods);

        Plan on = planner.plan(internal, converged(plain));
        Plan off = planner.plan(plain, converged(internal));

        // nothing is recreated, so the tasks' connections on the network go on
        assertThat(on.lines(Plan.Tool.IP)).containsExactly("link set dev eth1 group " + KernelNames.INTERNAL_GROUP,
                "link set dev eth1 group " + KernelNames.INTERNAL_GROUP);
        assertThat(on.size()).isEqualTo(2);
        assertThat(off.lines(Plan.Tool.IP)).containsExactly("link set dev eth1 group 0", "link set dev eth1 group 0");
        assertThat(off.size()).isEqualTo(2);
    }

    @Test
    void aBackendLeavingAVipHasItsFlowsDeletedAfterTheTransactionThatRemovesIt() {
        // 10.0.9.5 is gone: no longer a task of the network
        NodeDatapath before = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12"), remote("10.0.9.6", "192.0.2.13")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.5", "10.0.9.6"))));
        NodeDatapath after = node(List.of(network(List.of(remote("10.0.9.6", "192.0.2.13")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.6"))));

        Plan plan = planner.plan(after, converged(before));

        assertThat(plan.lines(Plan.Tool.CONNTRACK)).containsExactly("delete orig-dst 10.0.9.2 reply-src 10.0.9.5");
        List<String> phases = plan.phases().stream().map(Plan.Phase::name).toList();
        assertThat(phases.indexOf("flows to removed VIP backends")).isGreaterThan(phases.indexOf("VIP load balancing"));
        Plan.Command deletion = plan.phases().get(phases.indexOf("flows to removed VIP backends")).steps().get(0).commands().get(0);
        assertThat(deletion.requires()).as("skipped when the pod's nft transaction failed").containsExactly(new Plan.Owner.Pod(WEB1));
    }

    @Test
    void aBackendThatIsOnlyNotReadyKeepsItsTcpConnections() {
        // 10.0.9.5 left the VIP but is still a task of the network (not ready): UDP moves, TCP may finish
        NodeDatapath before = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.5"))));
        NodeDatapath after = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3"))));

        Plan plan = planner.plan(after, converged(before));

        assertThat(plan.lines(Plan.Tool.CONNTRACK)).containsExactly("delete orig-dst 10.0.9.2 reply-src 10.0.9.5 keep-tcp");
    }

    @Test
    void aTaskThatLeftAVipNotReadyHasItsTcpConnectionsCutWhenItLeavesTheNetwork() {
        // 10.0.9.5 on another node and the local pod WEB2 (10.0.9.4) were only not ready; now both are gone
        NodeDatapath before = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12"), remote("10.0.9.6", "192.0.2.13")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.6")), pod(WEB2, "10.0.9.4", vip("10.0.9.2", "10.0.9.6"))));
        NodeDatapath after = node(List.of(network(List.of(remote("10.0.9.6", "192.0.2.13")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.6"))));

        Plan plan = planner.plan(after, converged(before));

        assertThat(plan.lines(Plan.Tool.CONNTRACK)).containsExactly(
                "delete orig-dst 10.0.9.2 reply-src 10.0.9.4", "delete orig-dst 10.0.9.2 reply-src 10.0.9.5");
    }

    @Test
    void aVipLosingItsLastBackendOrLeavingThePodHasAllItsFlowsDeleted() {
        VipRule web = vip("10.0.9.2", "10.0.9.5");
        VipRule api = new VipRule("my-api", NET, ip("10.0.9.20"), List.of(ip("10.0.9.6")));
        NodeDatapath before = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12"), remote("10.0.9.6", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", web, api)));
        NodeDatapath after = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2"))));

        Plan plan = planner.plan(after, converged(before));

        // both tasks are gone from the network too: whatever VIP of the network reached them
        assertThat(plan.lines(Plan.Tool.CONNTRACK)).containsExactly("delete orig-dst 10.0.9.2 reply-src 10.0.9.5",
                "delete orig-dst 10.0.9.2 reply-src 10.0.9.6", "delete orig-dst 10.0.9.20 reply-src 10.0.9.6");
    }

    @Test
    void aBackendJoiningAVipDeletesNoFlows() {
        NodeDatapath before = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3"))));
        NodeDatapath after = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12")))),
                List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3", "10.0.9.5"))));

        Plan plan = planner.plan(after, converged(before));

        assertThat(plan.lines(Plan.Tool.NFT)).isNotEmpty();
        assertThat(plan.lines(Plan.Tool.CONNTRACK)).isEmpty();
    }

    @Test
    void aRemoteTaskChangeTouchesOnlyItsNeighbourAndFdbEntries() {
        NodeDatapath before = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12"), remote("10.0.9.6", "192.0.2.13")))),
                List.of(pod(WEB1, "10.0.9.3")));
        NodeDatapath after = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12"), remote("10.0.9.7", "192.0.2.13")))),
                List.of(pod(WEB1, "10.0.9.3")));

        Plan plan = planner.plan(after, converged(before));

        assertThat(plan.lines(Plan.Tool.IP)).containsExactly(
                "neigh replace 10.0.9.7 lladdr 02:42:0a:00:09:07 dev swn-x001001 nud permanent",
                "neigh del 10.0.9.6 dev swn-x001001");
        assertThat(plan.lines(Plan.Tool.BRIDGE)).containsExactly(
                "fdb replace 02:42:0a:00:09:07 dev swn-x001001 dst 192.0.2.13 self permanent",
                "fdb del 02:42:0a:00:09:06 dev swn-x001001 dst 192.0.2.13 self");
        assertThat(plan.lines(Plan.Tool.NFT)).isEmpty();
    }

    @Test
    void theLastLocalTaskLeavingRemovesTheNetworkNamespace() {
        NodeDatapath before = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));
        NodeDatapath after = node(List.of(network(List.of())), List.of());

        Plan plan = planner.plan(after, converged(before));

        assertThat(plan.lines(Plan.Tool.IP)).containsExactly("link del dev swn-x001001", "netns del " + NETNS);
    }

    @Test
    void aPodLeavingLosesItsBridgePortWhileTheOthersStay() {
        NodeDatapath before = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3"), pod(WEB2, "10.0.9.4")));
        NodeDatapath after = node(List.of(network(List.of())), List.of(pod(WEB2, "10.0.9.4")));

        Plan plan = planner.plan(after, converged(before));

        assertThat(plan.lines(Plan.Tool.IP)).containsExactly("link del dev " + NAMES.bridgePort(WEB1, NET));
    }

    @Test
    void aFormerPodKeepingItsNamespaceLosesAnOrphanedInterfaceAndItsVipTable() {
        NodeDatapath before = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3", vip("10.0.9.2", "10.0.9.3"))));
        ActualNode converged = converged(before);
        // the network namespace is gone (so is the bridge port), the pod's namespace still has our interface
        ActualNode actual = new ActualNode(List.of(), Map.of(), converged.pods(), Map.of());

        Plan plan = planner.plan(node(List.of(), List.of()), actual);

        assertThat(plan.lines(Plan.Tool.IP)).containsExactly("link del dev eth1");
        assertThat(plan.lines(Plan.Tool.NFT)).containsExactly("delete table ip swn_vip");
    }

    @Test
    void aPodWhoseNamespaceIsMissingIsReportedAndTheOthersAreProgrammed() {
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3"), pod(WEB2, "10.0.9.4")));
        ActualNode actual = emptyActual(WEB2);
        actual = new ActualNode(List.of(), Map.of(), actual.pods(),
                Map.of(WEB1, "pod default/my-web.1 (uid uid-1): network namespace not found"));

        Plan plan = planner.plan(desired, actual);

        assertThat(plan.rejectedPods()).containsOnlyKeys(WEB1);
        assertThat(plan.rejectedPods().get(WEB1)).contains("default/my-web.1").contains("not found");
        assertThat(plan.lines(Plan.Tool.IP)).anyMatch(l -> l.contains("10.0.9.4/24 dev eth1"));
        assertThat(plan.lines(Plan.Tool.IP)).noneMatch(l -> l.contains("10.0.9.3"));
    }

    @Test
    void aDeviceTheUserAlreadyHasIsAClashNotOverwritten() {
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));
        LinkState foreign = new LinkState("eth1", "veth", 1500, true, null, MacAddress.parse("02:00:00:00:00:01"), List.of(), null, null);
        ActualNode actual = actualWithPodLinks(WEB1, Map.of("eth1", foreign));

        Plan plan = planner.plan(desired, actual);

        assertThat(plan.rejectedPods().get(WEB1)).contains("device name clash").contains("eth1").contains("default/my-web.1");
        assertThat(plan.lines(Plan.Tool.IP)).noneMatch(l -> l.contains("eth1"));
    }

    @Test
    void aDeviceOfOursLeftUnfinishedByAFailedRoundIsReplacedNotAClash() {
        // moved into the pod, then the round failed before its alias was set: no alias, the task's own MAC address
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));
        LinkState unfinished = new LinkState("eth1", "macvlan", 1450, false, null, MacAddress.forTask(ip("10.0.9.3")), List.of(), null, null);
        ActualNode actual = actualWithPodLinks(WEB1, Map.of("eth1", unfinished));

        Plan plan = planner.plan(desired, actual);

        assertThat(plan.rejectedPods()).doesNotContainKey(WEB1);
        assertThat(plan.lines(Plan.Tool.IP)).contains("link del dev eth1").anyMatch(l -> l.contains("10.0.9.3/24 dev eth1"))
                .anyMatch(l -> l.contains("dev eth1 alias"));
        // another MAC address, or an alias not ours: the user's device, a clash as before
        LinkState users = new LinkState("eth1", "macvlan", 1450, false, null, MacAddress.parse("02:00:00:00:00:01"), List.of(), null, null);
        assertThat(planner.plan(desired, actualWithPodLinks(WEB1, Map.of("eth1", users))).rejectedPods().get(WEB1)).contains("device name clash");
    }

    @Test
    void anAddressAlreadyPresentInThePodIsReported() {
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));
        LinkState eth0 = new LinkState("eth0", "veth", 1500, true, null, MacAddress.parse("02:00:00:00:00:01"),
                List.of(new LinkState.InterfaceAddress(ip("10.0.9.3"), 16)), null, null);

        Plan plan = planner.plan(desired, actualWithPodLinks(WEB1, Map.of("eth0", eth0)));

        assertThat(plan.rejectedPods().get(WEB1)).contains("address 10.0.9.3 is already present on device eth0");
    }

    @Test
    void twoPodsClaimingOneAddressKeepTheFirst() {
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3"), pod(WEB2, "10.0.9.3")));

        Plan plan = planner.plan(desired, emptyActual(WEB1, WEB2));

        assertThat(plan.rejectedPods()).containsOnlyKeys(WEB2);
        assertThat(plan.rejectedPods().get(WEB2)).contains("already used by pod default/my-web.1");
    }

    @Test
    void twoNetworksWithOneVniKeepTheFirst() {
        NetworkKey other = new NetworkKey("default", "other");
        NetworkDatapath dup = new NetworkDatapath(other, new Vni(4097), Cidr.parse("10.0.10.0/24"), ip("10.0.10.1"), 1450, false,
                List.of(), Set.of());
        PodRef p3 = new PodRef("default", "other.1", "uid-3");
        PodDatapath onOther = new PodDatapath(p3, List.of(new PodAttachment(other, "eth1", ip("10.0.10.3"), 24,
                MacAddress.forTask(ip("10.0.10.3")), 1450)), List.of());
        NodeDatapath desired = node(List.of(network(List.of()), dup), List.of(pod(WEB1, "10.0.9.3"), onOther));

        Plan plan = planner.plan(desired, emptyActual(WEB1, p3));

        assertThat(plan.rejectedNetworks().get(other)).contains("VXLAN id 4097 is also used by network default/my-network");
        assertThat(plan.rejectedPods().get(p3)).contains("network default/other is not programmed");
        assertThat(plan.rejectedPods()).doesNotContainKey(WEB1);
    }

    @Test
    void aNetworkWithoutLocalTasksIsNotCreated() {
        NodeDatapath desired = node(List.of(network(List.of(remote("10.0.9.5", "192.0.2.12")))), List.of());

        assertThat(planner.plan(desired, emptyActual()).isEmpty()).isTrue();
    }

    @Test
    void aWronglyConfiguredVxlanDeviceIsReplacedNotPatched() {
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));
        ActualNode actual = converged(desired);
        NetworkNamespaceState ns = actual.networkNamespaces().get(NETNS);
        Map<String, LinkState> links = new HashMap<>(ns.links());
        LinkState vx = links.get("swn-x001001");
        links.put("swn-x001001", new LinkState(vx.name(), "vxlan", 1450, true, "swn-b001001", vx.mac(), List.of(), null,
                new LinkState.VxlanParameters(4097, ip("192.0.2.99"), 4789, true, true)));
        actual = new ActualNode(List.of(), Map.of(NETNS, new NetworkNamespaceState(NETNS, links, Map.of(), Map.of(), ns.bridgeNetfilter())),
                actual.pods(), Map.of());

        Plan plan = planner.plan(desired, actual);

        assertThat(plan.lines(Plan.Tool.IP)).containsSubsequence("link del dev swn-x001001",
                "link add name swn-x001001 type vxlan id 4097 local 192.0.2.11 dstport 4789 nolearning proxy",
                "link set dev swn-x001001 netns " + NETNS, "link set dev swn-x001001 master swn-b001001 mtu 1450 up");
        assertThat(plan.lines(Plan.Tool.IP)).noneMatch(l -> l.contains("eth1"));
    }

    @Test
    void aStrayVxlanDeviceLeftInTheHostNamespaceIsDeleted() {
        LinkState stray = new LinkState("swn-x001001", "vxlan", 1450, false, null, null, List.of(), null,
                new LinkState.VxlanParameters(4097, ip("192.0.2.11"), 4789, false, true));
        ActualNode actual = new ActualNode(List.of(stray), Map.of(), Map.of(), Map.of());

        Plan plan = planner.plan(node(List.of(), List.of()), actual);

        assertThat(plan.lines(Plan.Tool.IP)).containsExactly("link del dev swn-x001001");
    }

    @Test
    void theVxlanDeviceUsesTheConfiguredPort() {
        DatapathPlanner onOtherPort = new DatapathPlanner(NAMES, HOST, new VxlanPort(4790), PodAttachmentMode.VETH);
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));

        assertThat(onOtherPort.plan(desired, emptyActual(WEB1)).lines(Plan.Tool.IP))
                .contains("link add name swn-x001001 type vxlan id 4097 local 192.0.2.11 dstport 4790 nolearning proxy");
        // a device on the default port is on the wrong port now: replaced, not kept
        assertThat(onOtherPort.plan(desired, converged(desired)).lines(Plan.Tool.IP)).containsSubsequence("link del dev swn-x001001",
                "link add name swn-x001001 type vxlan id 4097 local 192.0.2.11 dstport 4790 nolearning proxy");
    }

    @Test
    void aForeignDeviceHoldingTheNetworksIdOnOurPortFailsTheNetworkNamingTheDevice() {
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));
        ActualNode actual = withForeign(emptyActual(WEB1), foreignVxlan("vxlan.calico", 4097, 4789));

        Plan plan = planner.plan(desired, actual);

        assertThat(plan.rejectedNetworks().get(NET)).contains("default/my-network", "VXLAN id 4097", "vxlan.calico", "VNI 4097",
                "dstport 4789", "did not create", "spec.vxlanId", "network.vxlanIdRange", "network.dataPathPort");
        assertThat(plan.rejectedPods().get(WEB1)).contains("default/my-network", "vxlan.calico");
        assertThat(plan.lines(Plan.Tool.IP)).noneMatch(l -> l.contains("type vxlan"));
    }

    @Test
    void aNetworkWhoseMtuNoLinuxDeviceTakesFailsWithItsPodsNamingTheRange() {
        NodeDatapath desired = node(List.of(new NetworkDatapath(NET, new Vni(4097), Cidr.parse("10.0.9.0/24"), ip("10.0.9.1"), 67, false,
                List.of(), Set.of())), List.of(pod(WEB1, "10.0.9.3")));

        Plan plan = planner.plan(desired, emptyActual(WEB1));

        assertThat(plan.rejectedNetworks().get(NET)).isEqualTo("network default/my-network: mtu 67 is outside 68..65535; fix spec.mtu or "
                + "the underlay MTU");
        assertThat(plan.rejectedPods().get(WEB1)).contains("default/my-network", "outside 68..65535");
    }

    @Test
    void aForeignDeviceWithAnotherIdOrPortLeavesTheNetworkAlone() {
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));
        // Calico's VNI on our port, flannel's device with our VNI on its own port: the kernel accepts ours beside both
        ActualNode actual = withForeign(emptyActual(WEB1), foreignVxlan("vxlan.calico", 4096, 4789), foreignVxlan("flannel.1", 4097, 8472));

        Plan plan = planner.plan(desired, actual);

        assertThat(plan.rejectedNetworks()).isEmpty();
        assertThat(plan.lines(Plan.Tool.IP)).contains("link add name swn-x001001 type vxlan id 4097 local 192.0.2.11 dstport 4789 nolearning proxy");
    }

    @Test
    void aNetworkWhoseDeviceAlreadyWorksIsNotTornDownForAForeignDevice() {
        NodeDatapath desired = node(List.of(network(List.of())), List.of(pod(WEB1, "10.0.9.3")));
        ActualNode actual = withForeign(converged(desired), foreignVxlan("gbp0", 4097, 4789));

        Plan plan = planner.plan(desired, actual);

        assertThat(plan.rejectedNetworks()).isEmpty();
        assertThat(plan.isEmpty()).as("%s", plan).isTrue();
    }

    // --- builders --------------------------------------------------------------------------------------------

    static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    static NodeDatapath node(List<NetworkDatapath> networks, List<PodDatapath> pods) {
        return new NodeDatapath(NODE, networks, pods);
    }

    static NetworkDatapath network(List<RemoteEndpoint> remotes) {
        return new NetworkDatapath(NET, new Vni(4097), Cidr.parse("10.0.9.0/24"), ip("10.0.9.1"), 1450, false, remotes,
                Set.copyOf(remotes.stream().map(RemoteEndpoint::vtep).toList()));
    }

    static NetworkDatapath internalNetwork(List<RemoteEndpoint> remotes) {
        return new NetworkDatapath(NET, new Vni(4097), Cidr.parse("10.0.9.0/24"), ip("10.0.9.1"), 1450, false, remotes,
                Set.copyOf(remotes.stream().map(RemoteEndpoint::vtep).toList()), true);
    }

    static RemoteEndpoint remote(String address, String vtep) {
        return new RemoteEndpoint(ip(address), MacAddress.forTask(ip(address)), ip(vtep));
    }

    static VipRule vip(String vip, String... backends) {
        return new VipRule("my-web", NET, ip(vip), List.of(backends).stream().map(IpAddress::parse).toList());
    }

    static PodDatapath pod(PodRef ref, String address, VipRule... vips) {
        return new PodDatapath(ref, List.of(new PodAttachment(NET, "eth1", ip(address), 24, MacAddress.forTask(ip(address)), 1450)),
                List.of(vips));
    }

    static ActualNode emptyActual(PodRef... pods) {
        Map<PodRef, PodNamespaceState> states = new HashMap<>();
        for (PodRef p : pods) {
            states.put(p, new PodNamespaceState(new NetNamespace.AtPath(Path.of("/proc/1/ns/net")), Map.of("lo", lo()), VipTable.ABSENT));
        }
        return new ActualNode(List.of(), Map.of(), states, Map.of());
    }

    private static ActualNode actualWithPodLinks(PodRef pod, Map<String, LinkState> links) {
        Map<String, LinkState> all = new HashMap<>(links);
        all.put("lo", lo());
        return new ActualNode(List.of(), Map.of(), Map.of(pod, new PodNamespaceState(new NetNamespace.AtPath(Path.of("/proc/1/ns/net")),
                all, VipTable.ABSENT)), Map.of());
    }

    /** {@code actual} with every network namespace read with {@code bridgeNetfilter}. */
    private static ActualNode withBridgeNetfilter(ActualNode actual, BridgeNetfilter bridgeNetfilter) {
        Map<String, NetworkNamespaceState> namespaces = new HashMap<>();
        actual.networkNamespaces().forEach((name, n) -> namespaces.put(name,
                new NetworkNamespaceState(name, n.links(), n.neighbours(), n.fdb(), bridgeNetfilter)));
        return new ActualNode(actual.hostVxlans(), namespaces, actual.pods(), actual.missingPods(), actual.foreignVxlans());
    }

    private static LinkState foreignVxlan(String name, int vni, int port) {
        return new LinkState(name, "vxlan", 1450, true, null, MacAddress.parse("02:00:00:00:00:cc"), List.of(), null,
                new LinkState.VxlanParameters(vni, ip("192.0.2.11"), port, false, false));
    }

    private static ActualNode withForeign(ActualNode actual, LinkState... foreign) {
        return new ActualNode(actual.hostVxlans(), actual.networkNamespaces(), actual.pods(), actual.missingPods(), List.of(foreign));
    }

    static LinkState lo() {
        return new LinkState("lo", "", 65536, true, null, MacAddress.parse("00:00:00:00:00:00"),
                List.of(new LinkState.InterfaceAddress(ip("127.0.0.1"), 8)), null, null);
    }

    /** The actual state a correct apply of {@code desired} by {@link #planner} (veth + bridge) leaves: what the kernel would report back. */
    static ActualNode converged(NodeDatapath desired) {
        return converged(desired, PodAttachmentMode.VETH);
    }

    /** The VXLAN device's index in its network namespace, as converged state reports it. */
    static final int VXLAN_INDEX = 3;

    /** The same, with the pods attached as {@code mode} has them. */
    static ActualNode converged(NodeDatapath desired, PodAttachmentMode mode) {
        boolean macvlan = mode == PodAttachmentMode.MACVLAN;
        Map<String, NetworkNamespaceState> namespaces = new HashMap<>();
        Map<PodRef, PodNamespaceState> pods = new HashMap<>();
        for (NetworkDatapath n : desired.networks()) {
            String bridge = NAMES.bridge(n.vni());
            String vxlan = NAMES.vxlan(n.vni());
            Map<String, LinkState> links = new HashMap<>();
            List<LinkState.InterfaceAddress> gateway = List.of(new LinkState.InterfaceAddress(n.gateway(), n.subnet().prefixLength()));
            if (macvlan) {
                String child = NAMES.gateway(n.vni());
                links.put(child, new LinkState(child, "macvlan", n.mtu(), true, null, MacAddress.parse("02:00:00:00:00:aa"), gateway,
                        null, null, LinkState.DEFAULT_GROUP, 4, new LinkState.Macvlan("bridge", vxlan, 0)));
            } else {
                links.put(bridge, new LinkState(bridge, "bridge", n.mtu(), true, null, MacAddress.parse("02:00:00:00:00:aa"), gateway,
                        null, null));
            }
            links.put(vxlan, new LinkState(vxlan, "vxlan", n.mtu(), true, macvlan ? null : bridge, MacAddress.parse("02:00:00:00:00:bb"),
                    List.of(), null, new LinkState.VxlanParameters(n.vni().value(), desired.node().underlayAddress(), 4789, false, true),
                    LinkState.DEFAULT_GROUP, VXLAN_INDEX, null));
            Map<IpAddress, MacAddress> neigh = new HashMap<>();
            Map<MacAddress, IpAddress> fdb = new HashMap<>();
            n.remoteEndpoints().forEach(r -> {
                neigh.put(r.address(), r.mac());
                fdb.put(r.mac(), r.vtep());
            });
            for (PodDatapath p : desired.pods()) {
                for (PodAttachment a : p.attachments()) {
                    if (a.network().equals(n.key()) && !macvlan) {
                        String port = NAMES.bridgePort(p.pod(), n.key());
                        links.put(port, new LinkState(port, "veth", a.mtu(), true, bridge, MacAddress.parse("02:00:00:00:00:cc"),
                                List.of(), NAMES.bridgePortAlias(p.pod()), null));
                    }
                }
            }
            String ns = NAMES.networkNamespace(n.vni());
            // on a node with br_netfilter, as the datapath leaves it
            namespaces.put(ns, new NetworkNamespaceState(ns, links, neigh, fdb, BridgeNetfilter.OFF));
        }
        Map<NetworkKey, Boolean> internal = new HashMap<>();
        desired.networks().forEach(n -> internal.put(n.key(), n.internal()));
        for (PodDatapath p : desired.pods()) {
            Map<String, LinkState> links = new HashMap<>();
            links.put("lo", lo());
            for (PodAttachment a : p.attachments()) {
                int group = internal.getOrDefault(a.network(), false) ? KernelNames.INTERNAL_GROUP : LinkState.DEFAULT_GROUP;
                links.put(a.interfaceName(), new LinkState(a.interfaceName(), macvlan ? "macvlan" : "veth", a.mtu(), true, null, a.mac(),
                        List.of(new LinkState.InterfaceAddress(a.address(), a.prefixLength())), NAMES.podInterfaceAlias(a.network()), null,
                        group, 2, macvlan ? new LinkState.Macvlan("bridge", null, VXLAN_INDEX) : null));
            }
            Map<IpAddress, List<IpAddress>> balanced = new HashMap<>();
            Map<IpAddress, Integer> modulus = new HashMap<>();
            List<String> chains = new ArrayList<>();
            List<String> maps = new ArrayList<>();
            for (VipRule v : p.vips()) {
                balanced.put(v.vip(), v.backends());
                modulus.put(v.vip(), v.backends().size());
                chains.add(NAMES.vipChain(v.vip()));
                maps.add(NAMES.backendMap(v.vip()));
            }
            // every attached pod keeps the table, VIPs or not: its isolate chain enforces internal networks
            VipTable table = new VipTable(true, true, balanced, modulus, Set.of(), Set.copyOf(chains), Set.copyOf(maps));
            pods.put(p.pod(), new PodNamespaceState(new NetNamespace.AtPath(Path.of("/proc/1/ns/net")), links, table));
        }
        return new ActualNode(List.of(), namespaces, pods, Map.of());
    }
}

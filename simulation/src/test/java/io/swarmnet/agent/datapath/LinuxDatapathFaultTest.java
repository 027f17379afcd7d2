package io.swarmnet.agent.datapath;

import static io.swarmnet.agent.datapath.Topology.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.datapath.Plan.Command;
import io.swarmnet.agent.datapath.Plan.Owner;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedPod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Bad input and kernel faults: each is reported against the pod or network it concerns, and the rest works. */
@Tag("kernel")
class LinuxDatapathFaultTest {

    private SimulatedCluster cluster;
    private LinuxDatapath node1;
    private Topology.Node topoNode1;
    private final Topology topology = new Topology();
    private Topology.Network net;

    @BeforeEach
    void start() {
        KernelAvailability.assumeKernelTestsCanRun("ip", "bridge", "nft", "nsenter", "busybox");
        cluster = SimulatedCluster.start(2);
        node1 = cluster.datapath(cluster.node(1));
        topoNode1 = new Topology.Node("node-1", cluster.node(1).underlayAddress(), 1500);
        net = topology.network("faults", 4301, "10.231.0.0/24");
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            node1.close();
            cluster.close();
            assertThat(cluster.leftovers()).isEmpty();
        }
    }

    @Test
    void aPodWhoseNamespaceCannotBeFoundIsReportedAndAttachedOnceItAppears() {
        SimulatedPod healthy = createAndPlace(pod("healthy"), "10.231.0.11");
        topology.task(pod("late"), topoNode1, net, "10.231.0.12"); // no namespace yet

        ApplyReport report = node1.apply(topology.desired(topoNode1));

        assertThat(report.attachedPods()).containsExactly(pod("healthy"));
        assertThat(report.podFailures().get(pod("late"))).contains("default/late").contains("network namespace not found");
        assertThat(cluster.exec(healthy, "busybox", "ping", "-c", "1", "-W", "2", "10.231.0.1").ok()).isTrue();

        SimulatedPod late = cluster.createPod(cluster.node(1), pod("late"));
        ApplyReport retry = node1.apply(topology.desired(topoNode1));
        assertThat(retry.complete()).as("%s", retry).isTrue();
        assertThat(cluster.exec(late, "busybox", "ping", "-c", "1", "-W", "2", "10.231.0.11").ok()).isTrue();
    }

    @Test
    void aDeviceNameTheUserAlreadyHasIsReportedAndLeftAlone() {
        createAndPlace(pod("healthy"), "10.231.0.11");
        SimulatedPod clash = createAndPlace(pod("clash"), "10.231.0.12");
        assertThat(cluster.exec(clash, "ip", "link", "add", "eth1", "type", "bridge").ok()).isTrue();

        ApplyReport report = node1.apply(topology.desired(topoNode1));

        assertThat(report.attachedPods()).containsExactly(pod("healthy"));
        assertThat(report.podFailures().get(pod("clash"))).contains("default/clash").contains("device name clash").contains("eth1");
        assertThat(cluster.exec(clash, "ip", "-d", "link", "show", "eth1").stdout()).contains("bridge");
        assertThat(report.networkFailures()).isEmpty();
    }

    @Test
    void aDeviceOfOursLeftWithoutItsAliasByAnInterruptedRoundIsReplacedAndThePodAttached() {
        createAndPlace(pod("healthy"), "10.231.0.11");
        SimulatedPod interrupted = createAndPlace(pod("interrupted"), "10.231.0.12");
        // what a round that failed after moving the task's device into the pod leaves: the name, the task's MAC, no alias
        String mac = io.swarmnet.api.net.MacAddress.forTask(io.swarmnet.api.net.IpAddress.parse("10.231.0.12")).toString();
        assertThat(cluster.exec(interrupted, "ip", "link", "add", "eth1", "address", mac, "type", "veth", "peer", "name", "eth1p").ok()).isTrue();

        ApplyReport report = node1.apply(topology.desired(topoNode1));

        assertThat(report.complete()).as("%s", report).isTrue();
        assertThat(cluster.exec(interrupted, "ip", "-d", "link", "show", "eth1").stdout()).as("replaced by the attachment's device")
                .contains("macvlan").contains("alias");
        assertThat(cluster.exec(interrupted, "busybox", "ping", "-c", "1", "-W", "2", "10.231.0.11").ok()).isTrue();
    }

    @Test
    void anAddressAlreadyPresentIsReported() {
        createAndPlace(pod("healthy"), "10.231.0.11");
        SimulatedPod taken = createAndPlace(pod("taken"), "10.231.0.12");
        assertThat(cluster.exec(taken, "ip", "addr", "add", "10.231.0.12/32", "dev", "lo").ok()).isTrue();

        ApplyReport report = node1.apply(topology.desired(topoNode1));

        assertThat(report.attachedPods()).containsExactly(pod("healthy"));
        assertThat(report.podFailures().get(pod("taken"))).contains("default/taken").contains("10.231.0.12 is already present on device lo");
    }

    @Test
    void aFailedNftTransactionChangesNothingInThatPodAndDoesNotStopOthers() {
        SimulatedPod a = cluster.createPod(cluster.node(1), pod("a"));
        SimulatedPod b = cluster.createPod(cluster.node(1), pod("b"));
        KernelTools tools = new KernelTools();
        var pool = Executors.newFixedThreadPool(2);
        try {
            PlanExecutor executor = new PlanExecutor(tools, new ConntrackTable(java.time.Duration.ofSeconds(5)), pool);
            Owner ownerA = new Owner.Pod(pod("a"));
            Owner ownerB = new Owner.Pod(pod("b"));
            List<Command> bad = new ArrayList<>();
            bad.add(new Command("add table ip " + cluster.node(1).datapathPrefix() + "_vip", ownerA));
            bad.add(new Command("delete element ip " + cluster.node(1).datapathPrefix() + "_vip vips { 10.9.9.9 }", ownerA));
            List<Command> good = List.of(new Command("add table ip " + cluster.node(1).datapathPrefix() + "_vip", ownerB));
            Plan plan = new Plan(List.of(new Plan.Phase("VIP load balancing", List.of(
                    new Plan.Step(Plan.Tool.NFT, NetNamespace.of(a.namespacePath()), bad),
                    new Plan.Step(Plan.Tool.NFT, NetNamespace.of(b.namespacePath()), good)))), Map.of(), Map.of());

            PlanExecutor.Outcome outcome = executor.execute(plan);

            assertThat(outcome.failures()).containsOnlyKeys(ownerA);
            assertThat(outcome.failures().get(ownerA)).contains("pod default/a").contains("nothing applied");
            assertThat(outcome.changes()).isEqualTo(1);
            assertThat(cluster.exec(a, "nft", "list", "tables").stdout()).as("atomic: the table of the failed transaction is absent").isBlank();
            assertThat(cluster.exec(b, "nft", "list", "tables").stdout()).contains("_vip");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailingLineInAnIpBatchIsChargedToItsOwnerOnly() {
        SimulatedPod a = cluster.createPod(cluster.node(1), pod("a"));
        KernelTools tools = new KernelTools();
        var pool = Executors.newFixedThreadPool(1);
        try {
            Owner ownerA = new Owner.Pod(pod("a"));
            Owner ownerB = new Owner.Pod(pod("b"));
            Plan plan = new Plan(List.of(new Plan.Phase("pods", List.of(new Plan.Step(Plan.Tool.IP, NetNamespace.of(a.namespacePath()), List.of(
                    new Command("link set dev nosuchdevice up", ownerA),
                    new Command("addr add 10.232.0.5/32 dev lo", ownerB)))))), Map.of(), Map.of());

            PlanExecutor.Outcome outcome = new PlanExecutor(tools, new ConntrackTable(java.time.Duration.ofSeconds(5)), pool).execute(plan);

            assertThat(outcome.failures()).containsOnlyKeys(ownerA);
            assertThat(outcome.failures().get(ownerA)).contains("nosuchdevice").contains("Cannot find device");
            assertThat(cluster.exec(a, "ip", "addr", "show", "dev", "lo").stdout()).contains("10.232.0.5");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void flowsThatCannotBeDeletedAreChargedToTheirPod() {
        SimulatedPod a = cluster.createPod(cluster.node(1), pod("a"));
        NetNamespace vanished = NetNamespace.of(a.namespacePath());
        cluster.deletePod(pod("a"));
        var pool = Executors.newFixedThreadPool(1);
        try {
            Owner ownerA = new Owner.Pod(pod("a"));
            Plan plan = new Plan(List.of(new Plan.Phase("flows", List.of(new Plan.Step(Plan.Tool.CONNTRACK, vanished,
                    List.of(new Command("delete orig-dst 10.232.0.2 reply-src 10.232.0.5", ownerA)))))), Map.of(), Map.of());

            PlanExecutor.Outcome outcome = new PlanExecutor(new KernelTools(), new ConntrackTable(java.time.Duration.ofSeconds(5)), pool)
                    .execute(plan);

            assertThat(outcome.failures()).containsOnlyKeys(ownerA);
            assertThat(outcome.failures().get(ownerA)).contains("removed VIP backends still receive the flows they had")
                    .contains(a.namespacePath().toString());
        } finally {
            pool.shutdownNow();
        }
    }

    private SimulatedPod createAndPlace(PodRef ref, String address) {
        topology.task(ref, topoNode1, net, address);
        return cluster.createPod(cluster.node(1), ref);
    }

}

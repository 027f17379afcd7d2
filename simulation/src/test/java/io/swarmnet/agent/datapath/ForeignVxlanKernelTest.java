package io.swarmnet.agent.datapath;

import static io.swarmnet.agent.datapath.Topology.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.agent.simulation.SimulatedPod;
import io.swarmnet.api.net.Vni;
import io.swarmnet.operator.ipam.VniAllocator;
import io.swarmnet.operator.ipam.VniRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cluster's own VXLAN beside ours (issue 13.5), on the real kernel: every simulated node holds a device we did not
 * make, as Calico's vxlan.calico is on a real node, with VNI 4096 on UDP 4789 in the node's host namespace.
 */
@Tag("kernel")
class ForeignVxlanKernelTest {

    private static final int CALICO_VNI = 4096;

    private SimulatedCluster cluster;
    private final List<LinuxDatapath> datapaths = new ArrayList<>();
    private final Topology topology = new Topology();
    private String foreignDevice;

    @BeforeEach
    void startCluster() {
        KernelAvailability.assumeKernelTestsCanRun("ip", "bridge", "nft", "nsenter", "busybox");
        cluster = SimulatedCluster.start(2);
        // named with this run's prefix (so no other run's device is touched) but not the datapath's: not ours
        foreignDevice = cluster.prefix() + "-calico";
        for (SimulatedNode node : cluster.nodes()) {
            KernelTools.Result added = cluster.execOnNode(node, "ip", "link", "add", "name", foreignDevice, "type", "vxlan",
                    "id", String.valueOf(CALICO_VNI), "local", node.underlayAddress().toString(), "dev", SimulatedNode.UNDERLAY_INTERFACE,
                    "dstport", String.valueOf(VxlanPort.DEFAULT.value()));
            assertThat(added.ok()).as("foreign VXLAN device on %s: %s", node.name(), added.describe()).isTrue();
            assertThat(cluster.execOnNode(node, "ip", "link", "set", "dev", foreignDevice, "up").ok()).isTrue();
        }
    }

    @AfterEach
    void removeEverything() {
        if (cluster == null) {
            return;
        }
        datapaths.forEach(LinuxDatapath::close);
        String prefix = cluster.prefix();
        // deleting the node namespaces deletes the foreign devices in them
        cluster.close();
        assertThat(cluster.leftovers()).as("kernel objects of run %s left behind", prefix).isEmpty();
    }

    @Test
    void anAutomaticNetworkComesUpAndCarriesTrafficBesideTheClustersVxlan() {
        Vni automatic = VniAllocator.next(VniRange.DEFAULT, Map.of()).orElseThrow();
        Topology.Network net = topology.network("auto", automatic.value(), "198.18.10.0/24");
        List<Topology.Node> nodes = startDatapaths(VxlanPort.DEFAULT);
        SimulatedPod a = place("auto-1", 1, net, "198.18.10.11", nodes);
        place("auto-2", 2, net, "198.18.10.12", nodes);

        applyAndExpectComplete(nodes);

        KernelTools.Result ping = cluster.exec(a, "busybox", "ping", "-c", "1", "-W", "2", "198.18.10.12");
        assertThat(ping.ok()).as("a task pings one on the other node over VNI %s: %s", automatic, ping.describe()).isTrue();
        assertThat(foreignDeviceOn(cluster.node(1))).as("the foreign device is left as it was").contains("vxlan id " + CALICO_VNI);
    }

    @Test
    void aNetworkGivenTheForeignDevicesVniFailsWithAReportNamingTheDevice() {
        Topology.Network net = topology.network("clash", CALICO_VNI, "198.18.11.0/24");
        List<Topology.Node> nodes = startDatapaths(VxlanPort.DEFAULT);
        place("clash-1", 1, net, "198.18.11.11", nodes);

        ApplyReport report = datapaths.get(0).apply(topology.desired(nodes.get(0)));

        assertThat(report.networkFailures().get(net.key())).as("%s", report)
                .contains("default/clash", "VXLAN id " + CALICO_VNI, foreignDevice, "dstport " + VxlanPort.DEFAULT, "spec.vxlanId");
        assertThat(report.podFailures().get(pod("clash-1"))).contains(foreignDevice);
        assertThat(report.attachedPods()).isEmpty();
        assertThat(foreignDeviceOn(cluster.node(1))).contains("vxlan id " + CALICO_VNI);
    }

    @Test
    void anotherDataPathPortIsWhatTheDevicesUseAndLetsEvenTheForeignVniThrough() {
        VxlanPort port = new VxlanPort(4790);
        // the same VNI as the foreign device: on another port the kernel keeps the two apart
        Topology.Network net = topology.network("port", CALICO_VNI, "198.18.12.0/24");
        List<Topology.Node> nodes = startDatapaths(port);
        SimulatedPod a = place("port-1", 1, net, "198.18.12.11", nodes);
        place("port-2", 2, net, "198.18.12.12", nodes);

        applyAndExpectComplete(nodes);

        String networkNamespace = new KernelNames(cluster.node(1).datapathPrefix()).networkNamespace(new Vni(CALICO_VNI));
        String vxlan = new KernelNames(cluster.node(1).datapathPrefix()).vxlan(new Vni(CALICO_VNI));
        KernelTools.Result link = new KernelTools().read(new NetNamespace.Named(networkNamespace), List.of("ip", "-d", "link", "show", vxlan));
        assertThat(link.stdout()).as(link.describe()).contains("vxlan id " + CALICO_VNI).contains("dstport " + port);
        KernelTools.Result ping = cluster.exec(a, "busybox", "ping", "-c", "1", "-W", "2", "198.18.12.12");
        assertThat(ping.ok()).as("a task pings one on the other node over UDP %s: %s", port, ping.describe()).isTrue();
    }

    private List<Topology.Node> startDatapaths(VxlanPort port) {
        List<Topology.Node> nodes = new ArrayList<>();
        for (SimulatedNode node : cluster.nodes()) {
            datapaths.add(new LinuxDatapath(node.datapathConfig().withVxlanPort(port), cluster.locator(node)));
            nodes.add(new Topology.Node(node.name(), node.underlayAddress(), node.underlayMtu()));
        }
        return nodes;
    }

    private SimulatedPod place(String name, int node, Topology.Network network, String address, List<Topology.Node> nodes) {
        topology.task(pod(name), nodes.get(node - 1), network, address);
        return cluster.createPod(cluster.node(node), pod(name));
    }

    private void applyAndExpectComplete(List<Topology.Node> nodes) {
        for (int i = 0; i < nodes.size(); i++) {
            NodeDatapath desired = topology.desired(nodes.get(i));
            ApplyReport report = datapaths.get(i).apply(desired);
            assertThat(report.complete()).as("apply on %s: %s", nodes.get(i).name(), report).isTrue();
            assertThat(report.attachedPods()).hasSize(desired.pods().size());
        }
    }

    private String foreignDeviceOn(SimulatedNode node) {
        return cluster.execOnNode(node, "ip", "-d", "link", "show", foreignDevice).stdout();
    }
}

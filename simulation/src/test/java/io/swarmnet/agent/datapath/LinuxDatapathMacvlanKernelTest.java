package io.swarmnet.agent.datapath;

import static io.swarmnet.agent.datapath.Topology.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.agent.simulation.SimulatedPod;
import io.swarmnet.api.net.Vni;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every case of {@link LinuxDatapathKernelTest} with pods attached as macvlan children of the VXLAN device
 * ({@link PodAttachmentMode#MACVLAN}, the default), and the switch of live nodes between the two layouts.
 */
@Tag("kernel")
class LinuxDatapathMacvlanKernelTest extends LinuxDatapathKernelTest {

    @Override
    PodAttachmentMode attachment() {
        return PodAttachmentMode.MACVLAN;
    }

    /** Switching needs a cluster of its own: the inherited cases' datapaths attach by macvlan only. */
    @Test
    void nodesSwitchedBetweenLayoutsConvergeAndCarryTrafficInEither() throws Exception {
        try (Switching run = new Switching()) {
            run.converge(PodAttachmentMode.VETH, PodAttachmentMode.VETH);
            run.assertCarriesTraffic("both nodes veth");
            // one node switched: the two layouts put the same frames on the wire
            run.converge(PodAttachmentMode.MACVLAN, PodAttachmentMode.VETH);
            run.assertLayout(1, PodAttachmentMode.MACVLAN);
            run.assertLayout(2, PodAttachmentMode.VETH);
            run.assertCarriesTraffic("node 1 macvlan, node 2 veth");
            run.converge(PodAttachmentMode.MACVLAN, PodAttachmentMode.MACVLAN);
            run.assertCarriesTraffic("both nodes macvlan");
            run.converge(PodAttachmentMode.VETH, PodAttachmentMode.VETH);
            run.assertLayout(1, PodAttachmentMode.VETH);
            run.assertCarriesTraffic("both nodes veth again");
        }
    }

    /** Two nodes, two tasks on node 1 and one on node 2 behind a VIP, each node's datapath made anew per mode. */
    private static final class Switching implements AutoCloseable {
        private final SimulatedCluster cluster = SimulatedCluster.start(2);
        private final Topology topology = new Topology();
        private final List<Topology.Node> nodes = new ArrayList<>();
        private final Topology.Network net = topology.network("switch", 4125, "10.225.0.0/24");
        private final List<SimulatedPod> pods = new ArrayList<>();

        Switching() {
            try {
                for (SimulatedNode node : cluster.nodes()) {
                    nodes.add(new Topology.Node(node.name(), node.underlayAddress(), node.underlayMtu()));
                }
                place("a", 1, "10.225.0.11");
                place("b", 1, "10.225.0.12");
                place("c", 2, "10.225.0.13");
                topology.service("switch", net, "10.225.0.2", List.of(pod("c")));
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private void place(String name, int node, String address) {
            topology.task(pod(name), nodes.get(node - 1), net, address);
            pods.add(cluster.createPod(cluster.node(node), pod(name)));
        }

        /** Node 1 in {@code first}, node 2 in {@code second}: one apply each makes it so, the next finds nothing to do. */
        void converge(PodAttachmentMode first, PodAttachmentMode second) {
            PodAttachmentMode[] modes = {first, second};
            for (SimulatedNode node : cluster.nodes()) {
                NodeDatapath desired = topology.desired(nodes.get(node.index() - 1));
                try (LinuxDatapath datapath = cluster.datapath(node, modes[node.index() - 1])) {
                    ApplyReport report = datapath.apply(desired);
                    assertThat(report.complete()).as("switch %s to %s: %s", node.name(), modes[node.index() - 1], report).isTrue();
                    assertThat(report.attachedPods()).hasSize(desired.pods().size());
                }
                try (LinuxDatapath fresh = cluster.datapath(node, modes[node.index() - 1])) {
                    assertThat(fresh.apply(desired).changes()).as("%s in %s, applied again: %s", node.name(), modes[node.index() - 1],
                            fresh.lastPlan()).isZero();
                }
            }
        }

        void assertCarriesTraffic(String what) {
            for (String target : List.of("10.225.0.1", "10.225.0.12", "10.225.0.13")) {
                KernelTools.Result ping = cluster.exec(pods.get(0), "busybox", "ping", "-c", "1", "-W", "2", target);
                assertThat(ping.ok()).as("%s: a pings %s: %s", what, target, ping.describe()).isTrue();
            }
            KernelTools.Result back = cluster.exec(pods.get(2), "busybox", "ping", "-c", "1", "-W", "2", "10.225.0.11");
            assertThat(back.ok()).as("%s: c pings a: %s", what, back.describe()).isTrue();
            // through the VIP: ICMP is DNATed as any protocol is
            KernelTools.Result vip = cluster.exec(pods.get(1), "busybox", "ping", "-c", "1", "-W", "2", "10.225.0.2");
            assertThat(vip.ok()).as("%s: b pings the VIP: %s", what, vip.describe()).isTrue();
        }

        /** What node {@code index}'s network namespace holds: a bridge, or a gateway child and no bridge. */
        void assertLayout(int index, PodAttachmentMode mode) {
            SimulatedNode node = cluster.node(index);
            KernelNames names = new KernelNames(node.datapathPrefix());
            Vni vni = net.vni();
            KernelTools.Result links = new KernelTools().read(new NetNamespace.Named(names.networkNamespace(vni)),
                    List.of("ip", "-d", "-j", "addr", "show"));
            var parsed = new KernelStateParser(names).links(links.stdout());
            if (mode == PodAttachmentMode.MACVLAN) {
                assertThat(parsed).doesNotContainKey(names.bridge(vni)).noneSatisfy((name, link) -> assertThat(link.kind()).isEqualTo("veth"));
                assertThat(parsed.get(names.gateway(vni)).addresses()).extracting(a -> a.address().toString()).containsExactly("10.225.0.1");
            } else {
                assertThat(parsed).doesNotContainKey(names.gateway(vni));
                assertThat(parsed.get(names.bridge(vni)).addresses()).extracting(a -> a.address().toString()).containsExactly("10.225.0.1");
            }
        }

        @Override
        public void close() {
            String prefix = cluster.prefix();
            cluster.close();
            assertThat(cluster.leftovers()).as("kernel objects of run %s left behind", prefix).isEmpty();
        }
    }
}

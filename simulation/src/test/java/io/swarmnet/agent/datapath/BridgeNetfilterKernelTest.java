package io.swarmnet.agent.datapath;

import static io.swarmnet.agent.datapath.Topology.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.api.net.Vni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * br_netfilter's hooks in the network namespaces the datapath makes, on the real kernel: switched off when a namespace is
 * made, and again once the datapath reads them on (br_netfilter loaded after the namespace was made gives its default 1).
 * Skips where br_netfilter is not loaded: a new namespace then has no /proc/sys/net/bridge, and nothing to switch off.
 */
@Tag("kernel")
class BridgeNetfilterKernelTest {

    private static final List<String> ALL_OFF = Collections.nCopies(BridgeNetfilter.SETTINGS.size(), "0");

    private SimulatedCluster cluster;
    private final KernelTools tools = new KernelTools();

    @BeforeEach
    void startCluster() {
        KernelAvailability.assumeKernelTestsCanRun("ip", "bridge", "nft", "nsenter", "sysctl");
        cluster = SimulatedCluster.start(1);
    }

    @AfterEach
    void removeEverything() {
        if (cluster == null) {
            return;
        }
        tools.close();
        String prefix = cluster.prefix();
        cluster.close();
        assertThat(cluster.leftovers()).as("kernel objects of run %s left behind", prefix).isEmpty();
    }

    @Test
    void theHooksAreSwitchedOffInANewNetworkNamespaceAndAgainAfterSomeoneSwitchedOneOn() throws Exception {
        SimulatedNode node = cluster.node(1);
        Topology topology = new Topology();
        Topology.Node facts = new Topology.Node(node.name(), node.underlayAddress(), node.underlayMtu());
        Topology.Network net = topology.network("hooks", 4130, "10.230.0.0/24");
        topology.task(pod("hooks-1"), facts, net, "10.230.0.11");
        cluster.createPod(node, pod("hooks-1"));
        NodeDatapath desired = topology.desired(facts);
        NetNamespace network = new NetNamespace.Named(new KernelNames(node.datapathPrefix()).networkNamespace(new Vni(4130)));
        // the simulated node's namespace is as new as the network namespaces will be
        assumeTrue(tools.read(node.hostNamespace(), List.of("test", "-d", BridgeNetfilter.DIRECTORY.toString())).ok(),
                "br_netfilter is not loaded: a new network namespace has no " + BridgeNetfilter.DIRECTORY + ", nothing to switch off");
        List<String> nodeBefore = settings(node.hostNamespace());
        Duration trust = Duration.ofMillis(500);

        try (LinuxDatapath datapath = cluster.datapath(node, trust)) {
            ApplyReport made = datapath.apply(desired);
            assertThat(made.complete()).as("%s", made).isTrue();

            assertThat(settings(network)).as("%s in %s, after the datapath made it", BridgeNetfilter.SETTINGS, network).isEqualTo(ALL_OFF);
            assertThat(settings(node.hostNamespace())).as("the node's own namespace, left as it was").isEqualTo(nodeBefore);
            assertThat(datapath.apply(desired).changes()).as("read back off: nothing to do").isZero();

            // someone switches one on (or br_netfilter is loaded after the namespace was made): found once the namespace is due
            must(tools.run(network.wrap(List.of("sysctl", "-q", "-w", BridgeNetfilter.SETTINGS.get(0) + "=1")), null));
            assertThat(settings(network).get(0)).isEqualTo("1");
            Thread.sleep(3 * trust.toMillis());
            ApplyReport repaired = datapath.apply(desired);

            assertThat(repaired.complete()).as("%s", repaired).isTrue();
            assertThat(datapath.lastPlan().lines(Plan.Tool.SYSCTL)).as("what the repair ran")
                    .containsExactlyElementsOf(BridgeNetfilter.SETTINGS.stream().map(s -> s + "=0").toList());
            assertThat(settings(network)).as("%s in %s, repaired", BridgeNetfilter.SETTINGS, network).isEqualTo(ALL_OFF);
            assertThat(datapath.apply(desired).changes()).as("converged again").isZero();
        }
    }

    /** The values of {@link BridgeNetfilter#SETTINGS} in {@code ns}, as {@code sysctl -n} prints them there. */
    private List<String> settings(NetNamespace ns) {
        List<String> command = new ArrayList<>(List.of("sysctl", "-n"));
        command.addAll(BridgeNetfilter.SETTINGS);
        KernelTools.Result read = tools.read(ns, command);
        must(read);
        return read.stdout().strip().lines().map(String::strip).toList();
    }

    private static void must(KernelTools.Result result) {
        assertThat(result.ok()).as("%s", result.describe()).isTrue();
    }
}

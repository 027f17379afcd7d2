package io.swarmnet.agent.encryption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.datapath.ApplyReport;
import io.swarmnet.agent.datapath.KernelAvailability;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.LinuxDatapath;
import io.swarmnet.agent.desired.NetworkDatapath;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodAttachment;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.desired.RemoteEndpoint;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.agent.simulation.SimulatedPod;
import io.swarmnet.api.contract.NodeNetworkState.Encryption;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import io.swarmnet.api.net.Vni;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two simulated nodes carrying an encrypted and a plain network, with tcpdump on the underlay bridge:
 * the encrypted network's VXLAN never crosses in clear, whatever the kernel can do; the plain one works.
 */
@Tag("kernel")
class EncryptedOverlayKernelTest {

    private static final NetworkKey SECRET = new NetworkKey("default", "secret");
    private static final NetworkKey PLAIN = new NetworkKey("default", "plain");
    private static final int SECRET_VNI = 4200;
    private static final int PLAIN_VNI = 4201;
    private static final Cidr SECRET_NET = Cidr.parse("10.0.42.0/24");
    private static final Cidr PLAIN_NET = Cidr.parse("10.0.43.0/24");

    private SimulatedCluster cluster;
    private final List<LinuxDatapath> datapaths = new ArrayList<>();
    private final KernelTools tools = new KernelTools();
    @TempDir
    Path temp;

    @BeforeEach
    void start() {
        KernelAvailability.assumeKernelTestsCanRun("ip", "bridge", "nft", "tcpdump", "busybox");
        cluster = SimulatedCluster.start(2);
    }

    @AfterEach
    void stop() {
        datapaths.forEach(LinuxDatapath::close);
        if (cluster != null) {
            cluster.close();
            assertThat(cluster.leftovers()).isEmpty();
        }
    }

    static KeyRing freshKeys(long generation) {
        byte[] key = new byte[ClusterKey.LENGTH];
        new SecureRandom().nextBytes(key);
        return KeyRing.fromSecretData(Map.of(KeyRing.KEY_PREFIX + generation, Base64.getEncoder().encodeToString(key),
                KeyRing.PRIMARY, Base64.getEncoder().encodeToString(Long.toString(generation).getBytes())));
    }

    private PodRef pod(int node) {
        return new PodRef("default", "task-" + node, "uid-task-" + node);
    }

    private IpAddress address(Cidr net, int node) {
        return net.first().plus(10 + node);
    }

    /** Node {@code index} (1 or 2) with one task on both networks and the other node's task as remote. */
    private NodeDatapath desired(SimulatedNode node) {
        int self = node.index();
        int other = 3 - self;
        IpAddress otherVtep = cluster.node(other).underlayAddress();
        List<NetworkDatapath> networks = List.of(
                network(SECRET, SECRET_VNI, SECRET_NET, true, other, otherVtep),
                network(PLAIN, PLAIN_VNI, PLAIN_NET, false, other, otherVtep));
        List<PodAttachment> attachments = List.of(
                new PodAttachment(SECRET, "swn0", address(SECRET_NET, self), 24, MacAddress.forTask(address(SECRET_NET, self)), 1400),
                new PodAttachment(PLAIN, "swn1", address(PLAIN_NET, self), 24, MacAddress.forTask(address(PLAIN_NET, self)), 1400));
        return new NodeDatapath(node.facts(), networks, List.of(new PodDatapath(pod(self), attachments, List.of())));
    }

    private NetworkDatapath network(NetworkKey key, int vni, Cidr subnet, boolean encrypted, int other, IpAddress otherVtep) {
        IpAddress remote = address(subnet, other);
        return new NetworkDatapath(key, new Vni(vni), subnet, subnet.first().plus(1), 1400, encrypted,
                List.of(new RemoteEndpoint(remote, MacAddress.forTask(remote), otherVtep)), Set.of(otherVtep));
    }

    private EncryptionDatapath encryption(SimulatedNode node) {
        return new EncryptionDatapath(tools, node.hostNamespace(), cluster.prefix());
    }

    /** Encryption first, datapath second: the order the agent uses, so nothing leaves before the policies exist. */
    private EncryptionDatapath.Report bringUp(SimulatedNode node, KeyRing keys, boolean programEncryption) {
        NodeDatapath desired = desired(node);
        EncryptionDatapath.Report report = null;
        if (programEncryption) {
            report = encryption(node).prepare(EncryptionPlan.of(desired, keys));
        }
        cluster.createPod(node, pod(node.index()));
        LinuxDatapath datapath = cluster.datapath(node);
        datapaths.add(datapath);
        ApplyReport applied = datapath.apply(desired);
        assertThat(applied.podFailures()).isEmpty();
        return report;
    }

    private SimulatedPod task(int node) {
        return cluster.pods().stream().filter(p -> p.ref().equals(pod(node))).findFirst().orElseThrow();
    }

    private boolean ping(int from, Cidr net, int to) {
        return cluster.exec(task(from), "busybox", "ping", "-c", "3", "-w", "6", address(net, to).toString()).ok();
    }

    /** A working path may need a retry on a loaded machine, as any client would; bounded to three 6 s windows. */
    private boolean pingEventually(int from, Cidr net, int to) {
        for (int attempt = 0; attempt < 3; attempt++) {
            if (ping(from, net, to)) {
                return true;
            }
        }
        return false;
    }

    /** Captures the underlay while {@code traffic} runs; returns the capture file. */
    private Path capture(Runnable traffic) throws Exception {
        Path pcap = temp.resolve("underlay.pcap");
        Process tcpdump = new ProcessBuilder("tcpdump", "-i", cluster.underlayBridge(), "-U", "-n", "-w", pcap.toString(),
                "udp or esp").redirectErrorStream(true).start();
        try {
            for (int i = 0; i < 50 && !(Files.exists(pcap) && Files.size(pcap) > 0); i++) {
                Thread.sleep(100);
            }
            Thread.sleep(300);
            traffic.run();
            Thread.sleep(300);
        } finally {
            tcpdump.destroy();
            tcpdump.waitFor(5, TimeUnit.SECONDS);
        }
        return pcap;
    }

    private long packets(Path pcap, String filter) throws Exception {
        KernelTools.Result read = tools.run(List.of("tcpdump", "-n", "-r", pcap.toString(), filter), null);
        return read.stdout().lines().filter(l -> !l.isBlank()).count();
    }

    private static String vxlanWithVni(int vni) {
        // VNI: the 3 bytes after the VXLAN flags and reserved bytes, i.e. UDP payload offset 4
        return "udp dst port 4789 and (udp[12:4] >> 8) = " + vni;
    }

    @Test
    void encryptedNetworkNeverCrossesTheUnderlayInClearWhilePlainNetworkWorks() throws Exception {
        KeyRing keys = freshKeys(1);
        EncryptionDatapath.Report first = bringUp(cluster.node(1), keys, true);
        bringUp(cluster.node(2), keys, true);
        boolean[] pinged = new boolean[2];
        Path pcap = capture(() -> {
            pinged[0] = pingEventually(1, PLAIN_NET, 2);
            pinged[1] = ping(1, SECRET_NET, 2);
        });
        assertThat(pinged[0]).as("plain network works beside the encrypted one").isTrue();
        assertThat(packets(pcap, vxlanWithVni(PLAIN_VNI))).as("plain VXLAN on the underlay").isPositive();
        assertThat(packets(pcap, vxlanWithVni(SECRET_VNI))).as("plaintext VXLAN with the encrypted VNI on the underlay").isZero();
        if (first.states().get(SECRET) == Encryption.Established) {
            assertThat(pinged[1]).as("encrypted network carries traffic where the kernel has ESP").isTrue();
            assertThat(packets(pcap, "esp")).isPositive();
        } else {
            assertThat(pinged[1]).as("without ESP in the kernel the encrypted network fails closed").isFalse();
            assertThat(first.messages().get(SECRET)).contains("cannot hold IPsec ESP states").contains("fail closed");
            assertThat(first.messages().get(SECRET)).as("no key material in the report")
                    .doesNotContainPattern("[0-9a-f]{40}");
        }
        assertThat(first.states()).doesNotContainKey(PLAIN);
    }

    @Test
    void plaintextVxlanForAnEncryptedNetworkIsDroppedOnArrival() throws Exception {
        KeyRing keys = freshKeys(1);
        // node 1 plays a peer that does not encrypt (misconfigured, or an attacker on the underlay)
        bringUp(cluster.node(1), keys, false);
        bringUp(cluster.node(2), keys, true);
        Path pcap = capture(() -> ping(1, SECRET_NET, 2));
        assertThat(packets(pcap, vxlanWithVni(SECRET_VNI))).as("the rogue peer did send plaintext").isPositive();
        assertThat(ping(1, SECRET_NET, 2)).as("plaintext for an encrypted VNI must not be delivered").isFalse();
        assertThat(encryption(cluster.node(2)).programmedVnis()).containsExactly(SECRET_VNI);
    }

    @Test
    void removingTheLastEncryptedNetworkRemovesPoliciesAndMarking() {
        KeyRing keys = freshKeys(1);
        SimulatedNode node = cluster.node(1);
        EncryptionDatapath encryption = encryption(node);
        encryption.prepare(EncryptionPlan.of(desired(node), keys));
        assertThat(encryption.programmedVnis()).containsExactly(SECRET_VNI);
        assertThat(encryption.programmedPeerPolicies()).hasSize(1);
        EncryptionPlan none = EncryptionPlan.of(new NodeDatapath(node.facts(), List.of(), List.of()), keys);
        encryption.prepare(none);
        assertThat(encryption.programmedVnis()).as("prepare never removes").containsExactly(SECRET_VNI);
        encryption.finish(none);
        assertThat(encryption.programmedVnis()).isEmpty();
        assertThat(encryption.programmedPeerPolicies()).isEmpty();
        assertThat(tools.read(node.hostNamespace(), List.of("ip", "xfrm", "policy", "list")).stdout()).doesNotContain("0x5e000000");
    }

    @Test
    void trafficFlowsEncryptedWhereTheKernelHasEsp() throws Exception {
        KeyRing keys = freshKeys(7);
        EncryptionDatapath.Report report = bringUp(cluster.node(1), keys, true);
        bringUp(cluster.node(2), keys, true);
        assumeTrue(report.states().get(SECRET) == Encryption.Established,
                "this kernel cannot hold IPsec ESP states: " + report.messages().get(SECRET));
        Path pcap = capture(() -> assertThat(ping(1, SECRET_NET, 2)).isTrue());
        assertThat(packets(pcap, "esp")).isPositive();
        assertThat(packets(pcap, vxlanWithVni(SECRET_VNI))).isZero();
    }
}

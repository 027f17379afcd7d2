package io.swarmnet.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.agent.encryption.KernelEsp;
import io.swarmnet.agent.encryption.EncryptionSettings;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.SwarmnetOperator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability of the two encryption modes: node 1 runs the userspace ESP datapath, node 2 kernel ESP-in-UDP
 * states with the same keys and SPIs. Needs a kernel that holds ESP states (this test skips where it cannot, saying
 * what the kernel answered); everything the userspace side needs runs in {@link UserspaceEncryptionEndToEndTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("e2e")
class MixedEncryptionModesEndToEndTest {

    private static final int VNI = 4831;
    private AgentCluster stage;
    private SwarmnetOperator operator;
    private Optional<String> espMissing = Optional.empty();
    @TempDir
    Path temp;

    @BeforeAll
    void start() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        for (String tool : List.of("ip", "bridge", "nft", "tcpdump", "busybox", "sysctl")) {
            assumeTrue(AgentCluster.onPath(tool), "needs '" + tool + "' on PATH (scripts/install-deps.sh installs it)");
        }
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun (the tun module) for the userspace ESP datapath");
        stage = AgentCluster.start(2);
        espMissing = KernelEsp.missing(new KernelTools(), stage.node(2).hostNamespace());
        if (espMissing.isPresent()) {
            return; // the test says why it skips
        }
        operator = SwarmnetOperator.start(stage.client(), OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false));
        stage.client().resource(AgentCluster.network("mixed", "10.245.0.0/24", VNI, true)).create();
        AgentCluster.await("the operator allocated the network", () -> stage.allocated("mixed"), Duration.ofSeconds(20));
        stage.createTasklessService("mixed-app", "mixed");
        stage.runAgents(new DnsSettings(Optional.empty(), Duration.ofSeconds(1)),
                n -> n == 1 ? EncryptionSettings.ModeSetting.userspace : EncryptionSettings.ModeSetting.kernel);
        stage.runTask("mixed-1", "mixed-app", 1, Map.of("mixed", "10.245.0.11"));
        stage.runTask("mixed-2", "mixed-app", 2, Map.of("mixed", "10.245.0.12"));
        stage.awaitAttached("mixed-1", "mixed-2");
    }

    @AfterAll
    void stop() throws Exception {
        AgentCluster.close(operator, stage);
    }

    @Test
    void aUserspaceNodeAndAKernelNodeExchangeEspInUdp() throws Exception {
        assumeTrue(espMissing.isEmpty(), () -> "needs IPsec ESP in the kernel (an rfc4106(gcm(aes)) state with encap espinudp); "
                + "'ip xfrm state add' answers here: " + espMissing.orElse(""));
        stage.awaitEncryption(1, "mixed", NodeNetworkState.EncryptionMode.Userspace);
        stage.awaitEncryption(2, "mixed", NodeNetworkState.EncryptionMode.Kernel);
        try (UnderlayCapture capture = UnderlayCapture.start(stage.simulation().underlayPort(stage.node(1)), temp.resolve("mixed.pcap"), "udp")) {
            KernelTools.Result ping = stage.exec("mixed-1", "busybox", "ping", "-c", "5", "-W", "2", "10.245.0.12");
            capture.stop();
            assertThat(ping.ok()).as("ICMP between the userspace and the kernel node: %s", ping.describe()).isTrue();
            assertThat(capture.count("udp src port 4500 and udp dst port 4500")).isGreaterThanOrEqualTo(10);
            assertThat(capture.count("udp port 4789")).as("plaintext VXLAN").isZero();
        }
        AgentCluster.await("the Encrypted condition names both modes", () -> stage.encryptedCondition("mixed")
                .map(c -> "True".equals(c.getStatus()) && c.getMessage().contains("kernel ESP: node-2")
                        && c.getMessage().contains("userspace ESP over TUN: node-1")).orElse(false), Duration.ofSeconds(30));
    }
}

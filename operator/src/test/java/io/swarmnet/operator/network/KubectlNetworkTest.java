package io.swarmnet.operator.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.SwarmnetOperator;
import io.swarmnet.operator.TestCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user sees with the real kubectl: apply the walkthrough's network, wait for Ready, read status and conditions. */
class KubectlNetworkTest {

    @TempDir
    Path dir;

    private record Result(int exit, String out) {
    }

    private Result kubectl(Path kubeconfig, String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(TestCluster.KUBECTL.toString());
        command.add("--kubeconfig=" + kubeconfig);
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish in 90 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
    }

    @Test
    void walkthroughNetworkTurnsReadyAndAnOverlapIsExplained() throws Exception {
        TestCluster.assumeKubectl();
        try (TestCluster cluster = TestCluster.start();
             SwarmnetOperator operator = SwarmnetOperator.start(cluster.client(),
                     OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false))) {
            Path kubeconfig = cluster.api().writeKubeconfig(dir.resolve("kubeconfig"));
            Path manifest = Path.of("..", "examples", "my-network.yaml");

            Result apply = kubectl(kubeconfig, null, "apply", "-f", manifest.toString());
            assertThat(apply.exit()).as(apply.out()).isZero();
            Result wait = kubectl(kubeconfig, null, "wait", "--for=condition=Ready", "onet/my-network", "--timeout=60s");
            assertThat(wait.exit()).as(wait.out()).isZero();
            assertThat(wait.out()).contains("condition met");
            assertThat(kubectl(kubeconfig, null, "get", "onet", "my-network", "-o",
                    "jsonpath={.status.subnet} {.status.gateway} {.status.vxlanId}").out()).isEqualTo("10.0.9.0/24 10.0.9.1 1048576");

            String overlapping = """
                    apiVersion: swarmnet.io/v1alpha1
                    kind: OverlayNetwork
                    metadata: {name: other}
                    spec: {subnet: 10.0.9.128/25}
                    """;
            assertThat(kubectl(kubeconfig, overlapping, "apply", "-f", "-").exit()).isZero();
            Result refused = kubectl(kubeconfig, null, "wait", "--for=condition=Ready=false", "onet/other", "--timeout=60s");
            assertThat(refused.exit()).as(refused.out()).isZero();
            Result reason = kubectl(kubeconfig, null, "get", "onet", "other", "-o",
                    "jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}: {.status.conditions[?(@.type==\"Ready\")].message}");
            assertThat(reason.out()).startsWith("SubnetOverlap: ").contains("default/my-network", "10.0.9.0/24");

            Result table = kubectl(kubeconfig, null, "get", "onet");
            assertThat(table.out()).contains("SUBNET", "VNI", "READY");
            String line = table.out().lines().filter(l -> l.startsWith("my-network ")).findFirst().orElseThrow();
            assertThat(line.split("\\s+")).contains("10.0.9.0/24", "1048576", "True");
        }
    }
}

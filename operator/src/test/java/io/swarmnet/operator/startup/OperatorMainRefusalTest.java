package io.swarmnet.operator.startup;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.operator.OperatorMain;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator process itself, as its container runs it: a refused start is exit status 2 and the message on stderr. */
class OperatorMainRefusalTest {

    @Test
    void withoutItsCrdsTheProcessExitsWithStatus2SayingHowToInstallThem(@TempDir Path dir) throws IOException, InterruptedException {
        try (SandboxApiServer api = SandboxApiServer.start()) {
            api.client().apiextensions().v1().customResourceDefinitions().withName("swarmservices.swarmnet.io").delete();
            ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), OperatorMain.class.getName())
                    .redirectOutput(dir.resolve("stdout").toFile())
                    .redirectError(dir.resolve("stderr").toFile());
            builder.environment().put("KUBECONFIG", api.writeKubeconfig(dir.resolve("kubeconfig")).toString());
            builder.environment().put("SWARMNET_HTTP_PORT", "0");
            builder.environment().put("SWARMNET_OPERATOR_NAMESPACE", "default");
            Process process = builder.start();
            try {
                assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("the operator process exits").isTrue();
                String stderr = Files.readString(dir.resolve("stderr"));
                assertThat(process.exitValue()).as("exit status; stderr: %s", stderr).isEqualTo(2);
                assertThat(stderr).contains("the swarmnet operator cannot start:\n"
                        + "- CustomResourceDefinition swarmservices.swarmnet.io is not installed: install the chart's CRDs"
                        + " (kubectl apply --server-side --force-conflicts -f <chart>/crds/), then restart the operator");
                // no leader election was attempted
                assertThat(api.client().leases().inNamespace("default").list().getItems()).isEmpty();
            } finally {
                process.destroyForcibly();
            }
        }
    }
}

package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's container as the chart renders it — its runnable jar (what the image's `swarmnet
 * operator` entry point starts), the chart's environment, the downward-API values the kubelet would
 * fill in — run as a process against the embedded API: the probes' paths answer on the port the
 * chart declares, it takes the Lease the chart names, and it reconciles the walkthrough's network.
 */
class ChartRunsTheOperatorTest {

    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private SandboxApiServer api;
    private Process operator;
    private Path log;

    @AfterEach
    void stop() throws InterruptedException {
        if (operator != null) {
            operator.destroy();
            if (!operator.waitFor(20, TimeUnit.SECONDS)) {
                operator.destroyForcibly();
            }
        }
        if (api != null) {
            api.close();
        }
    }

    /** operator/target/swarmnet-operator-*-all.jar, the file the Dockerfile copies into the image. */
    private static Optional<Path> operatorJar(RepositoryLayout repo) throws IOException {
        Path target = repo.root().resolve("operator/target");
        if (!Files.isDirectory(target)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(target, "swarmnet-operator-*-all.jar")) {
            for (Path jar : jars) {
                return Optional.of(jar);
            }
        }
        return Optional.empty();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void operatorContainerAsRenderedServesItsProbesLeadsAndReconciles() throws Exception {
        Helm helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        RepositoryLayout repo = RepositoryLayout.find();
        Path jar = operatorJar(repo).orElse(null);
        assumeTrue(jar != null, "operator/target/swarmnet-operator-*-all.jar is not built; run mvn -pl operator -am package first");

        int port = freePort(); // the chart's default 8080 may be taken on a shared machine
        Deployment deployment = RenderedChart.render(helm, repo, "--set", "operator.httpPort=" + port)
                .one(Deployment.class, "swarmnet-operator");
        Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        String podName = "swarmnet-operator-7d4b9c-x2x9q";

        api = SandboxApiServer.start();
        KubernetesClient client = api.client(RenderedChart.NAMESPACE);
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(RenderedChart.NAMESPACE).endMetadata().build()).create();

        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", jar.toString());
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("KUBECONFIG", api.writeKubeconfig(dir.resolve("kubeconfig")).toString());
        env.putAll(Containers.literalEnv(container));
        env.put("POD_NAME", podName); // downward API: metadata.name
        env.put("POD_NAMESPACE", RenderedChart.NAMESPACE); // downward API: metadata.namespace
        log = dir.resolve("operator.log");
        operator = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String liveness = container.getLivenessProbe().getHttpGet().getPath();
        String readiness = container.getReadinessProbe().getHttpGet().getPath();
        assertThat(container.getPorts().get(0).getContainerPort()).isEqualTo(port);
        await("the liveness probe " + liveness + " answers 200", () -> status(http, port, liveness) == 200);
        await("the readiness probe " + readiness + " answers 200", () -> status(http, port, readiness) == 200);

        String leaseName = Containers.literalEnv(container).get("SWARMNET_LEASE_NAME");
        await("Lease " + leaseName + " is held by " + podName, () -> {
            Lease lease = client.resources(Lease.class).withName(leaseName).get();
            return lease != null && podName.equals(lease.getSpec().getHolderIdentity());
        });

        KubernetesClient user = api.client();
        OverlayNetwork network = user.resources(OverlayNetwork.class).load(repo.examples().resolve("my-network.yaml").toFile()).create();
        await("my-network gets its subnet", () -> {
            OverlayNetwork current = user.resources(OverlayNetwork.class).withName(network.getMetadata().getName()).get();
            return current.getStatus() != null && "10.0.9.0/24".equals(current.getStatus().getSubnet());
        });
        // what the optional ServiceMonitor scrapes, on the Service's target port
        await("/metrics counts the reconcile", () -> {
            try {
                return get(http, port, "/metrics").body().contains("swarmnet_reconciles");
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
        assertThat(operator.isAlive()).as("operator process").isTrue();
    }

    private static int status(HttpClient http, int port, String path) {
        try {
            return get(http, port, path).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static HttpResponse<String> get(HttpClient http, int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void await(String what, Supplier<Boolean> condition) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            if (!operator.isAlive()) {
                throw new AssertionError("the operator exited (" + operator.exitValue() + ") before " + what + ":\n" + Files.readString(log));
            }
            if (Boolean.TRUE.equals(condition.get())) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("not within " + PATIENCE.toSeconds() + " s: " + what + "\noperator log:\n" + Files.readString(log));
    }
}

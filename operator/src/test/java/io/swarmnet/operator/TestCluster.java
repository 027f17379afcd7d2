package io.swarmnet.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** An embedded Kubernetes API with swarmnet's CRDs registered, for operator tests. */
public final class TestCluster implements AutoCloseable {

    private final KubernetesMockServer server;
    private final KubernetesClient client;

    private TestCluster(KubernetesMockServer server, KubernetesClient client) {
        this.server = server;
        this.client = client;
    }

    public static TestCluster start() {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of()), false);
        server.init();
        KubernetesClient client = server.createClient();
        TestCluster cluster = new TestCluster(server, client);
        cluster.registerCrds();
        return cluster;
    }

    public KubernetesClient client() {
        return client;
    }

    private void registerCrds() {
        Path dir = Path.of("..", "crds");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    client.apiextensions().v1().customResourceDefinitions().load(in).create();
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the CRDs in " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** Polls until the condition holds; fails with the description after the timeout. */
    public static void eventually(Duration timeout, String description, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException ignored) {
                // not there yet
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + description);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}

package io.swarmnet.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The embedded Kubernetes API (sandbox-api: correct merge patch, status subresource, generation,
 * finalizers, owner GC, CRD schema validation) with swarmnet's CRDs installed, for operator tests.
 */
public final class TestCluster implements AutoCloseable {

    private final SandboxApiServer api;
    private final KubernetesClient client;

    private TestCluster(SandboxApiServer api) {
        this.api = api;
        this.client = api.client();
    }

    public static TestCluster start() {
        return new TestCluster(SandboxApiServer.start());
    }

    public KubernetesClient client() {
        return client;
    }

    public SandboxApiServer api() {
        return api;
    }

    /** Polls until the condition holds; fails with the description after the timeout. */
    public static void eventually(Duration timeout, String description, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    System.out.printf("waited %.1f s until %s%n", (System.nanoTime() - deadline + timeout.toNanos()) / 1e9, description);
                    return;
                }
            } catch (RuntimeException ignored) {
                // not there yet
            }
            if (System.nanoTime() > deadline) {
                System.out.println("TIMEOUT " + description);
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
        api.close();
    }
}

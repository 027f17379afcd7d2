package io.swarmnet.operator;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The embedded Kubernetes API (sandbox-api: correct merge patch, status subresource, generation,
 * finalizers, owner GC, CRD schema validation) with swarmnet's CRDs installed, for operator tests.
 */
public final class TestCluster implements AutoCloseable {

    /** The kubectl scripts/install-deps.sh builds from cluster/go.mod, where the root pom's swarmnet.tools says it is. */
    public static final Path KUBECTL = Path.of(System.getProperty("swarmnet.tools", ""), "kubectl");

    private final SandboxApiServer api;
    private final KubernetesClient client;

    private TestCluster(SandboxApiServer api) {
        this.api = api;
        this.client = api.client();
    }

    /** Skips the calling test, naming the path, where that kubectl is not built. */
    public static void assumeKubectl() {
        assumeTrue(Files.isExecutable(KUBECTL), "kubectl is not built at " + KUBECTL.toAbsolutePath()
                + " (system property swarmnet.tools): scripts/install-deps.sh builds it");
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

    /**
     * Creates a SwarmService of one nginx container on {@code network} whose status already holds the virtual IP
     * {@code address} on {@code vipNetwork} (the network as the service's namespace records it), as an operator left it.
     */
    public static io.swarmnet.api.service.SwarmService serviceWithVirtualIp(KubernetesClient client, String namespace, String name,
            io.swarmnet.api.service.NetworkAttachment network, String vipNetwork, String address) {
        io.swarmnet.api.service.SwarmService service = new io.swarmnet.api.service.SwarmService();
        service.getMetadata().setName(name);
        service.getMetadata().setNamespace(namespace);
        service.getSpec().setTemplate(new io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder().withNewSpec().addNewContainer()
                .withName("c").withImage("nginx").endContainer().endSpec().build());
        service.getSpec().setNetworks(java.util.List.of(network));
        io.swarmnet.api.service.SwarmService created = client.resource(service).create();
        io.swarmnet.api.service.SwarmServiceStatus status = new io.swarmnet.api.service.SwarmServiceStatus();
        status.setVirtualIPs(java.util.List.of(new io.swarmnet.api.service.VirtualIP(vipNetwork, address)));
        created.setStatus(status);
        return client.resource(created).updateStatus();
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

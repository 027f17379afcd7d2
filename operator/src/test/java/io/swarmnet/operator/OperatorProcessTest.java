package io.swarmnet.operator;

import static io.swarmnet.operator.TestCluster.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.api.network.OverlayNetwork;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OperatorProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(45);
    private static final OperatorProcess.LeaseTimings FAST =
            new OperatorProcess.LeaseTimings(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(200));

    private TestCluster cluster;
    private KubernetesClient client;
    private final OperatorConfig config = OperatorConfig.fromEnvironment(java.util.Map.of(
            "SWARMNET_OPERATOR_NAMESPACE", "swarmnet-system", "SWARMNET_HTTP_PORT", "0"));

    @BeforeEach
    void start() {
        cluster = TestCluster.start();
        client = cluster.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("swarmnet-system").endMetadata().build()).create();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private static String get(int port, String path) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() + " " + response.body();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void onlyTheLeaseHolderActsAndAStandbyTakesOverWhenItGoes() {
        AtomicInteger lost = new AtomicInteger();
        OperatorProcess first = new OperatorProcess(client, config, new OperatorMetrics(), FAST, lost::incrementAndGet);
        first.start();
        eventually(WAIT, "the first replica leads", () -> first.phase() == OperatorProcess.Phase.LEADING);
        OperatorProcess second = new OperatorProcess(cluster.api().client(), config, new OperatorMetrics(), FAST, lost::incrementAndGet);
        try {
            second.start();
            assertThat(second.phase()).isEqualTo(OperatorProcess.Phase.STANDBY);
            assertThat(second.ready()).isTrue();
            Lease lease = client.leases().inNamespace("swarmnet-system").withName(config.leaseName()).get();
            assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(first.identity());

            OverlayNetwork n = new OverlayNetwork();
            n.setMetadata(new ObjectMetaBuilder().withNamespace("default").withName("before").build());
            client.resource(n).create();
            eventually(WAIT, "the leader allocates", () -> client.resources(OverlayNetwork.class).inNamespace("default").withName("before")
                    .get().getStatus().getSubnet() != null);
            assertThat(second.operator()).isNull();

            first.close();
            eventually(WAIT, "the standby takes over", () -> second.phase() == OperatorProcess.Phase.LEADING);
            // the new leader read the allocations made by the old one: no renumbering, no reuse
            assertThat(second.operator().networkAllocations().of("default", "before")).isPresent();
            OverlayNetwork m = new OverlayNetwork();
            m.setMetadata(new ObjectMetaBuilder().withNamespace("default").withName("after").build());
            client.resource(m).create();
            eventually(WAIT, "the new leader allocates", () -> client.resources(OverlayNetwork.class).inNamespace("default").withName("after")
                    .get().getStatus().getSubnet() != null);
            assertThat(client.resources(OverlayNetwork.class).inNamespace("default").withName("after").get().getStatus().getSubnet())
                    .isNotEqualTo(client.resources(OverlayNetwork.class).inNamespace("default").withName("before").get().getStatus().getSubnet());
            assertThat(lost.get()).isZero();
        } finally {
            second.close();
            first.close();
        }
    }

    @Test
    void servesHealthReadinessAndMetrics() throws Exception {
        OperatorMetrics metrics = new OperatorMetrics();
        OperatorProcess process = new OperatorProcess(client, config.withLeaderElection(false), metrics, FAST, () -> { });
        try (StatusEndpoints http = StatusEndpoints.start(0, process::live, process::ready, process::describe, metrics::scrape)) {
            assertThat(get(http.port(), "/readyz")).startsWith("503 not ready phase=STARTING");
            process.start();
            assertThat(get(http.port(), "/readyz")).startsWith("200 ready phase=LEADING");
            assertThat(get(http.port(), "/healthz")).startsWith("200 ok");

            OverlayNetwork n = new OverlayNetwork();
            n.setMetadata(new ObjectMetaBuilder().withNamespace("default").withName("metered").build());
            client.resource(n).create();
            eventually(WAIT, "metrics count the reconcile and the allocation", () -> {
                String body = get(http.port(), "/metrics");
                return body.contains("swarmnet_reconciles_total{kind=\"OverlayNetwork\"}")
                        && body.contains("swarmnet_allocations_total{type=\"subnet\"} 1.0")
                        && body.contains("swarmnet_addresses_in_use{network=\"default/metered\"} 0.0");
            });
            assertThat(get(http.port(), "/nope")).startsWith("404");
        } finally {
            process.close();
        }
    }
}

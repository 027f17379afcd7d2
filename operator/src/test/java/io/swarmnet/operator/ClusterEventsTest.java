package io.swarmnet.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Events are written in the order said, once each, and the one saying them never waits for the API server. */
class ClusterEventsTest {

    @Test
    void sayingAnEventDoesNotWaitForItsWriteAndTheWritesKeepTheirOrder() throws Exception {
        CountDownLatch apiAnswers = new CountDownLatch(1);
        try (SandboxApiServer api = SandboxApiServer.start();
             KubernetesClient client = slowEvents(api, apiAnswers)) {
            ConfigMap object = subject(client);
            ClusterEvents events = new ClusterEvents(client);

            long start = System.nanoTime();
            events.normal(object, "First", "one");
            events.warning(object, "Second", "two");
            events.warning(object, "Second", "two"); // said again: written once
            events.normal(object, "Third", "three");
            long saidMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(saidMillis).as("milliseconds the saying thread spent while the API server held the first write").isLessThan(5_000);
            assertThat(events.flush(Duration.ofMillis(200))).as("nothing is written before the API server answers").isFalse();
            apiAnswers.countDown();
            assertThat(events.flush(Duration.ofSeconds(20))).isTrue();
            List<String> written = client.v1().events().inNamespace("default").list().getItems().stream()
                    .sorted(java.util.Comparator.comparingLong(e -> Long.parseLong(e.getMetadata().getResourceVersion())))
                    .map(e -> e.getType() + " " + e.getReason() + " " + e.getMessage()).toList();
            assertThat(written).as("in the order the API server stored them").containsExactly("Normal First one", "Warning Second two",
                    "Normal Third three");
        }
    }

    @Test
    void aClosedRecorderWritesWhatWaitsForAtMostTheGraceAndNothingSaidLater() throws Exception {
        CountDownLatch apiAnswers = new CountDownLatch(1);
        try (SandboxApiServer api = SandboxApiServer.start();
             KubernetesClient client = slowEvents(api, apiAnswers)) {
            ConfigMap object = subject(client);
            ClusterEvents events = new ClusterEvents(client);
            events.normal(object, "First", "held by the API server while the recorder closes");
            events.normal(object, "Second", "waiting behind it: dropped");

            long start = System.nanoTime();
            events.close(Duration.ofMillis(300));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("close waited for the grace, not for the API server")
                    .isLessThan(10_000);
            apiAnswers.countDown();
            events.normal(object, "Third", "said after the close: dropped");
            Thread.sleep(500);
            assertThat(client.v1().events().inNamespace("default").list().getItems()).extracting(e -> e.getReason())
                    .doesNotContain("Second", "Third");
        }
    }

    /** The object the events are about. */
    private static ConfigMap subject(KubernetesClient client) {
        return client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("subject").endMetadata().build()).create();
    }

    /** A client of {@code api} whose Event POSTs wait until {@code apiAnswers} is counted down (at most 30 s). */
    private static KubernetesClient slowEvents(SandboxApiServer api, CountDownLatch apiAnswers) {
        return KubernetesClients.builder()
                .withConfig(new ConfigBuilder().withMasterUrl(api.url()).withNamespace("default").build())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("slow-events", new Interceptor() {
                    @Override
                    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                        if (request.method().equals("POST") && request.uri().getPath().endsWith("/events")) {
                            try {
                                apiAnswers.await(30, TimeUnit.SECONDS); // an API server that takes its time
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }
                })).build();
    }
}

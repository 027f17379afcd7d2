package io.swarmnet.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The health port is the node's one agent: a new agent whose pod replaces a running one (a rollout with surge) waits
 * for the old agent to release it before it touches the node, and its endpoint binds once it is free.
 */
class HealthEndpointTest {

    @Test
    void aStartingAgentWaitsUntilThePortItsPredecessorHoldsIsReleased() throws Exception {
        ServerSocket predecessor = new ServerSocket();
        predecessor.bind(new InetSocketAddress(0));
        int port = predecessor.getLocalPort();
        CompletableFuture<Void> waited = CompletableFuture.runAsync(() -> HealthEndpoint.awaitFree(port, Duration.ofSeconds(20)));
        Thread.sleep(600);
        assertThat(waited).as("still waiting while the predecessor listens").isNotDone();
        predecessor.close();
        waited.get(5, TimeUnit.SECONDS);

        try (HealthEndpoint endpoint = new HealthEndpoint(port, "test-health", () -> null, () -> "not yet", () -> "")) {
            HttpResponse<String> ready = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).isEqualTo("not yet\n");
        }
    }

    @Test
    void aPortHeldLongerThanTheBoundIsReportedWithWhatToDo() throws Exception {
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress(0));
            int port = other.getLocalPort();
            assertThatThrownBy(() -> HealthEndpoint.awaitFree(port, Duration.ofMillis(300)))
                    .hasMessageContaining("port " + port + " (SWARMNET_HTTP_PORT) is still in use")
                    .hasMessageContaining("stop it or choose another port");
            assertThatThrownBy(() -> new HealthEndpoint(port, "test-health", () -> null, () -> null, () -> ""))
                    .hasMessageContaining("cannot serve /healthz on port " + port + " (SWARMNET_HTTP_PORT): ");
        }
    }
}

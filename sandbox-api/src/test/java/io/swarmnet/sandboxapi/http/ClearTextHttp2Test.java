package io.swarmnet.sandboxapi.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The server speaks HTTP/1.1 on its plain-text port, as a kube-apiserver never offers HTTP/2 without TLS:
 * the JDK HTTP client (what the operator and the agent use) asks to upgrade the first bodiless request of a
 * connection to h2c, and an upgraded answer larger than one HTTP/2 frame (a CRD is 2 MB) broke that client.
 */
class ClearTextHttp2Test {

    @Test
    void aLargeAnswerToAClientThatOffersH2cArrivesWhole() throws Exception {
        try (SandboxApiServer api = SandboxApiServer.start()) {
            String blob = "x".repeat(200_000);
            api.client().configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("large").endMetadata()
                    .addToData("blob", blob).build()).create();
            for (int i = 0; i < 5; i++) {
                // a new client each time: its first request, a GET, carries "Upgrade: h2c"
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(10)).build();
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/v1/namespaces/default/configmaps/large"))
                        .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
                assertThat(response.body()).contains(blob);
            }
        }
    }
}

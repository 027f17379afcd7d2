package io.swarmnet.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.api.Patches;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A status or annotation write is one PATCH, not a GET and a PATCH. */
class PatchesTest {

    private final List<String> requests = new CopyOnWriteArrayList<>();
    private SandboxApiServer api;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        api = SandboxApiServer.start();
        client = KubernetesClients.builder()
                .withConfig(new ConfigBuilder().withMasterUrl(api.url()).withNamespace("default").build())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("census", new Interceptor() {
                    @Override
                    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                        requests.add(request.method() + " " + request.uri().getPath());
                    }
                })).build();
    }

    @AfterEach
    void stop() {
        client.close();
        api.close();
    }

    @Test
    void aPodStatusPatchIsOneRequestAndLandsOnThePod() {
        Pod pod = client.pods().resource(new PodBuilder().withNewMetadata().withName("task-1").endMetadata().withNewSpec()
                .addNewContainer().withName("main").withImage("busybox").endContainer().endSpec().build()).create();
        requests.clear();
        String condition = "{\"status\":{\"conditions\":[{\"type\":\"swarmnet.io/Test\",\"status\":\"True\",\"reason\":\"Set\"}]}}";

        Pod patched = Patches.send(client, pod, "status", PatchType.STRATEGIC_MERGE, condition);

        assertThat(requests).containsExactly("PATCH /api/v1/namespaces/default/pods/task-1/status");
        assertThat(patched.getStatus().getConditions()).anyMatch(c -> c.getType().equals("swarmnet.io/Test") && c.getStatus().equals("True"));
        assertThat(client.pods().withName("task-1").get().getStatus().getConditions()).anyMatch(c -> c.getType().equals("swarmnet.io/Test"));
    }

    @Test
    void aNodeNamedOnlyByNameIsPatchedInOneRequest() {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-1").endMetadata().build()).create();
        requests.clear();

        Patches.send(client, Patches.node("node-1"), null, PatchType.JSON_MERGE, "{\"metadata\":{\"annotations\":{\"swarmnet.io/test\":\"1\"}}}");

        assertThat(requests).containsExactly("PATCH /api/v1/nodes/node-1");
        assertThat(client.nodes().withName("node-1").get().getMetadata().getAnnotations()).containsEntry("swarmnet.io/test", "1");
    }

    /** Why {@link Patches} exists: if fabric8 ever stops reading the object first, it can go. */
    @Test
    void fabric8sPatchByNameReadsTheObjectFirst() {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-2").endMetadata().build()).create();
        requests.clear();

        client.nodes().withName("node-2").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}");

        assertThat(requests).containsExactly("GET /api/v1/nodes/node-2", "PATCH /api/v1/nodes/node-2");
    }
}

package io.swarmnet.sandboxapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a fabric8 client sees when it writes objects: patches, subresources, generations, conflicts. */
class ObjectSemanticsTest {

    private static SandboxApiServer api;
    private static KubernetesClient client;

    @BeforeAll
    static void start() {
        api = SandboxApiServer.start();
        client = api.client();
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void mergePatchReplacesListsAndRemovesFieldsInsteadOfAppendingAndStoringNulls() {
        client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("merge").endMetadata()
                .addToData("a", "1").addToData("b", "2").build()).create();
        client.configMaps().withName("merge").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"data\":{\"a\":null,\"c\":\"3\"}}");

        ConfigMap patched = client.configMaps().withName("merge").get();
        assertThat(patched.getData()).containsExactlyInAnyOrderEntriesOf(Map.of("b", "2", "c", "3"));

        GenericKubernetesResource network = Objects.networks(client).resource(Objects.network("lists", "10.0.9.0/24")).create();
        Objects.networks(client).withName("lists").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"A\"},"
                        + "{\"type\":\"Degraded\",\"status\":\"True\",\"reason\":\"B\"}]}}");
        Objects.networks(client).withName("lists").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"C\"}]}}");

        Map<String, Object> status = statusOf(Objects.networks(client).withName("lists").get());
        assertThat((List<?>) status.get("conditions")).hasSize(1);
        assertThat(status.toString()).doesNotContain("Degraded").contains("reason=C");
        assertThat(network.getMetadata().getGeneration()).isEqualTo(1L);
    }

    @Test
    void jsonPatchAndStrategicMergePatchWorkOnBuiltInKinds() {
        client.pods().resource(pod("smp")).create();
        client.pods().withName("smp").patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                "{\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"busybox:2\"}]},\"metadata\":{\"labels\":{\"x\":\"y\"}}}");
        Pod pod = client.pods().withName("smp").get();
        assertThat(pod.getSpec().getContainers()).hasSize(2);
        assertThat(pod.getSpec().getContainers().get(0).getImage()).isEqualTo("busybox:2");
        assertThat(pod.getMetadata().getLabels()).containsEntry("x", "y").containsEntry("app", "test");

        client.pods().withName("smp").patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"remove\",\"path\":\"/metadata/labels/x\"},{\"op\":\"replace\",\"path\":\"/spec/containers/1/image\",\"value\":\"nginx:2\"}]");
        pod = client.pods().withName("smp").get();
        assertThat(pod.getMetadata().getLabels()).doesNotContainKey("x");
        assertThat(pod.getSpec().getContainers().get(1).getImage()).isEqualTo("nginx:2");
    }

    @Test
    void statusIsASubresourceForCustomResourcesAndPods() {
        GenericKubernetesResource created = Objects.networks(client).resource(withStatus(Objects.network("status", "10.0.10.0/24"))).create();
        assertThat(created.getAdditionalProperties()).doesNotContainKey("status");

        Objects.networks(client).withName("status").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"status\":{\"subnet\":\"10.0.10.0/24\"},\"spec\":{\"mtu\":1400}}");
        GenericKubernetesResource afterStatus = Objects.networks(client).withName("status").get();
        assertThat(statusOf(afterStatus)).containsEntry("subnet", "10.0.10.0/24");
        assertThat(specOf(afterStatus)).doesNotContainKey("mtu");

        GenericKubernetesResource replaced = Objects.networks(client).withName("status").get();
        replaced.setAdditionalProperty("status", Map.of("subnet", "10.9.9.0/24"));
        Objects.networks(client).resource(replaced).update();
        assertThat(statusOf(Objects.networks(client).withName("status").get())).containsEntry("subnet", "10.0.10.0/24");

        client.pods().resource(pod("status")).create();
        assertThat(client.pods().withName("status").get().getStatus().getPhase()).isEqualTo("Pending");
        client.pods().withName("status").edit(p -> new PodBuilder(p).editStatus().withPhase("Running").endStatus().build());
        assertThat(client.pods().withName("status").get().getStatus().getPhase()).isEqualTo("Pending");
        client.pods().withName("status").editStatus(p -> new PodBuilder(p).editStatus().withPhase("Running").endStatus()
                .editSpec().withNodeName("node-9").endSpec().build());
        Pod pod = client.pods().withName("status").get();
        assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
        assertThat(pod.getSpec().getNodeName()).isNull();
    }

    @Test
    void generationStartsAtOneAndCountsOnlySpecChanges() {
        Objects.networks(client).resource(Objects.network("generation", "10.0.11.0/24")).create();
        var network = Objects.networks(client).withName("generation");
        assertThat(network.get().getMetadata().getGeneration()).isEqualTo(1L);

        network.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
        network.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"observedGeneration\":1}}");
        assertThat(network.get().getMetadata().getGeneration()).isEqualTo(1L);

        network.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"mtu\":1400}}");
        assertThat(network.get().getMetadata().getGeneration()).isEqualTo(2L);

        String before = network.get().getMetadata().getResourceVersion();
        network.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"mtu\":1400}}");
        assertThat(network.get().getMetadata().getResourceVersion()).as("a no-op write stores nothing").isEqualTo(before);
    }

    @Test
    void staleResourceVersionIsAConflict() {
        client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("conflict").endMetadata()
                .addToData("v", "1").build()).create();
        ConfigMap first = client.configMaps().withName("conflict").get();
        ConfigMap second = client.configMaps().withName("conflict").get();
        first.getData().put("v", "2");
        client.configMaps().resource(first).update();
        second.getData().put("v", "3");

        assertThatThrownBy(() -> client.configMaps().resource(second).update())
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(409))
                .hasMessageContaining("the object has been modified");
        assertThat(client.configMaps().withName("conflict").get().getData()).containsEntry("v", "2");
    }

    @Test
    void createOfAnExistingNameIsAlreadyExistsAndUnknownPathsAre404WithAStatus() {
        client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("twice").endMetadata().build()).create();
        assertThatThrownBy(() -> client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("twice")
                .endMetadata().build()).create())
                .satisfies(e -> assertThat(((KubernetesClientException) e).getStatus().getReason()).isEqualTo("AlreadyExists"));
        assertThat(client.configMaps().withName("nothing").get()).isNull();
    }

    @Test
    void aBindingPlacesAPodOnceAndMarksItScheduled() {
        Pod pod = client.pods().resource(pod("bound")).create();
        client.bindings().resource(new io.fabric8.kubernetes.api.model.BindingBuilder().withNewMetadata().withName("bound")
                .withUid(pod.getMetadata().getUid()).endMetadata()
                .withNewTarget().withKind("Node").withApiVersion("v1").withName("node-1").endTarget().build()).create();

        Pod bound = client.pods().withName("bound").get();
        assertThat(bound.getSpec().getNodeName()).isEqualTo("node-1");
        assertThat(bound.getStatus().getConditions()).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("PodScheduled");
            assertThat(c.getStatus()).isEqualTo("True");
        });
        assertThatThrownBy(() -> client.bindings().resource(new io.fabric8.kubernetes.api.model.BindingBuilder().withNewMetadata()
                .withName("bound").endMetadata().withNewTarget().withKind("Node").withName("node-2").endTarget().build()).create())
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(409))
                .hasMessageContaining("already assigned to node \"node-1\"");
    }

    static Pod pod(String name) {
        return new PodBuilder().withNewMetadata().withName(name).addToLabels("app", "test").endMetadata()
                .withNewSpec().addNewContainer().withName("main").withImage("busybox").endContainer()
                .addNewContainer().withName("side").withImage("nginx").endContainer().endSpec().build();
    }

    private static GenericKubernetesResource withStatus(GenericKubernetesResource resource) {
        resource.setAdditionalProperty("status", Map.of("subnet", "10.1.1.0/24"));
        return resource;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> statusOf(GenericKubernetesResource resource) {
        return (Map<String, Object>) resource.getAdditionalProperties().getOrDefault("status", Map.of());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> specOf(GenericKubernetesResource resource) {
        return (Map<String, Object>) resource.getAdditionalProperties().getOrDefault("spec", Map.of());
    }
}

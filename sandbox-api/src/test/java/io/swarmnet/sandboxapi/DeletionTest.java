package io.swarmnet.sandboxapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Finalizers hold deleted objects; owners take their dependents with them, as the garbage collector does. */
class DeletionTest {

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
    void finalizerHoldsADeletedObjectUntilTheLastOneIsRemoved() {
        GenericKubernetesResource network = Objects.network("held", "10.0.20.0/24");
        network.getMetadata().setFinalizers(List.of("swarmnet.io/in-use", "swarmnet.io/other"));
        Objects.networks(client).resource(network).create();

        Objects.networks(client).withName("held").delete();
        GenericKubernetesResource marked = Objects.networks(client).withName("held").get();
        assertThat(marked).isNotNull();
        assertThat(marked.getMetadata().getDeletionTimestamp()).isNotBlank();

        Objects.networks(client).withName("held").edit(n -> {
            n.getMetadata().setFinalizers(List.of("swarmnet.io/other"));
            return n;
        });
        assertThat(Objects.networks(client).withName("held").get()).as("one finalizer still holds it").isNotNull();

        Objects.networks(client).withName("held").edit(n -> {
            n.getMetadata().setFinalizers(List.of());
            return n;
        });
        assertThat(Objects.networks(client).withName("held").get()).isNull();
    }

    @Test
    void deletingAServiceDeletesItsPodsButOrphanKeepsThem() {
        GenericKubernetesResource service = Objects.services(client).resource(Objects.service("web", 2)).create();
        for (int slot = 1; slot <= 2; slot++) {
            client.pods().resource(ownedPod("web-" + slot, service)).create();
        }
        client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("unrelated").endMetadata().build()).create();

        Objects.services(client).withName("web").delete();
        api.awaitGarbageCollection();

        assertThat(client.pods().withName("web-1").get()).isNull();
        assertThat(client.pods().withName("web-2").get()).isNull();
        assertThat(client.configMaps().withName("unrelated").get()).isNotNull();

        GenericKubernetesResource kept = Objects.services(client).resource(Objects.service("kept", 1)).create();
        client.pods().resource(ownedPod("kept-1", kept)).create();
        Objects.services(client).withName("kept").withPropagationPolicy(DeletionPropagation.ORPHAN).delete();
        api.awaitGarbageCollection();
        Pod orphan = client.pods().withName("kept-1").get();
        assertThat(orphan).isNotNull();
        assertThat(orphan.getMetadata().getOwnerReferences()).isEmpty();
    }

    @Test
    void deletingANamespaceEmptiesItAndWaitsForItsContentsFinalizers() {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("doomed").endMetadata().build()).create();
        client.configMaps().inNamespace("doomed").resource(new ConfigMapBuilder().withNewMetadata().withName("plain").endMetadata().build()).create();
        client.configMaps().inNamespace("doomed").resource(new ConfigMapBuilder().withNewMetadata().withName("held")
                .withFinalizers("test.swarmnet.io/hold").endMetadata().build()).create();

        client.namespaces().withName("doomed").delete();
        Eventually.await("the namespace controller deletes the contents", java.time.Duration.ofSeconds(20),
                () -> client.configMaps().inNamespace("doomed").withName("plain").get() == null);
        assertThat(client.configMaps().inNamespace("doomed").withName("held").get().getMetadata().getDeletionTimestamp()).isNotBlank();
        assertThat(client.namespaces().withName("doomed").get().getStatus().getPhase()).isEqualTo("Terminating");

        client.configMaps().inNamespace("doomed").withName("held").edit(c -> new ConfigMapBuilder(c).editMetadata()
                .withFinalizers(List.of()).endMetadata().build());
        Eventually.await("namespace doomed is gone once its last object is", java.time.Duration.ofSeconds(20),
                () -> client.namespaces().withName("doomed").get() == null);
    }

    private static Pod ownedPod(String name, GenericKubernetesResource owner) {
        return new PodBuilder(ObjectSemanticsTest.pod(name)).editMetadata()
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(owner.getApiVersion()).withKind(owner.getKind())
                        .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
                        .withController(true).withBlockOwnerDeletion(true).build())
                .endMetadata().build();
    }
}

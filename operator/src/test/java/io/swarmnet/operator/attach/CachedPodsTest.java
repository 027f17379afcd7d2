package io.swarmnet.operator.attach;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CachedPodsTest {

    private static Pod pod(boolean withManagedFields) {
        PodBuilder pod = new PodBuilder().withNewMetadata().withNamespace("shop").withName("web-1").withUid("u-1")
                .withResourceVersion("41").withLabels(Map.of("swarmnet.io/service", "web"))
                .withAnnotations(Map.of("swarmnet.io/addresses", "{\"front\":\"10.0.0.3\"}")).endMetadata()
                .withNewSpec().withNodeName("node-1").addNewContainer().withName("web").withImage("nginx").endContainer().endSpec()
                .withNewStatus().withPhase("Running").endStatus();
        if (withManagedFields) {
            pod.editMetadata().addToManagedFields(new ManagedFieldsEntryBuilder().withManager("swarmnet-operator").withOperation("Update")
                    .withApiVersion("v1").withFieldsType("FieldsV1").withNewFieldsV1()
                    .addToAdditionalProperties("f:metadata", Map.of("f:annotations", Map.of("f:swarmnet.io/addresses", Map.of())))
                    .endFieldsV1().build()).endMetadata();
        }
        return pod.build();
    }

    @Test
    void aCachedPodKeepsEverythingButTheManagedFields() {
        ItemStore<Pod> store = CachedPods.store();
        Pod written = pod(true);
        assertThat(written.getMetadata().getManagedFields()).as("the pod as the API server sends it").hasSize(1);
        String key = store.getKey(written);
        store.put(key, written);

        Pod cached = store.get(key);
        assertThat(cached.getMetadata().getManagedFields()).isEmpty();
        assertThat(cached).isEqualTo(pod(false));
        assertThat(store.keySet()).containsExactly("shop/web-1");
    }
}

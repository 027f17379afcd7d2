package io.swarmnet.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class KubernetesClientsTest {

    /** A task pod as a real API server sends it: two writers' managedFields beside what the operator reads. */
    private static final String POD = """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1-abcde","namespace":"shop","uid":"u-1","resourceVersion":"42",
              "labels":{"swarmnet.io/service":"web"},"annotations":{"swarmnet.io/addresses":"{\\"front\\":\\"10.0.9.3\\"}"},
              "ownerReferences":[{"apiVersion":"swarmnet.io/v1alpha1","kind":"SwarmService","name":"web","uid":"s-1","controller":true}],
              "managedFields":[
                {"manager":"swarmnet-operator","operation":"Update","apiVersion":"v1","time":"2026-12-06T04:00:00Z","fieldsType":"FieldsV1",
                 "fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:swarmnet.io/addresses":{}},"f:labels":{".":{},"f:swarmnet.io/service":{}}},
                   "f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{},"f:name":{}}}}}},
                {"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"2026-12-06T04:00:01Z","fieldsType":"FieldsV1",
                 "subresource":"status","fieldsV1":{"f:status":{"f:conditions":{}}}}],
              "futureField":{"a":1}},
             "spec":{"nodeName":"node-1","containers":[{"name":"web","image":"nginx"}]},
             "status":{"phase":"Running","podIP":"10.244.0.7","conditions":[{"type":"Ready","status":"True"}]}}
            """;

    @Test
    void objectsAreReadWithoutTheirManagedFieldsAndNothingElseIsLost() {
        KubernetesSerialization serialization = KubernetesClients.serialization();

        Pod pod = serialization.unmarshal(POD, Pod.class);

        assertThat(pod.getMetadata().getManagedFields()).isEmpty();
        assertThat(pod.getMetadata().getName()).isEqualTo("web-1-abcde");
        assertThat(pod.getMetadata().getResourceVersion()).isEqualTo("42");
        assertThat(pod.getMetadata().getLabels()).containsEntry("swarmnet.io/service", "web");
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("swarmnet.io/addresses", "{\"front\":\"10.0.9.3\"}");
        assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getController()).isTrue());
        assertThat(pod.getSpec().getNodeName()).isEqualTo("node-1");
        assertThat(pod.getStatus().getConditions()).singleElement().satisfies(c -> assertThat(c.getStatus()).isEqualTo("True"));
        // written back (a patch's source, an update), the pod carries no managedFields: the server keeps its own record
        assertThat(serialization.asJson(pod)).doesNotContain("managedFields").doesNotContain("fieldsV1").contains("\"uid\":\"u-1\"");
    }

    @Test
    void aListIsReadTheSameWayAndPlainFabric8WouldHaveKeptThem() {
        String list = "{\"apiVersion\":\"v1\",\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"43\"},\"items\":[" + POD + "]}";

        assertThat(KubernetesClients.serialization().unmarshal(list, PodList.class).getItems()).singleElement()
                .satisfies(p -> assertThat(p.getMetadata().getManagedFields()).isEmpty());
        assertThat(new KubernetesSerialization().unmarshal(list, PodList.class).getItems()).singleElement()
                .satisfies(p -> assertThat(p.getMetadata().getManagedFields()).hasSize(2));
    }
}

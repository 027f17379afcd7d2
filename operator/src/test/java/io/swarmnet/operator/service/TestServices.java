package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.api.service.SwarmService;
import java.util.List;

/** SwarmService objects for tests of one class, without an operator running. */
final class TestServices {

    private TestServices() {
    }

    /** The service {@code web} in {@code default}: one nginx container, on the network {@code front}. */
    static SwarmService web() {
        SwarmService service = new SwarmService();
        service.getMetadata().setName("web");
        service.getMetadata().setNamespace("default");
        service.getSpec().setTemplate(new PodTemplateSpecBuilder().withNewSpec().addNewContainer()
                .withName("web").withImage("nginx").endContainer().endSpec().build());
        service.getSpec().setNetworks(List.of(new NetworkAttachment("front")));
        return service;
    }
}

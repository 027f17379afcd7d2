package io.swarmnet.sandboxapi;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.utils.Serialization;

/** Small builders for the test objects: our kinds as generic resources, from YAML. */
final class Objects {

    static final ResourceDefinitionContext OVERLAY_NETWORKS = new ResourceDefinitionContext.Builder()
            .withGroup("swarmnet.io").withVersion("v1alpha1").withPlural("overlaynetworks").withKind("OverlayNetwork")
            .withNamespaced(true).build();
    static final ResourceDefinitionContext SWARM_SERVICES = new ResourceDefinitionContext.Builder()
            .withGroup("swarmnet.io").withVersion("v1alpha1").withPlural("swarmservices").withKind("SwarmService")
            .withNamespaced(true).build();

    private Objects() {
    }

    static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> networks(
            KubernetesClient client) {
        return client.genericKubernetesResources(OVERLAY_NETWORKS);
    }

    static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> services(
            KubernetesClient client) {
        return client.genericKubernetesResources(SWARM_SERVICES);
    }

    static GenericKubernetesResource network(String name, String subnet) {
        return Serialization.unmarshal("""
                apiVersion: swarmnet.io/v1alpha1
                kind: OverlayNetwork
                metadata: {name: %s}
                spec: {subnet: %s}
                """.formatted(name, subnet), GenericKubernetesResource.class);
    }

    static GenericKubernetesResource service(String name, int replicas) {
        return Serialization.unmarshal(serviceManifest(name, replicas), GenericKubernetesResource.class);
    }

    /** The same service as a manifest, for kubectl. */
    static String serviceManifest(String name, int replicas) {
        return """
                apiVersion: swarmnet.io/v1alpha1
                kind: SwarmService
                metadata: {name: %s}
                spec:
                  replicas: %d
                  networks: [{name: my-network}]
                  template:
                    spec:
                      containers: [{name: nginx, image: nginx}]
                """.formatted(name, replicas);
    }
}

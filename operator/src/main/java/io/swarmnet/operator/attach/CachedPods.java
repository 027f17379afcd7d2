package io.swarmnet.operator.attach;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;

/**
 * How the operator's pod informers keep pods: without {@code metadata.managedFields}, which the API server adds to every
 * pod (one entry per writer, each a tree of every field it set) and which the operator never reads. With 100,000 tasks
 * that tree is a good part of each cached pod. The operator's own client skips the field while parsing
 * ({@code KubernetesClients.serialization()}); the store drops it for a client made otherwise.
 */
public final class CachedPods {

    private CachedPods() {
    }

    /** A store for one informer (a store belongs to one informer). */
    public static ItemStore<Pod> store() {
        return new TransformingItemStore<>(CachedPods::withoutManagedFields);
    }

    static Pod withoutManagedFields(Pod pod) {
        if (pod.getMetadata() != null && pod.getMetadata().getManagedFields() != null && !pod.getMetadata().getManagedFields().isEmpty()) {
            pod.getMetadata().setManagedFields(java.util.List.of());
        }
        return pod;
    }
}

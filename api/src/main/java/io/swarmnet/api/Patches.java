package io.swarmnet.api;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.EditReplacePatchable;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * Patches sent as one request. fabric8's {@code withName(name).patch(context, String)} first GETs the
 * object, only to learn its name and namespace; bound to an object already in hand
 * ({@code resource(object)}) the patch goes out alone. On a real API server that halves the requests of
 * every status or annotation write, the operator's commonest request.
 */
public final class Patches {

    private Patches() {
    }

    /**
     * One PATCH of {@code target}, or of its subresource; only the target's kind, namespace and name are read.
     *
     * @param subresource {@code "status"}, or null for the object itself
     * @return the object as the API server holds it after the patch
     */
    public static <T extends HasMetadata> T send(KubernetesClient client, T target, String subresource, PatchType type, String patch) {
        Resource<T> resource = client.resource(target);
        EditReplacePatchable<T> patchable = subresource == null ? resource : resource.subresource(subresource);
        return patchable.patch(PatchContext.of(type), patch);
    }

    /** A Node that only names itself: what {@link #send} needs to patch a node whose object is not at hand. */
    public static io.fabric8.kubernetes.api.model.Node node(String name) {
        return new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
    }
}

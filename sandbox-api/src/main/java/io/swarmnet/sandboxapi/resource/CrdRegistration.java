package io.swarmnet.sandboxapi.resource;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.store.ChangeListener;
import io.swarmnet.sandboxapi.store.ObjectStore;

/**
 * Serves the kinds of every stored CRD from the moment it is stored; when a CRD is deleted its
 * objects are deleted, then its kinds stop being served.
 */
public final class CrdRegistration implements ChangeListener {

    private final ResourceCatalog catalog;
    private final ObjectStore store;

    public CrdRegistration(ResourceCatalog catalog, ObjectStore store) {
        this.catalog = catalog;
        this.store = store;
    }

    @Override
    public void changed(ResourceType type, ObjectNode before, ObjectNode after) {
        if (type.custom() || !type.kind().equals("CustomResourceDefinition")) {
            return;
        }
        if (after != null) {
            catalog.defineCustom(after);
            return;
        }
        String name = Json.name(before);
        // Outside the store's lock: deleting the objects takes it again, object by object.
        Thread cleanup = new Thread(() -> {
            for (ResourceType served : catalog.all()) {
                if (served.custom() && Json.name(served.crd()).equals(name)) {
                    for (ObjectNode object : store.list(served, null, o -> true).items()) {
                        try {
                            store.delete(served, Json.namespace(object), Json.name(object), null, null);
                        } catch (ApiError ignored) {
                            // already gone
                        }
                    }
                }
            }
            catalog.forgetCustom(name);
        }, "sandbox-api-crd-cleanup");
        cleanup.setDaemon(true);
        cleanup.start();
    }
}

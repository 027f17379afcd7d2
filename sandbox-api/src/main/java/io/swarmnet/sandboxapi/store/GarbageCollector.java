package io.swarmnet.sandboxapi.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.resource.ResourceType;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' garbage collector in background mode: once an owner is gone, dependents whose every
 * owner is gone are deleted (through the normal delete, so their own finalizers and dependents are
 * honoured), and references to a gone owner are dropped from dependents that still have another
 * owner. Deleting a namespace deletes what is in it. Runs after the owner's delete has returned,
 * on its own thread, as the real collector does.
 */
public final class GarbageCollector implements ChangeListener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);

    private final ObjectStore store;
    private final Set<String> liveUids = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "sandbox-api-garbage-collector");
        thread.setDaemon(true);
        return thread;
    });

    public GarbageCollector(ObjectStore store) {
        this.store = store;
    }

    @Override
    public void changed(ResourceType type, ObjectNode before, ObjectNode after) {
        if (before == null && after != null) {
            liveUids.add(Json.uid(after));
            if (after.path("metadata").path("ownerReferences").size() > 0) {
                ObjectKey key = ObjectKey.of(type, Json.namespace(after), Json.name(after));
                worker.execute(() -> collectIfOrphaned(type, key));
            }
        } else if (after == null && before != null) {
            String uid = Json.uid(before);
            liveUids.remove(uid);
            worker.execute(() -> collectDependentsOf(uid));
            if (isNamespace(type)) {
                worker.execute(() -> emptyNamespace(Json.name(before)));
            }
        } else if (before != null && isNamespace(type) && !WriteRules.beingDeleted(before) && WriteRules.beingDeleted(after)) {
            // The namespace controller starts a moment after the delete, as on a real cluster: a
            // `kubectl delete -f` of a namespace and its contents deletes the contents itself first.
            String namespace = Json.name(after);
            worker.schedule(() -> finishNamespace(namespace), NAMESPACE_CONTROLLER_DELAY_MS, TimeUnit.MILLISECONDS);
        }
    }

    private static boolean isNamespace(ResourceType type) {
        return !type.custom() && type.kind().equals("Namespace");
    }

    private static final long NAMESPACE_CONTROLLER_DELAY_MS = 1000;

    /** Deletes what is in a terminating namespace, and the namespace once nothing is left. */
    private void finishNamespace(String namespace) {
        emptyNamespace(namespace);
        if (!store.inNamespace(namespace).isEmpty()) {
            // Finalizers still hold some objects: look again shortly.
            worker.schedule(() -> finishNamespace(namespace), 200, TimeUnit.MILLISECONDS);
            return;
        }
        for (ObjectStore.Entry entry : store.namespaces()) {
            if (Json.name(entry.object()).equals(namespace)) {
                try {
                    store.update(entry.type(), "", namespace, Subresource.MAIN, object -> {
                        ((ObjectNode) object.path("spec")).putArray("finalizers");
                        Json.metadata(object).remove("resourceVersion");
                        return object;
                    });
                } catch (ApiError e) {
                    LOG.debug("finishing namespace {} skipped: {}", namespace, e.getMessage());
                }
            }
        }
    }

    /** For {@code propagationPolicy=Orphan}: dependents lose their reference to the owner and stay. */
    public void orphanDependentsOf(String ownerUid) {
        for (ObjectStore.Entry dependent : store.dependentsOf(ownerUid)) {
            keepOwnersWhere(dependent, reference -> !ownerUid.equals(reference.path("uid").asText()));
        }
    }

    /** Blocks until everything queued so far has been collected; for tests and orderly shutdown. */
    public void settle() {
        try {
            worker.submit(() -> { }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("garbage collector did not settle within 10 s", e);
        }
    }

    private void collectDependentsOf(String ownerUid) {
        for (ObjectStore.Entry dependent : store.dependentsOf(ownerUid)) {
            collectIfOrphaned(dependent.type(), dependent.key());
        }
    }

    private void collectIfOrphaned(ResourceType type, ObjectKey key) {
        ObjectNode object = store.get(type, key.namespace(), key.name());
        if (object == null) {
            return;
        }
        JsonNode references = object.path("metadata").path("ownerReferences");
        int live = 0;
        for (JsonNode reference : references) {
            if (liveUids.contains(reference.path("uid").asText())) {
                live++;
            }
        }
        if (live == references.size()) {
            return;
        }
        if (live == 0) {
            try {
                store.delete(type, key.namespace(), key.name(), Json.uid(object), null);
            } catch (ApiError e) {
                LOG.debug("garbage collection of {} {}/{} skipped: {}", type.kind(), key.namespace(), key.name(), e.getMessage());
            }
        } else {
            keepOwnersWhere(new ObjectStore.Entry(key, type, object), reference -> liveUids.contains(reference.path("uid").asText()));
        }
    }

    private void keepOwnersWhere(ObjectStore.Entry dependent, java.util.function.Predicate<JsonNode> keep) {
        try {
            store.update(dependent.type(), dependent.key().namespace(), dependent.key().name(), Subresource.MAIN, object -> {
                ArrayNode kept = Json.array();
                object.path("metadata").path("ownerReferences").forEach(reference -> {
                    if (keep.test(reference)) {
                        kept.add(reference);
                    }
                });
                ObjectNode metadata = Json.metadata(object);
                if (kept.isEmpty()) {
                    metadata.remove("ownerReferences");
                } else {
                    metadata.set("ownerReferences", kept);
                }
                metadata.remove("resourceVersion");
                return object;
            });
        } catch (ApiError e) {
            LOG.debug("dropping owner references of {} {} skipped: {}", dependent.type().kind(), dependent.key(), e.getMessage());
        }
    }

    private void emptyNamespace(String namespace) {
        for (ObjectStore.Entry entry : store.inNamespace(namespace)) {
            try {
                store.delete(entry.type(), namespace, entry.key().name(), null, null);
            } catch (ApiError e) {
                LOG.debug("deleting {} {} with its namespace skipped: {}", entry.type().kind(), entry.key(), e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}

package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.store.ObjectStore;
import io.swarmnet.sandboxapi.store.WatchSink;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Turns a store watch into the wire format of Kubernetes watches — one JSON
 * {@code {"type":..,"object":..}} per event — for whichever transport carries it: a chunked HTTP
 * response (kubectl) or a WebSocket (fabric8 clients). Events for {@code kubectl get -w} carry a
 * one-row Table, with the column definitions in the first event only, as the API server does.
 */
public final class WatchStream {

    /** Where the events go; implementations must not block. */
    public interface Channel {
        void send(String event);

        void end();
    }

    private final ObjectStore store;
    private final TableConverter tables;

    public WatchStream(ObjectStore store, TableConverter tables) {
        this.store = store;
        this.tables = tables;
    }

    public ObjectStore.Subscription open(WatchPlan plan, Channel channel) {
        AtomicBoolean first = new AtomicBoolean(true);
        WatchSink sink = new WatchSink() {
            @Override
            public void event(String type, ObjectNode object) {
                ObjectNode event = Json.object();
                event.put("type", type);
                if (plan.table()) {
                    ObjectNode table = tables.table(plan.type(), List.of(object), object.path("metadata").path("resourceVersion").asText(),
                            plan.includeObject());
                    if (!first.getAndSet(false)) {
                        table.putArray("columnDefinitions");
                    }
                    event.set("object", table);
                } else {
                    event.set("object", object);
                }
                channel.send(Json.text(event));
            }

            @Override
            public void initialEventsEnd(String resourceVersion) {
                if (!plan.sendInitialEvents()) {
                    return;
                }
                // what client-go's watch list waits for before it counts its cache as synced
                ObjectNode bookmark = Json.object();
                bookmark.put("apiVersion", plan.type().apiVersion());
                bookmark.put("kind", plan.type().kind());
                ObjectNode metadata = bookmark.putObject("metadata");
                metadata.put("resourceVersion", resourceVersion);
                metadata.putObject("annotations").put("k8s.io/initial-events-end", "true");
                ObjectNode event = Json.object();
                event.put("type", "BOOKMARK");
                event.set("object", bookmark);
                channel.send(Json.text(event));
            }

            @Override
            public void expired(String message) {
                ObjectNode event = Json.object();
                event.put("type", "ERROR");
                event.set("object", ApiError.gone(message).status());
                channel.send(Json.text(event));
                channel.end();
            }
        };
        return store.watch(plan.type(), plan.namespace(), plan.filter(), plan.resourceVersion(), sink);
    }
}

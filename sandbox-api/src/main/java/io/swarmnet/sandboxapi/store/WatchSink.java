package io.swarmnet.sandboxapi.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Receives the events of one watch, in resourceVersion order. Called while the store holds its
 * lock, so it must hand the event off (queue or asynchronous write) and never block. The object is
 * shared with other watchers and the store: never modify it.
 */
public interface WatchSink {

    /** @param type ADDED, MODIFIED or DELETED */
    void event(String type, ObjectNode object);

    /** The requested resourceVersion is older than the history kept: the client must list again (HTTP 410). */
    void expired(String message);

    /** Every object that exists was sent as ADDED (a watch from no resourceVersion); the store is at this resourceVersion. */
    void initialEventsEnd(String resourceVersion);
}

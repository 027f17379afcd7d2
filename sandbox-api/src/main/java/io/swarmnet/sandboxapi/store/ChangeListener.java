package io.swarmnet.sandboxapi.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.resource.ResourceType;

/** Told of every committed change, under the store lock, in order; must not block. */
public interface ChangeListener {

    /**
     * @param before the object before the change, null on create
     * @param after  the object after the change, null when it was removed
     */
    void changed(ResourceType type, ObjectNode before, ObjectNode after);
}

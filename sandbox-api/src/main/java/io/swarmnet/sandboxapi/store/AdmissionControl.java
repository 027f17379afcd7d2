package io.swarmnet.sandboxapi.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.resource.ResourceType;

/**
 * Mutates (defaults) and validates an object about to be stored; throws
 * {@link io.swarmnet.sandboxapi.ApiError} to refuse it.
 */
public interface AdmissionControl {

    AdmissionControl NONE = (type, object, old) -> { };

    /** @param old the stored object on update, null on create */
    void admit(ResourceType type, ObjectNode object, ObjectNode old);
}

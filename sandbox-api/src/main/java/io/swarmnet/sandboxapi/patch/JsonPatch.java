package io.swarmnet.sandboxapi.patch;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmnet.sandboxapi.ApiError;

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test), through fabric8's zjsonpatch. */
public final class JsonPatch {

    private JsonPatch() {
    }

    public static JsonNode apply(JsonNode target, JsonNode patch) {
        if (!patch.isArray()) {
            throw new ApiError(400, "BadRequest", "json patch must be a JSON array of operations, got: " + patch.getNodeType(), null);
        }
        try {
            return io.fabric8.zjsonpatch.JsonPatch.apply(patch, target);
        } catch (RuntimeException e) {
            // A failed "test" or a path that does not exist: the API server answers 422 with the reason.
            throw new ApiError(422, "Invalid", "the server rejected our request due to an error in our request: "
                    + e.getMessage(), null);
        }
    }
}

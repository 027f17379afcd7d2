package io.swarmnet.sandboxapi.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.Json;
import java.util.Iterator;
import java.util.Map;

/**
 * RFC 7386 JSON merge patch: objects merge key by key, {@code null} removes a key, and every other
 * value — lists included — replaces what was there. (fabric8's CRUD mock appends to lists and keeps
 * removed keys as nulls, which corrupts conditions and task lists; this is the behaviour of a real
 * API server.)
 */
public final class MergePatch {

    private MergePatch() {
    }

    public static JsonNode apply(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode result = target != null && target.isObject() ? ((ObjectNode) target).deepCopy() : Json.object();
        Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getValue().isNull()) {
                result.remove(field.getKey());
            } else {
                result.set(field.getKey(), apply(result.get(field.getKey()), field.getValue()));
            }
        }
        return result;
    }
}

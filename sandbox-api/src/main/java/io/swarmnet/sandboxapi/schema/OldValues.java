package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * Finds the old value that corresponds to a part of the new object on update, as Kubernetes'
 * CorrelatedObject does: object fields by name (unless the map is atomic), list-type=map items by
 * their keys, list-type=set items by value; items of other lists have no old counterpart.
 */
final class OldValues {

    private OldValues() {
    }

    static JsonNode field(SchemaNode object, JsonNode old, String name) {
        if (!(old instanceof ObjectNode oldObject) || "atomic".equals(object.mapType())) {
            return null;
        }
        JsonNode value = oldObject.get(name);
        return value == null || value.isNull() ? null : value;
    }

    /** @param sets whether set items correlate (schema ratcheting) or not (CEL transition rules) */
    static JsonNode item(SchemaNode list, JsonNode item, JsonNode old, boolean sets) {
        if (!(old instanceof ArrayNode oldItems)) {
            return null;
        }
        if ("map".equals(list.listType()) && !list.listMapKeys().isEmpty()) {
            for (JsonNode candidate : oldItems) {
                boolean same = true;
                for (String key : list.listMapKeys()) {
                    same &= Objects.equals(item.get(key), candidate.get(key));
                }
                if (same) {
                    return candidate;
                }
            }
        } else if (sets && "set".equals(list.listType())) {
            for (JsonNode candidate : oldItems) {
                if (JsonValues.same(item, candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }
}

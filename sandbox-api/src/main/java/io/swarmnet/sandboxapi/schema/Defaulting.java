package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Structural-schema defaulting as the API server does it on decode: a property that is absent, or
 * null while not nullable, gets a deep copy of its {@code default}; defaults are applied top-down,
 * so a defaulted object is itself defaulted further. Afterwards a null for a non-nullable field
 * without a default is dropped, as the server prunes it, so it reads as "not set".
 */
final class Defaulting {

    private Defaulting() {
    }

    static void apply(SchemaNode schema, JsonNode value) {
        if (schema == null || value == null) {
            return;
        }
        if (value instanceof ObjectNode object) {
            schema.properties().forEach((name, property) -> {
                if (property.defaultValue() != null && (!object.has(name) || nonNullableNull(object.get(name), property))) {
                    object.set(name, property.defaultValue().deepCopy());
                }
            });
            List<String> dropped = new ArrayList<>();
            object.fields().forEachRemaining(field -> {
                SchemaNode property = schema.properties().get(field.getKey());
                if (property == null) {
                    property = schema.additionalProperties();
                    if (property != null && property.defaultValue() != null && nonNullableNull(field.getValue(), property)) {
                        field.setValue(property.defaultValue().deepCopy());
                    }
                }
                if (property != null && nonNullableNull(field.getValue(), property) && property.defaultValue() == null) {
                    dropped.add(field.getKey());
                }
                apply(property, field.getValue());
            });
            dropped.forEach(object::remove);
        } else if (value instanceof ArrayNode array && schema.items() != null) {
            SchemaNode items = schema.items();
            for (int i = 0; i < array.size(); i++) {
                if (items.defaultValue() != null && nonNullableNull(array.get(i), items)) {
                    array.set(i, items.defaultValue().deepCopy());
                }
                apply(items, array.get(i));
            }
        }
    }

    private static boolean nonNullableNull(JsonNode value, SchemaNode schema) {
        return value != null && value.isNull() && !schema.nullable();
    }
}

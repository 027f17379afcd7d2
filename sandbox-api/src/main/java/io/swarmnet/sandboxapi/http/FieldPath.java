package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A simple dotted path into an object ({@code .spec.replicas}), as a CRD's scale subresource names fields. */
record FieldPath(String[] segments) {

    static FieldPath parse(String path) {
        String trimmed = path.startsWith(".") ? path.substring(1) : path;
        return new FieldPath(trimmed.isEmpty() ? new String[0] : trimmed.split("\\."));
    }

    JsonNode read(JsonNode object) {
        JsonNode node = object;
        for (String segment : segments) {
            node = node.path(segment);
        }
        return node;
    }

    void write(ObjectNode object, JsonNode value) {
        ObjectNode node = object;
        for (int i = 0; i < segments.length - 1; i++) {
            JsonNode child = node.get(segments[i]);
            node = child instanceof ObjectNode childObject ? childObject : node.putObject(segments[i]);
        }
        node.set(segments[segments.length - 1], value);
    }
}

package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A sample manifest from src/test/resources/manifests, changed field by field:
 * {@code Manifest.load("overlaynetwork-full.yaml").with("spec.subnet", "10.0.9.0/33")}.
 * Paths are dotted; {@code [n]} indexes a list ({@code spec.networks[0].name}).
 */
final class Manifest {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final ObjectNode object;

    private Manifest(ObjectNode object) {
        this.object = object;
    }

    static Manifest load(String resource) {
        try (InputStream in = Manifest.class.getResourceAsStream("/manifests/" + resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test manifest " + resource + " under src/test/resources/manifests");
            }
            return new Manifest((ObjectNode) YAML.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Manifest with(String path, Object value) {
        Manifest copy = copy();
        JsonNode node = YAML.valueToTree(value);
        copy.parentOf(path).set(last(path), node);
        return copy;
    }

    Manifest without(String path) {
        Manifest copy = copy();
        copy.parentOf(path).remove(last(path));
        return copy;
    }

    ObjectNode json() {
        return object.deepCopy();
    }

    JsonNode at(String path) {
        JsonNode node = object;
        for (String part : path.split("\\.")) {
            node = step(node, part);
        }
        return node;
    }

    private Manifest copy() {
        return new Manifest(object.deepCopy());
    }

    private ObjectNode parentOf(String path) {
        String[] parts = path.split("\\.");
        JsonNode node = object;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode next = step(node, parts[i]);
            if (next == null || next.isMissingNode() || next.isNull()) {
                next = ((ObjectNode) node).putObject(parts[i]);
            }
            node = next;
        }
        return (ObjectNode) node;
    }

    private static String last(String path) {
        String[] parts = path.split("\\.");
        return parts[parts.length - 1];
    }

    private static JsonNode step(JsonNode node, String part) {
        int bracket = part.indexOf('[');
        if (bracket < 0) {
            return node.path(part);
        }
        JsonNode list = node.path(part.substring(0, bracket));
        int index = Integer.parseInt(part.substring(bracket + 1, part.length() - 1));
        return list.path(index);
    }

    static ArrayNode list(Object... items) {
        return YAML.valueToTree(List.of(items));
    }
}

package io.swarmnet.sandboxapi.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Strategic merge patch for built-in kinds, as {@code kubectl apply} and {@code kubectl patch}
 * send it. An approximation of Kubernetes': the merge keys come from a table of the list fields
 * the sandbox's kinds use (containers by name, ports by port number, conditions by type, ...)
 * instead of the Go struct tags; lists not in the table are replaced, as atomic lists are. The
 * directives {@code $patch} (replace, delete), {@code $retainKeys},
 * {@code $deleteFromPrimitiveList/} and {@code $setElementOrder/} (ignored) are understood.
 */
public final class StrategicMergePatch {

    private static final Map<String, String> MERGE_KEYS = Map.ofEntries(
            Map.entry("containers", "name"),
            Map.entry("initContainers", "name"),
            Map.entry("ephemeralContainers", "name"),
            Map.entry("volumes", "name"),
            Map.entry("env", "name"),
            Map.entry("imagePullSecrets", "name"),
            Map.entry("volumeMounts", "mountPath"),
            Map.entry("volumeDevices", "devicePath"),
            Map.entry("conditions", "type"),
            Map.entry("ownerReferences", "uid"),
            Map.entry("hostAliases", "ip"),
            Map.entry("topologySpreadConstraints", "topologyKey"),
            Map.entry("containerStatuses", "name"),
            Map.entry("initContainerStatuses", "name"),
            Map.entry("podIPs", "ip"),
            Map.entry("addresses", "type"),
            Map.entry("taints", "key"));

    /** Primitive lists whose patch strategy is merge: patch values are added, none removed. */
    private static final List<String> MERGED_PRIMITIVE_LISTS = List.of("finalizers");

    private StrategicMergePatch() {
    }

    public static JsonNode apply(JsonNode target, JsonNode patch) {
        return merge(target, patch);
    }

    private static JsonNode merge(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        String directive = patch.path("$patch").asText("");
        if (directive.equals("replace")) {
            ObjectNode replacement = ((ObjectNode) patch).deepCopy();
            replacement.remove("$patch");
            return replacement;
        }
        ObjectNode result = target != null && target.isObject() ? ((ObjectNode) target).deepCopy() : Json.object();
        Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (name.equals("$patch") || name.startsWith("$setElementOrder/") || name.equals("$retainKeys")) {
                continue;
            }
            if (name.startsWith("$deleteFromPrimitiveList/")) {
                String list = name.substring("$deleteFromPrimitiveList/".length());
                if (result.get(list) instanceof ArrayNode existing) {
                    ArrayNode kept = Json.array();
                    existing.forEach(element -> {
                        if (!contains(value, element)) {
                            kept.add(element);
                        }
                    });
                    result.set(list, kept);
                }
                continue;
            }
            if (value.isNull() || (value.isObject() && value.path("$patch").asText("").equals("delete"))) {
                result.remove(name);
            } else if (value.isArray()) {
                result.set(name, mergeList(name, result.get(name), (ArrayNode) value));
            } else {
                result.set(name, merge(result.get(name), value));
            }
        }
        if (patch.get("$retainKeys") instanceof ArrayNode retain) {
            List<String> drop = new ArrayList<>();
            result.fieldNames().forEachRemaining(key -> {
                if (!contains(retain, Json.MAPPER.getNodeFactory().textNode(key))) {
                    drop.add(key);
                }
            });
            result.remove(drop);
        }
        return result;
    }

    private static JsonNode mergeList(String field, JsonNode target, ArrayNode patch) {
        for (JsonNode element : patch) {
            if (element.isObject() && element.path("$patch").asText("").equals("replace")) {
                ArrayNode replacement = Json.array();
                patch.forEach(e -> {
                    if (!(e.isObject() && e.has("$patch"))) {
                        replacement.add(e.deepCopy());
                    }
                });
                return replacement;
            }
        }
        if (!(target instanceof ArrayNode existing)) {
            return withoutDirectives(patch);
        }
        if (MERGED_PRIMITIVE_LISTS.contains(field)) {
            ArrayNode union = existing.deepCopy();
            patch.forEach(value -> {
                if (!contains(union, value)) {
                    union.add(value);
                }
            });
            return union;
        }
        String key = mergeKey(field, patch, existing);
        if (key == null) {
            return withoutDirectives(patch);
        }
        ArrayNode result = existing.deepCopy();
        for (JsonNode element : patch) {
            if (!element.isObject()) {
                continue;
            }
            JsonNode id = element.get(key);
            int index = indexOf(result, key, id);
            if (element.path("$patch").asText("").equals("delete")) {
                if (index >= 0) {
                    result.remove(index);
                }
            } else if (index >= 0) {
                result.set(index, merge(result.get(index), element));
            } else {
                result.add(merge(null, element));
            }
        }
        return result;
    }

    private static String mergeKey(String field, ArrayNode patch, ArrayNode existing) {
        if (field.equals("ports")) {
            // Container ports merge on containerPort, service ports on port.
            JsonNode sample = patch.size() > 0 ? patch.get(0) : existing.size() > 0 ? existing.get(0) : null;
            return sample != null && sample.has("containerPort") ? "containerPort" : "port";
        }
        return MERGE_KEYS.get(field);
    }

    private static int indexOf(ArrayNode list, String key, JsonNode id) {
        for (int i = 0; i < list.size(); i++) {
            if (id != null && id.equals(list.get(i).get(key))) {
                return i;
            }
        }
        return -1;
    }

    private static boolean contains(JsonNode list, JsonNode value) {
        for (JsonNode element : list) {
            if (element.equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static ArrayNode withoutDirectives(ArrayNode list) {
        ArrayNode clean = Json.array();
        list.forEach(element -> clean.add(element.isObject() ? merge(null, element) : element.deepCopy()));
        return clean;
    }
}

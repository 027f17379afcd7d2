package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds (and optionally removes) fields the structural schema does not declare, as the API server's
 * pruning does when it decodes a custom resource. Under strict field validation (kubectl's default)
 * each one is an error {@code unknown field "spec.foo"}; otherwise the field is silently dropped.
 * {@code apiVersion}, {@code kind} and {@code metadata} are always allowed at the root of a resource
 * and of an {@code x-kubernetes-embedded-resource}; {@code x-kubernetes-preserve-unknown-fields}
 * keeps everything below it that the schema does not describe.
 */
final class UnknownFields {

    private static final Set<String> RESOURCE_ROOT_FIELDS = Set.of("apiVersion", "kind", "metadata");
    /** ObjectMeta's fields: strict decoding refuses others ({@code unknown field "metadata.label"}). */
    private static final Set<String> OBJECT_META_FIELDS = Set.of("name", "generateName", "namespace", "selfLink", "uid",
            "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
            "labels", "annotations", "ownerReferences", "finalizers", "managedFields");

    private UnknownFields() {
    }

    /** Paths of undeclared fields; removes them from {@code object} when {@code prune} is set. */
    static List<String> find(SchemaNode root, ObjectNode object, boolean prune) {
        List<String> found = new ArrayList<>();
        walk(root, object, "", true, prune, found);
        return found;
    }

    private static void walk(SchemaNode schema, JsonNode value, String path, boolean resourceRoot,
                             boolean prune, List<String> found) {
        if (schema == null || value == null) {
            return;
        }
        if (value instanceof ObjectNode object) {
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                String name = field.getKey();
                String fieldPath = FieldPaths.child(path, name);
                SchemaNode property = schema.properties().get(name);
                if (property != null) {
                    walk(property, field.getValue(), fieldPath, property.embeddedResource(), prune, found);
                } else if (resourceRoot && RESOURCE_ROOT_FIELDS.contains(name)) {
                    // ObjectMeta is validated by the API server's own code, not by the CRD schema;
                    // only its top-level field names are checked here.
                    if (name.equals("metadata") && field.getValue() instanceof ObjectNode metadata) {
                        Iterator<String> metaFields = metadata.fieldNames();
                        while (metaFields.hasNext()) {
                            String metaField = metaFields.next();
                            if (!OBJECT_META_FIELDS.contains(metaField)) {
                                found.add(FieldPaths.child(fieldPath, metaField));
                                if (prune) {
                                    metaFields.remove();
                                }
                            }
                        }
                    }
                } else if (schema.additionalProperties() != null) {
                    SchemaNode additional = schema.additionalProperties();
                    walk(additional, field.getValue(), fieldPath, additional.embeddedResource(), prune, found);
                } else if (schema.preserveUnknownFields() || Boolean.TRUE.equals(schema.additionalPropertiesAllowed())) {
                    // kept as written
                } else {
                    found.add(fieldPath);
                    if (prune) {
                        fields.remove();
                    }
                }
            }
        } else if (value instanceof ArrayNode array && schema.items() != null) {
            for (int i = 0; i < array.size(); i++) {
                walk(schema.items(), array.get(i), FieldPaths.index(path, i), schema.items().embeddedResource(),
                        prune, found);
            }
        }
    }
}

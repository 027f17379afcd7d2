package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.collect.ImmutableCollection;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.common.values.NullValue;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The CEL view of a structural schema, as Kubernetes builds it (apiextensions' model.SchemaDeclType):
 * objects with properties are struct types whose fields are the (escaped) property names, so a rule
 * naming an undeclared field fails to compile; objects with additionalProperties are maps; arrays
 * are lists; integer is int, number is double; int-or-string and preserve-unknown-fields are dyn.
 * A resource root additionally has apiVersion, kind and metadata (name and generateName only).
 * Also converts JSON values to the runtime shape those types expect.
 */
final class CelSchemaTypes implements CelTypeProvider {

    private static final Set<String> RESERVED = Set.of("true", "false", "null", "in", "as", "break", "const",
            "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return",
            "var", "void", "while");

    private final Map<SchemaNode, CelType> types = new IdentityHashMap<>();
    private final Map<String, CelType> structs = new LinkedHashMap<>();
    private final SchemaNode root;

    CelSchemaTypes(SchemaNode root) {
        this.root = root;
        declare(root, "object", true);
    }

    /** The declared CEL type of {@code self} at a schema node. */
    CelType typeOf(SchemaNode node) {
        return types.getOrDefault(node, SimpleType.DYN);
    }

    @Override
    public ImmutableCollection<CelType> types() {
        return ImmutableList.copyOf(structs.values());
    }

    @Override
    public Optional<CelType> findType(String typeName) {
        return Optional.ofNullable(structs.get(typeName));
    }

    private CelType declare(SchemaNode node, String name, boolean resourceRoot) {
        CelType type = switch (node.intOrString() ? "" : String.valueOf(node.type())) {
            case "object" -> declareObject(node, name, resourceRoot || node.embeddedResource());
            case "array" -> node.items() == null ? ListType.create(SimpleType.DYN)
                    : ListType.create(declare(node.items(), name + ".@idx", node.items().embeddedResource()));
            case "string" -> SimpleType.STRING;
            case "integer" -> SimpleType.INT;
            case "number" -> SimpleType.DOUBLE;
            case "boolean" -> SimpleType.BOOL;
            default -> SimpleType.DYN;
        };
        types.put(node, type);
        return type;
    }

    private CelType declareObject(SchemaNode node, String name, boolean resourceRoot) {
        if (node.additionalProperties() != null) {
            return MapType.create(SimpleType.STRING, declare(node.additionalProperties(), name + ".@elem",
                    node.additionalProperties().embeddedResource()));
        }
        if (!node.hasProperties() && !resourceRoot) {
            return node.preserveUnknownFields() ? SimpleType.DYN : MapType.create(SimpleType.STRING, SimpleType.DYN);
        }
        Map<String, CelType> fields = new LinkedHashMap<>();
        node.properties().forEach((property, schema) -> {
            CelType fieldType = declare(schema, name + "." + property, schema.embeddedResource());
            escape(property).ifPresent(escaped -> fields.put(escaped, fieldType));
        });
        if (resourceRoot) {
            fields.putIfAbsent("apiVersion", SimpleType.STRING);
            fields.putIfAbsent("kind", SimpleType.STRING);
            StructType metadata = StructType.create(name + ".metadata", ImmutableSet.of("name", "generateName"),
                    field -> Optional.of(SimpleType.STRING));
            structs.put(metadata.name(), metadata);
            fields.put("metadata", metadata);
        }
        StructType struct = StructType.create(name, ImmutableSet.copyOf(fields.keySet()),
                field -> Optional.ofNullable(fields.get(field)));
        structs.put(struct.name(), struct);
        return struct;
    }

    /**
     * Kubernetes' property-name escaping (apiserver cel.Escape): "__" → "__underscores__",
     * "." → "__dot__", "-" → "__dash__", "/" → "__slash__", reserved words → "__word__".
     * Names outside [a-zA-Z_.-/][a-zA-Z0-9_.-/]* are not reachable from CEL.
     */
    static Optional<String> escape(String name) {
        if (name.isEmpty() || !name.matches("[a-zA-Z_./-][a-zA-Z0-9_./-]*")) {
            return Optional.empty();
        }
        if (RESERVED.contains(name)) {
            return Optional.of("__" + name + "__");
        }
        String escaped = name.replace("__", "__underscores__").replace(".", "__dot__")
                .replace("-", "__dash__").replace("/", "__slash__");
        return Optional.of(escaped);
    }

    /** The runtime value for {@code json} under {@code node}: Long, Double, String, Boolean, List, Map or NullValue. */
    Object value(JsonNode json, SchemaNode node, boolean resourceRoot) {
        if (json == null || json.isNull()) {
            return NullValue.NULL_VALUE;
        }
        if (json.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            boolean struct = node != null && node.additionalProperties() == null
                    && (node.hasProperties() || resourceRoot || node.embeddedResource());
            json.fields().forEachRemaining(field -> {
                String key = field.getKey();
                SchemaNode child = node == null ? null
                        : node.properties().containsKey(key) ? node.properties().get(key) : node.additionalProperties();
                if (struct) {
                    if ((resourceRoot || node.embeddedResource()) && key.equals("metadata") && !node.properties().containsKey(key)) {
                        map.put(key, metadata(field.getValue()));
                        return;
                    }
                    Optional<String> escaped = escape(key);
                    if (escaped.isEmpty() || (child == null && !(resourceRoot && (key.equals("apiVersion") || key.equals("kind"))))) {
                        return;
                    }
                    key = escaped.get();
                }
                map.put(key, value(field.getValue(), child, child != null && child.embeddedResource()));
            });
            return map;
        }
        if (json.isArray()) {
            List<Object> list = new ArrayList<>();
            SchemaNode items = node == null ? null : node.items();
            json.forEach(item -> list.add(value(item, items, items != null && items.embeddedResource())));
            return list;
        }
        if (json.isNumber()) {
            if (node != null && "number".equals(node.type())) {
                return json.doubleValue();
            }
            if (node != null && "integer".equals(node.type())) {
                return json.longValue(); // 1.0 passed the schema as an integer
            }
            return json.isIntegralNumber() ? (Object) json.longValue() : (Object) json.doubleValue();
        }
        if (json.isBoolean()) {
            return json.booleanValue();
        }
        return json.asText();
    }

    private static Map<String, Object> metadata(JsonNode metadata) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String key : List.of("name", "generateName")) {
            if (metadata.hasNonNull(key)) {
                out.put(key, metadata.get(key).asText());
            }
        }
        return out;
    }

    SchemaNode root() {
        return root;
    }
}

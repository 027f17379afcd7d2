package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The OpenAPI v3 part of custom resource validation, with the API server's wording: kube-openapi's
 * messages ("spec.replicas in body should be greater than or equal to 0") wrapped into field errors
 * the way apiextensions-apiserver converts them (enum → Unsupported value, maxLength → Too long,
 * maxItems → Too many, missing required → Required value, wrong type → Invalid value).
 * Pure: reads the value, never changes it.
 */
final class OpenApiValidation {

    /**
     * @param errors    every violation found
     * @param blocksCel whether one of them is of a kind (wrong type, unsupported enum value, required,
     *                  too long, too many) after which the API server does not run CEL rules
     */
    record Result(List<FieldError> errors, boolean blocksCel) {
    }

    private final List<FieldError> errors = new ArrayList<>();
    /** list-type set/map duplicates: a separate pass in the API server, reported after the schema's errors. */
    private final List<FieldError> duplicates = new ArrayList<>();
    private boolean blocksCel;

    private OpenApiValidation() {
    }

    /**
     * @param old the stored object on update (defaulted), else null. Like the API server's validation
     *            ratcheting, a part of the object that equals its old counterpart is not validated again,
     *            so an update is not refused for a value it did not touch.
     */
    static Result validate(SchemaNode root, ObjectNode object, ObjectNode old) {
        OpenApiValidation run = new OpenApiValidation();
        run.value(root, object, old, "");
        List<FieldError> all = new ArrayList<>(run.errors);
        all.addAll(run.duplicates);
        return new Result(List.copyOf(all), run.blocksCel);
    }

    private void value(SchemaNode schema, JsonNode value, JsonNode old, String path) {
        if (schema == null || value == null) {
            return;
        }
        if (old != null && JsonValues.same(value, old)) {
            return; // ratcheted: unchanged since it was stored
        }
        if (value.isNull()) {
            if (!schema.nullable() && (schema.type() != null || schema.intOrString())) {
                typeError(path, typeName(schema), "null");
            }
            return;
        }
        String actual = jsonTypeFor(schema, value);
        if (!typeMatches(schema, actual)) {
            // kube-openapi goes on with the validators that apply to the data's own kind.
            typeError(path, typeName(schema), actual);
        }
        // kube-openapi's validator order: combinators, string, number, array, enum, object.
        combinators(schema, value, path);
        switch (actual) {
            case "string" -> string(schema, value.textValue(), path);
            case "integer", "number" -> number(schema, value, path);
            case "array" -> array(schema, (ArrayNode) value, old, path);
            default -> {
            }
        }
        enumeration(schema, value, path);
        if (value instanceof ObjectNode object) {
            object(schema, object, old, path);
        }
    }

    private void enumeration(SchemaNode schema, JsonNode value, String path) {
        if (schema.enumValues() == null) {
            return;
        }
        for (JsonNode allowed : schema.enumValues()) {
            if (JsonValues.equal(allowed, value)) {
                return;
            }
        }
        List<String> supported = new ArrayList<>();
        for (JsonNode allowed : schema.enumValues()) {
            supported.add(allowed.isTextual() ? FieldError.quote(allowed.textValue()) : FieldError.quote(allowed.toString()));
        }
        add(new FieldError(path, FieldError.UNSUPPORTED, JsonValues.plain(value),
                "supported values: " + String.join(", ", supported)), true);
    }

    /** Like kube-openapi's string validator, reports only the first of maxLength, minLength, pattern. */
    private void string(SchemaNode schema, String text, String path) {
        long length = text.codePointCount(0, text.length());
        if (schema.maxLength() != null && length > schema.maxLength()) {
            add(new FieldError(path, FieldError.TOO_LONG, text, "may not be longer than " + schema.maxLength()), true);
        } else if (schema.minLength() != null && length < schema.minLength()) {
            invalid(path, text, path + " in body should be at least " + schema.minLength() + " chars long");
        } else if (schema.pattern() != null && !schema.pattern().matcher(text).find()) {
            invalid(path, text, path + " in body should match '" + schema.patternSource() + "'");
        }
        if (Formats.check(schema.format(), text) != null) {
            invalid(path, text, path + " in body must be of type " + schema.format() + ": " + FieldError.quote(text));
        }
    }

    /** Reported in kube-openapi's order: multipleOf, minimum, maximum. */
    private void number(SchemaNode schema, JsonNode value, String path) {
        BigDecimal number = value.decimalValue();
        boolean integral = value.isIntegralNumber();
        Object plain = JsonValues.plain(value);
        if (schema.multipleOf() != null && schema.multipleOf().signum() > 0
                && number.remainder(schema.multipleOf()).signum() != 0) {
            invalid(path, plain, path + " in body should be a multiple of " + bound(schema.multipleOf(), integral));
        }
        if (schema.minimum() != null) {
            int cmp = number.compareTo(schema.minimum());
            if (cmp < 0 || (schema.exclusiveMinimum() && cmp == 0)) {
                invalid(path, plain, path + " in body should be greater than " + (schema.exclusiveMinimum() ? "" : "or equal to ")
                        + bound(schema.minimum(), integral));
            }
        }
        if (schema.maximum() != null) {
            int cmp = number.compareTo(schema.maximum());
            if (cmp > 0 || (schema.exclusiveMaximum() && cmp == 0)) {
                invalid(path, plain, path + " in body should be less than " + (schema.exclusiveMaximum() ? "" : "or equal to ")
                        + bound(schema.maximum(), integral));
            }
        }
    }

    private void array(SchemaNode schema, ArrayNode array, JsonNode old, String path) {
        for (int i = 0; i < array.size(); i++) {
            JsonNode item = array.get(i);
            value(schema.items(), item, OldValues.item(schema, item, old, true), FieldPaths.index(path, i));
        }
        if (schema.minItems() != null && array.size() < schema.minItems()) {
            invalid(path, (long) array.size(), path + " in body should have at least " + schema.minItems() + " items");
        }
        if (schema.maxItems() != null && array.size() > schema.maxItems()) {
            add(new FieldError(path, FieldError.TOO_MANY, (long) array.size(),
                    "must have at most " + schema.maxItems() + " items"), true);
        }
        if (schema.uniqueItems() && new HashSet<>(JsonValues.plainList(array)).size() < array.size()) {
            invalid(path, "", path + " in body shouldn't contain duplicates");
        }
        listSemantics(schema, array, path);
    }

    /** x-kubernetes-list-type set and map: entries (or their keys) must be unique. */
    private void listSemantics(SchemaNode schema, ArrayNode array, String path) {
        if ("set".equals(schema.listType())) {
            Set<Object> seen = new HashSet<>();
            for (int i = 0; i < array.size(); i++) {
                Object item = JsonValues.plain(array.get(i));
                if (!seen.add(item)) {
                    duplicates.add(new FieldError(FieldPaths.index(path, i), FieldError.DUPLICATE, item, ""));
                }
            }
        } else if ("map".equals(schema.listType()) && !schema.listMapKeys().isEmpty()) {
            Set<Map<String, Object>> seen = new HashSet<>();
            for (int i = 0; i < array.size(); i++) {
                JsonNode item = array.get(i);
                Map<String, Object> key = new LinkedHashMap<>();
                for (String k : schema.listMapKeys()) {
                    JsonNode part = item.get(k);
                    if (part == null) {
                        SchemaNode keySchema = schema.items() == null ? null : schema.items().properties().get(k);
                        part = keySchema == null ? null : keySchema.defaultValue();
                    }
                    if (part != null) {
                        key.put(k, JsonValues.plain(part));
                    }
                }
                if (!seen.add(key)) {
                    duplicates.add(new FieldError(FieldPaths.index(path, i), FieldError.DUPLICATE, key, ""));
                }
            }
        }
    }

    /** As kube-openapi: a min/maxProperties failure stops here; properties come before required. */
    private void object(SchemaNode schema, ObjectNode object, JsonNode old, String path) {
        if (schema.minProperties() != null && object.size() < schema.minProperties()) {
            invalid(path, (long) object.size(), path + " in body should have at least " + schema.minProperties() + " properties");
            return;
        }
        if (schema.maxProperties() != null && object.size() > schema.maxProperties()) {
            add(new FieldError(path, FieldError.TOO_MANY, (long) object.size(),
                    "must have at most " + schema.maxProperties() + " items"), true);
            return;
        }
        object.fields().forEachRemaining(field -> {
            SchemaNode property = schema.properties().get(field.getKey());
            if (property == null && path.isEmpty() && field.getKey().equals("metadata")) {
                return; // the root's metadata is checked by ObjectMeta validation, not the schema
            }
            if (property == null) {
                property = schema.additionalProperties();
            }
            value(property, field.getValue(), OldValues.field(schema, old, field.getKey()), FieldPaths.child(path, field.getKey()));
        });
        for (String required : schema.required()) {
            if (!object.has(required)) {
                add(new FieldError(FieldPaths.child(path, required), FieldError.REQUIRED, null, ""), true);
            }
        }
    }

    /**
     * allOf / anyOf / oneOf / not, reported as kube-openapi does: its composite messages are not
     * field errors, so the API server prints them on the object ({@code <nil>}) with the path quoted
     * inside, followed by the failures of the (first) failing branch.
     */
    private void combinators(SchemaNode schema, JsonNode value, String path) {
        if (!schema.allOf().isEmpty()) {
            int passing = 0;
            List<FieldError> failures = new ArrayList<>();
            boolean blocking = false;
            for (SchemaNode branch : schema.allOf()) {
                OpenApiValidation probe = probe(branch, value, path);
                if (probe.errors.isEmpty()) {
                    passing++;
                }
                failures.addAll(probe.errors);
                blocking |= probe.blocksCel;
            }
            if (passing != schema.allOf().size()) {
                composite(FieldError.quote(path) + " must validate all the schemas (allOf)" + (passing == 0 ? ". None validated" : ""));
                failures.forEach(e -> add(e, false));
                blocksCel |= blocking;
            }
        }
        if (!schema.anyOf().isEmpty()) {
            OpenApiValidation firstFailure = null;
            boolean passed = false;
            for (SchemaNode branch : schema.anyOf()) {
                OpenApiValidation probe = probe(branch, value, path);
                if (probe.errors.isEmpty()) {
                    passed = true;
                    break;
                }
                firstFailure = firstFailure == null ? probe : firstFailure;
            }
            if (!passed) {
                composite(FieldError.quote(path) + " must validate at least one schema (anyOf)");
                merge(firstFailure);
            }
        }
        if (!schema.oneOf().isEmpty()) {
            int passing = 0;
            OpenApiValidation firstFailure = null;
            for (SchemaNode branch : schema.oneOf()) {
                OpenApiValidation probe = probe(branch, value, path);
                if (probe.errors.isEmpty()) {
                    passing++;
                } else if (firstFailure == null) {
                    firstFailure = probe;
                }
            }
            if (passing != 1) {
                composite(FieldError.quote(path) + " must validate one and only one schema (oneOf). "
                        + (passing == 0 ? "Found none valid" : "Found " + passing + " valid alternatives"));
                if (passing == 0) {
                    merge(firstFailure);
                }
            }
        }
        if (schema.not() != null && probe(schema.not(), value, path).errors.isEmpty()) {
            composite(FieldError.quote(path) + " must not validate the schema (not)");
        }
    }

    private static OpenApiValidation probe(SchemaNode branch, JsonNode value, String path) {
        OpenApiValidation probe = new OpenApiValidation();
        probe.value(branch, value, null, path);
        return probe;
    }

    private void merge(OpenApiValidation other) {
        if (other != null) {
            errors.addAll(other.errors);
            duplicates.addAll(other.duplicates);
            blocksCel |= other.blocksCel;
        }
    }

    private void composite(String message) {
        add(new FieldError("<nil>", FieldError.INVALID, "", message), false);
    }

    private void typeError(String path, String expected, String actual) {
        String detail = path + " in body must be of type " + expected + ": " + FieldError.quote(actual);
        add(new FieldError(path, FieldError.INVALID, actual, detail), true);
    }

    private void invalid(String path, Object value, String detail) {
        add(new FieldError(path, FieldError.INVALID, value, detail), false);
    }

    private void add(FieldError error, boolean blocking) {
        errors.add(error);
        blocksCel |= blocking;
    }

    private static boolean typeMatches(SchemaNode schema, String actual) {
        if (schema.intOrString()) {
            return actual.equals("integer") || actual.equals("string");
        }
        String expected = schema.type();
        if (expected == null || expected.isEmpty()) {
            return true;
        }
        return expected.equals(actual) || (expected.equals("number") && actual.equals("integer"));
    }

    /** kube-openapi accepts a JSON number with an integral value (1.0) as an integer. */
    private static String jsonTypeFor(SchemaNode schema, JsonNode value) {
        String actual = jsonType(value);
        if (actual.equals("number") && "integer".equals(schema.type()) && isIntegral(value)) {
            return "integer";
        }
        return actual;
    }

    private static boolean isIntegral(JsonNode value) {
        try {
            value.decimalValue().toBigIntegerExact();
            return true;
        } catch (ArithmeticException e) {
            return false;
        }
    }

    private static String typeName(SchemaNode schema) {
        return schema.intOrString() ? "integer,string" : schema.type();
    }

    static String jsonType(JsonNode value) {
        if (value.isObject()) {
            return "object";
        }
        if (value.isArray()) {
            return "array";
        }
        if (value.isTextual()) {
            return "string";
        }
        if (value.isBoolean()) {
            return "boolean";
        }
        if (value.isIntegralNumber()) {
            return "integer";
        }
        if (value.isNumber()) {
            return "number";
        }
        return "null";
    }

    /** Go prints the bound as an int64 for integer data and with %v of a float64 otherwise. */
    private static String bound(BigDecimal bound, boolean integralData) {
        if (integralData) {
            return bound.toBigInteger().toString();
        }
        return FieldError.render(bound.doubleValue());
    }
}

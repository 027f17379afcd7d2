package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node of a CRD's structural schema (apiextensions.k8s.io/v1 JSONSchemaProps), parsed once
 * into typed fields so validation never re-reads JSON. Patterns are compiled with RE2 (re2j), the
 * regex engine the API server uses, so a pattern accepts exactly what it accepts there.
 */
record SchemaNode(
        String type,
        Map<String, SchemaNode> properties,
        SchemaNode items,
        SchemaNode additionalProperties,
        Boolean additionalPropertiesAllowed,
        List<String> required,
        List<JsonNode> enumValues,
        Pattern pattern,
        String patternSource,
        BigDecimal minimum,
        boolean exclusiveMinimum,
        BigDecimal maximum,
        boolean exclusiveMaximum,
        BigDecimal multipleOf,
        Long minLength,
        Long maxLength,
        Long minItems,
        Long maxItems,
        boolean uniqueItems,
        Long minProperties,
        Long maxProperties,
        String format,
        boolean nullable,
        boolean preserveUnknownFields,
        boolean intOrString,
        boolean embeddedResource,
        String listType,
        List<String> listMapKeys,
        String mapType,
        JsonNode defaultValue,
        List<SchemaNode> allOf,
        List<SchemaNode> anyOf,
        List<SchemaNode> oneOf,
        SchemaNode not,
        List<ValidationRule> validations) {

    /** One entry of x-kubernetes-validations. */
    record ValidationRule(String rule, String message, String messageExpression, String reason,
                          String fieldPath, boolean optionalOldSelf) {
    }

    /** Parses a JSONSchemaProps object; {@code where} names the node in errors about the schema itself. */
    static SchemaNode parse(JsonNode json, String where) {
        Map<String, SchemaNode> properties = new LinkedHashMap<>();
        json.path("properties").fields().forEachRemaining(e ->
                properties.put(e.getKey(), parse(e.getValue(), where + ".properties[" + e.getKey() + "]")));
        JsonNode additional = json.get("additionalProperties");
        SchemaNode additionalSchema = null;
        Boolean additionalAllowed = null;
        if (additional != null && additional.isObject()) {
            additionalSchema = parse(additional, where + ".additionalProperties");
        } else if (additional != null && additional.isBoolean()) {
            additionalAllowed = additional.booleanValue();
        }
        String patternSource = text(json, "pattern");
        Pattern pattern = null;
        if (patternSource != null) {
            try {
                pattern = Pattern.compile(patternSource);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(where + ".pattern: Invalid value: " + FieldError.quote(patternSource)
                        + ": is not a valid RE2 regular expression: " + e.getMessage(), e);
            }
        }
        List<ValidationRule> rules = new ArrayList<>();
        for (JsonNode r : json.path("x-kubernetes-validations")) {
            rules.add(new ValidationRule(text(r, "rule"), text(r, "message"), text(r, "messageExpression"),
                    text(r, "reason"), text(r, "fieldPath"), r.path("optionalOldSelf").asBoolean(false)));
        }
        List<String> listMapKeys = new ArrayList<>();
        json.path("x-kubernetes-list-map-keys").forEach(k -> listMapKeys.add(k.asText()));
        List<String> required = new ArrayList<>();
        json.path("required").forEach(r -> required.add(r.asText()));
        List<JsonNode> enumValues = null;
        if (json.has("enum")) {
            enumValues = new ArrayList<>();
            json.get("enum").forEach(enumValues::add);
        }
        return new SchemaNode(
                text(json, "type"),
                Collections.unmodifiableMap(properties),
                json.has("items") && json.get("items").isObject() ? parse(json.get("items"), where + ".items") : null,
                additionalSchema,
                additionalAllowed,
                List.copyOf(required),
                enumValues == null ? null : Collections.unmodifiableList(enumValues),
                pattern,
                patternSource,
                decimal(json, "minimum"),
                json.path("exclusiveMinimum").asBoolean(false),
                decimal(json, "maximum"),
                json.path("exclusiveMaximum").asBoolean(false),
                decimal(json, "multipleOf"),
                integer(json, "minLength"),
                integer(json, "maxLength"),
                integer(json, "minItems"),
                integer(json, "maxItems"),
                json.path("uniqueItems").asBoolean(false),
                integer(json, "minProperties"),
                integer(json, "maxProperties"),
                text(json, "format"),
                json.path("nullable").asBoolean(false),
                json.path("x-kubernetes-preserve-unknown-fields").asBoolean(false),
                json.path("x-kubernetes-int-or-string").asBoolean(false),
                json.path("x-kubernetes-embedded-resource").asBoolean(false),
                text(json, "x-kubernetes-list-type"),
                List.copyOf(listMapKeys),
                text(json, "x-kubernetes-map-type"),
                json.get("default"),
                list(json, "allOf", where),
                list(json, "anyOf", where),
                list(json, "oneOf", where),
                json.has("not") ? parse(json.get("not"), where + ".not") : null,
                List.copyOf(rules));
    }

    boolean hasProperties() {
        return !properties.isEmpty();
    }

    private static List<SchemaNode> list(JsonNode json, String key, String where) {
        List<SchemaNode> out = new ArrayList<>();
        int i = 0;
        for (JsonNode n : json.path(key)) {
            out.add(parse(n, where + "." + key + "[" + i++ + "]"));
        }
        return List.copyOf(out);
    }

    private static String text(JsonNode json, String key) {
        JsonNode n = json.get(key);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static BigDecimal decimal(JsonNode json, String key) {
        JsonNode n = json.get(key);
        return n == null || !n.isNumber() ? null : n.decimalValue();
    }

    private static Long integer(JsonNode json, String key) {
        JsonNode n = json.get(key);
        return n == null || !n.isNumber() ? null : n.asLong();
    }
}

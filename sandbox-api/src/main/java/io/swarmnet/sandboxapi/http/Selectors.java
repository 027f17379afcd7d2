package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Label selectors ({@code app=web,tier!=db,env in (a,b),!legacy}) and field selectors
 * ({@code metadata.name=web-1,spec.nodeName=node-2,involvedObject.uid=...}) as the API server
 * parses them. Field selectors work on any field path (a missing field reads as ""), which is more
 * than the real server allows per kind but never less.
 */
public final class Selectors {

    private Selectors() {
    }

    public static Predicate<ObjectNode> of(String labelSelector, String fieldSelector) {
        Predicate<ObjectNode> labels = labels(labelSelector);
        Predicate<ObjectNode> fields = fields(fieldSelector);
        return object -> labels.test(object) && fields.test(object);
    }

    public static Predicate<ObjectNode> labels(String selector) {
        if (selector == null || selector.isBlank()) {
            return object -> true;
        }
        List<Predicate<JsonNode>> requirements = new ArrayList<>();
        for (String requirement : splitTopLevel(selector)) {
            requirements.add(labelRequirement(requirement.trim(), selector));
        }
        return object -> {
            JsonNode labels = object.path("metadata").path("labels");
            return requirements.stream().allMatch(r -> r.test(labels));
        };
    }

    private static Predicate<JsonNode> labelRequirement(String requirement, String selector) {
        java.util.regex.Matcher set = java.util.regex.Pattern
                .compile("^([^\\s!=()]+)\\s+(in|notin)\\s*\\(([^)]*)\\)$").matcher(requirement);
        if (set.matches()) {
            String key = set.group(1);
            Set<String> values = new java.util.HashSet<>();
            for (String value : set.group(3).split(",")) {
                values.add(value.trim());
            }
            boolean in = set.group(2).equals("in");
            return labels -> {
                boolean has = labels.has(key) && values.contains(labels.get(key).asText());
                return in ? has : !has;
            };
        }
        if (requirement.startsWith("!")) {
            String key = requirement.substring(1).trim();
            return labels -> !labels.has(key);
        }
        for (String operator : new String[]{"!=", "==", "="}) {
            int at = requirement.indexOf(operator);
            if (at > 0) {
                String key = requirement.substring(0, at).trim();
                String value = requirement.substring(at + operator.length()).trim();
                boolean equal = !operator.equals("!=");
                return labels -> (labels.has(key) && labels.get(key).asText().equals(value)) == equal;
            }
        }
        if (requirement.matches("[A-Za-z0-9./_-]+")) {
            return labels -> labels.has(requirement);
        }
        throw ApiError.badRequest("unable to parse requirement \"" + requirement + "\" in label selector \"" + selector + "\"");
    }

    public static Predicate<ObjectNode> fields(String selector) {
        if (selector == null || selector.isBlank()) {
            return object -> true;
        }
        List<Predicate<ObjectNode>> requirements = new ArrayList<>();
        for (String requirement : selector.split(",")) {
            String term = requirement.trim();
            String operator = term.contains("!=") ? "!=" : term.contains("==") ? "==" : "=";
            int at = term.indexOf(operator);
            if (at <= 0) {
                throw ApiError.badRequest("invalid field selector \"" + selector + "\": each term must be path=value or path!=value");
            }
            String[] path = term.substring(0, at).trim().split("\\.");
            String value = term.substring(at + operator.length()).trim();
            boolean equal = !operator.equals("!=");
            requirements.add(object -> {
                JsonNode node = object;
                for (String segment : path) {
                    node = node.path(segment);
                }
                String actual = node.isMissingNode() || node.isNull() ? "" : node.asText();
                return actual.equals(value) == equal;
            });
        }
        return object -> requirements.stream().allMatch(r -> r.test(object));
    }

    /** Splits on commas outside parentheses. */
    private static List<String> splitTopLevel(String selector) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        StringBuilder current = new StringBuilder();
        for (char c : selector.toCharArray()) {
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            }
            if (c == ',' && depth == 0) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (!current.isEmpty()) {
            parts.add(current.toString());
        }
        return parts;
    }
}

package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JSONPath subset printer columns use: {@code .status.subnet}, {@code .spec.ports[0].port},
 * {@code .items[*].name}, {@code ['a.b/c']} and filters {@code [?(@.type=="Ready")]} with == or !=.
 */
final class JsonPathExpression {

    private static final Pattern FILTER = Pattern.compile("\\?\\(@((?:\\.[A-Za-z0-9_-]+)+)\\s*(==|!=)\\s*[\"']?([^\"')]*)[\"']?\\)");

    private final List<String> steps;

    private JsonPathExpression(List<String> steps) {
        this.steps = steps;
    }

    static JsonPathExpression parse(String expression) {
        String path = expression.trim();
        if (path.startsWith("{") && path.endsWith("}")) {
            path = path.substring(1, path.length() - 1);
        }
        if (path.startsWith("$")) {
            path = path.substring(1);
        }
        List<String> steps = new ArrayList<>();
        int i = 0;
        while (i < path.length()) {
            char c = path.charAt(i);
            if (c == '.') {
                int end = i + 1;
                while (end < path.length() && path.charAt(end) != '.' && path.charAt(end) != '[') {
                    end++;
                }
                if (end > i + 1) {
                    steps.add("." + path.substring(i + 1, end));
                }
                i = end;
            } else if (c == '[') {
                int depth = 0;
                int end = i;
                do {
                    if (path.charAt(end) == '[') {
                        depth++;
                    } else if (path.charAt(end) == ']') {
                        depth--;
                    }
                    end++;
                } while (depth > 0 && end < path.length());
                steps.add(path.substring(i, end));
                i = end;
            } else {
                int end = i;
                while (end < path.length() && path.charAt(end) != '.' && path.charAt(end) != '[') {
                    end++;
                }
                steps.add("." + path.substring(i, end));
                i = end;
            }
        }
        return new JsonPathExpression(steps);
    }

    List<JsonNode> evaluate(JsonNode root) {
        List<JsonNode> current = List.of(root);
        for (String step : steps) {
            List<JsonNode> next = new ArrayList<>();
            for (JsonNode node : current) {
                apply(step, node, next);
            }
            current = next;
        }
        return current;
    }

    private static void apply(String step, JsonNode node, List<JsonNode> out) {
        if (step.startsWith(".")) {
            JsonNode child = node.get(step.substring(1));
            if (child != null && !child.isNull()) {
                out.add(child);
            }
            return;
        }
        String inner = step.substring(1, step.length() - 1).trim();
        if (inner.equals("*")) {
            node.forEach(out::add);
        } else if (inner.startsWith("'") || inner.startsWith("\"")) {
            JsonNode child = node.get(inner.substring(1, inner.length() - 1));
            if (child != null && !child.isNull()) {
                out.add(child);
            }
        } else if (inner.startsWith("?")) {
            Matcher filter = FILTER.matcher(inner);
            if (!filter.matches() || !node.isArray()) {
                return;
            }
            String[] path = filter.group(1).substring(1).split("\\.");
            boolean equal = filter.group(2).equals("==");
            for (JsonNode element : node) {
                JsonNode value = element;
                for (String segment : path) {
                    value = value.path(segment);
                }
                if (value.asText("").equals(filter.group(3)) == equal && !value.isMissingNode()) {
                    out.add(element);
                }
            }
        } else if (inner.matches("-?\\d+")) {
            int index = Integer.parseInt(inner);
            if (node.isArray()) {
                JsonNode element = node.get(index < 0 ? node.size() + index : index);
                if (element != null) {
                    out.add(element);
                }
            }
        }
    }
}

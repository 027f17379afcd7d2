package io.swarmnet.sandboxapi.schema;

/**
 * Resolves a rule's {@code fieldPath} (".gateway", ".labels['app.kubernetes.io/name']", relative to
 * the rule's node) into the printed field path: a declared property is a child ({@code spec.gateway}),
 * a map entry a key ({@code spec.labels[app]}), as Kubernetes' ValidFieldPath does.
 */
final class RuleFieldPath {

    private RuleFieldPath() {
    }

    /** Whether Kubernetes would accept this fieldPath on this node: each step names a declared property or a map key. */
    static boolean isValid(String fieldPath, SchemaNode node) {
        return resolve("", fieldPath, node, true) != null;
    }

    static String resolve(String base, String fieldPath, SchemaNode node) {
        String resolved = resolve(base, fieldPath, node, false);
        return resolved == null ? base : resolved;
    }

    private static String resolve(String base, String fieldPath, SchemaNode node, boolean strict) {
        String path = base;
        SchemaNode schema = node;
        int i = 0;
        while (i < fieldPath.length()) {
            char c = fieldPath.charAt(i);
            String name;
            if (c == '.') {
                int end = i + 1;
                while (end < fieldPath.length() && fieldPath.charAt(end) != '.' && fieldPath.charAt(end) != '[') {
                    end++;
                }
                name = fieldPath.substring(i + 1, end);
                i = end;
            } else if (c == '[' && i + 1 < fieldPath.length() && fieldPath.charAt(i + 1) == '\'') {
                int end = fieldPath.indexOf("']", i + 2);
                if (end < 0) {
                    return null;
                }
                name = fieldPath.substring(i + 2, end).replace("\\'", "'").replace("\\\\", "\\");
                i = end + 2;
            } else {
                return null; // not a path Kubernetes would have accepted in the CRD
            }
            if (name.isEmpty()) {
                return null;
            }
            if (schema != null && schema.properties().containsKey(name)) {
                path = FieldPaths.child(path, name);
                schema = schema.properties().get(name);
            } else if (schema != null && schema.additionalProperties() != null) {
                path = FieldPaths.key(path, name);
                schema = schema.additionalProperties();
            } else if (strict) {
                return null;
            } else {
                path = FieldPaths.key(path, name);
                schema = null;
            }
        }
        return path;
    }
}

package io.swarmnet.sandboxapi.schema;

/**
 * Resolves a rule's {@code fieldPath} (".gateway", ".labels['app.kubernetes.io/name']", relative to
 * the rule's node) into the printed field path: a declared property is a child ({@code spec.gateway}),
 * a map entry a key ({@code spec.labels[app]}), as Kubernetes' ValidFieldPath does.
 */
final class RuleFieldPath {

    private RuleFieldPath() {
    }

    static String resolve(String base, String fieldPath, SchemaNode node) {
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
                    return base;
                }
                name = fieldPath.substring(i + 2, end).replace("\\'", "'").replace("\\\\", "\\");
                i = end + 2;
            } else {
                return base; // not a path Kubernetes would have accepted in the CRD
            }
            if (schema != null && schema.properties().containsKey(name)) {
                path = FieldPaths.child(path, name);
                schema = schema.properties().get(name);
            } else {
                path = FieldPaths.key(path, name);
                schema = schema == null ? null : schema.additionalProperties();
            }
        }
        return path;
    }
}

package io.swarmnet.sandboxapi.schema;

/** Builds field paths the way Kubernetes' field.Path prints them: {@code spec.networks[0].name}. */
final class FieldPaths {

    private FieldPaths() {
    }

    static String child(String parent, String name) {
        return parent.isEmpty() ? name : parent + "." + name;
    }

    static String index(String parent, int index) {
        return parent + "[" + index + "]";
    }

    /** A map key, as field.Path.Key prints it (CEL errors and list-map duplicates use this form). */
    static String key(String parent, String key) {
        return parent + "[" + key + "]";
    }
}

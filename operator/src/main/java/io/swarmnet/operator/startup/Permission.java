package io.swarmnet.operator.startup;

/**
 * One thing the operator must be allowed to do, as a SelfSubjectAccessReview asks it.
 *
 * @param group       API group, "" for the core group
 * @param subresource "" for the object itself
 * @param namespace   null for a cluster-scoped kind, "" for all namespaces
 * @param name        "" for any object
 */
public record Permission(String verb, String group, String resource, String subresource, String namespace, String name) {

    /** As the refusal lists it: {@code verb resource [name] in namespace}. */
    public String describe() {
        String what = resource + (group.isEmpty() ? "" : "." + group) + (subresource.isEmpty() ? "" : "/" + subresource);
        String where = namespace == null ? "(cluster-scoped)" : namespace.isEmpty() ? "in all namespaces" : "in namespace " + namespace;
        return verb + " " + what + (name.isEmpty() ? "" : " " + name) + " " + where;
    }
}

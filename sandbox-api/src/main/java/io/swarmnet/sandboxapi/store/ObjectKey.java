package io.swarmnet.sandboxapi.store;

import io.swarmnet.sandboxapi.resource.ResourceType;

/** Where one object lives: its group/resource (all versions share storage), namespace ("" when cluster-scoped) and name. */
public record ObjectKey(String groupResource, String namespace, String name) implements Comparable<ObjectKey> {

    public static ObjectKey of(ResourceType type, String namespace, String name) {
        return new ObjectKey(type.groupResource(), type.namespaced() ? namespace : "", name);
    }

    @Override
    public int compareTo(ObjectKey other) {
        int byResource = groupResource.compareTo(other.groupResource);
        if (byResource != 0) {
            return byResource;
        }
        int byNamespace = namespace.compareTo(other.namespace);
        return byNamespace != 0 ? byNamespace : name.compareTo(other.name);
    }
}

package io.swarmnet.sandboxapi.resource;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kinds this API serves: a fixed set of built-in kinds (those the operator, the node agent and
 * kubectl users touch) plus every kind a stored CustomResourceDefinition declares.
 */
public final class ResourceCatalog {

    private final Map<String, ResourceType> builtIns = new LinkedHashMap<>();
    /** CRD name → the types it serves (one per served version). */
    private final Map<String, List<ResourceType>> custom = new ConcurrentHashMap<>();

    public ResourceCatalog() {
        for (ResourceType type : BuiltInKinds.ALL) {
            builtIns.put(key(type.group(), type.version(), type.plural()), type);
        }
    }

    private static String key(String group, String version, String plural) {
        return group + "/" + version + "/" + plural;
    }

    public Optional<ResourceType> find(String group, String version, String plural) {
        ResourceType builtIn = builtIns.get(key(group, version, plural));
        if (builtIn != null) {
            return Optional.of(builtIn);
        }
        for (List<ResourceType> types : custom.values()) {
            for (ResourceType type : types) {
                if (type.group().equals(group) && type.version().equals(version) && type.plural().equals(plural)) {
                    return Optional.of(type);
                }
            }
        }
        return Optional.empty();
    }

    public Optional<ResourceType> findByKind(String apiVersion, String kind) {
        return all().stream().filter(t -> t.apiVersion().equals(apiVersion) && t.kind().equals(kind)).findFirst();
    }

    public List<ResourceType> all() {
        List<ResourceType> all = new ArrayList<>(builtIns.values());
        custom.values().forEach(all::addAll);
        return all;
    }

    /** Registers (or refreshes) the kinds a CRD declares; called whenever a CRD is stored. */
    public void defineCustom(JsonNode crd) {
        custom.put(crd.path("metadata").path("name").asText(), CustomKinds.fromCrd(crd));
    }

    /** @return the kinds the CRD declared, now no longer served */
    public Collection<ResourceType> forgetCustom(String crdName) {
        List<ResourceType> removed = custom.remove(crdName);
        return removed == null ? List.of() : removed;
    }
}

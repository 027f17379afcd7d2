package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.KubernetesVersion;
import io.swarmnet.sandboxapi.resource.ResourceCatalog;
import io.swarmnet.sandboxapi.resource.ResourceType;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The legacy discovery documents ({@code /api}, {@code /apis}, {@code /api/v1},
 * {@code /apis/GROUP/VERSION}) and {@code /version}: what kubectl reads to map kinds, short names
 * and categories ({@code kubectl get swarmnet}) to URLs. kubectl asks for aggregated discovery
 * first and falls back to these when the answer is plain JSON.
 */
public final class Discovery {

    private static final List<String> VERBS = List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
    private static final List<String> SUBRESOURCE_VERBS = List.of("get", "patch", "update");

    private final ResourceCatalog catalog;
    private final java.util.function.Supplier<String> serverAddress;

    public Discovery(ResourceCatalog catalog, java.util.function.Supplier<String> serverAddress) {
        this.catalog = catalog;
        this.serverAddress = serverAddress;
    }

    /** @return empty when the path is no discovery document */
    public Optional<ApiResponse> answer(String path) {
        String trimmed = path.replaceAll("/+$", "");
        if (trimmed.equals("/version")) {
            return Optional.of(ApiResponse.ok(version()));
        }
        if (trimmed.equals("/api")) {
            ObjectNode versions = Json.object();
            versions.put("kind", "APIVersions");
            versions.putArray("versions").add("v1");
            ObjectNode address = versions.putArray("serverAddressByClientCIDRs").addObject();
            address.put("clientCIDR", "0.0.0.0/0");
            address.put("serverAddress", serverAddress.get());
            return Optional.of(ApiResponse.ok(versions));
        }
        if (trimmed.equals("/apis")) {
            ObjectNode list = Json.object();
            list.put("kind", "APIGroupList");
            list.put("apiVersion", "v1");
            ArrayNode groups = list.putArray("groups");
            groups().forEach((group, versions) -> groups.add(group(group, versions)));
            return Optional.of(ApiResponse.ok(list));
        }
        if (trimmed.equals("/api/v1")) {
            return Optional.of(ApiResponse.ok(resources("", "v1")));
        }
        String[] segments = trimmed.split("/");
        if (segments.length == 3 && segments[1].equals("apis")) {
            Set<String> versions = groups().get(segments[2]);
            return versions == null ? Optional.empty() : Optional.of(ApiResponse.ok(group(segments[2], versions)));
        }
        if (segments.length == 4 && segments[1].equals("apis")) {
            Set<String> versions = groups().get(segments[2]);
            if (versions == null || !versions.contains(segments[3])) {
                return Optional.empty();
            }
            return Optional.of(ApiResponse.ok(resources(segments[2], segments[3])));
        }
        return Optional.empty();
    }

    private Map<String, Set<String>> groups() {
        Map<String, Set<String>> groups = new LinkedHashMap<>();
        for (ResourceType type : catalog.all()) {
            if (!type.group().isEmpty()) {
                groups.computeIfAbsent(type.group(), g -> new LinkedHashSet<>()).add(type.version());
            }
        }
        return groups;
    }

    private static ObjectNode group(String name, Set<String> versions) {
        ObjectNode group = Json.object();
        group.put("kind", "APIGroup");
        group.put("apiVersion", "v1");
        group.put("name", name);
        ArrayNode list = group.putArray("versions");
        for (String version : versions) {
            ObjectNode entry = list.addObject();
            entry.put("groupVersion", name + "/" + version);
            entry.put("version", version);
        }
        String preferred = versions.iterator().next();
        ObjectNode preferredVersion = group.putObject("preferredVersion");
        preferredVersion.put("groupVersion", name + "/" + preferred);
        preferredVersion.put("version", preferred);
        return group;
    }

    private ObjectNode resources(String group, String version) {
        ObjectNode list = Json.object();
        list.put("kind", "APIResourceList");
        list.put("apiVersion", "v1");
        list.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
        ArrayNode resources = list.putArray("resources");
        for (ResourceType type : catalog.all()) {
            if (!type.group().equals(group) || !type.version().equals(version)) {
                continue;
            }
            ObjectNode resource = resources.addObject();
            resource.put("name", type.plural());
            resource.put("singularName", type.singular());
            resource.put("namespaced", type.namespaced());
            resource.put("kind", type.kind());
            VERBS.forEach(resource.putArray("verbs")::add);
            if (!type.shortNames().isEmpty()) {
                type.shortNames().forEach(resource.putArray("shortNames")::add);
            }
            if (!type.categories().isEmpty()) {
                type.categories().forEach(resource.putArray("categories")::add);
            }
            if (type.statusSubresource()) {
                ObjectNode status = resources.addObject();
                status.put("name", type.plural() + "/status");
                status.put("singularName", "");
                status.put("namespaced", type.namespaced());
                status.put("kind", type.kind());
                SUBRESOURCE_VERBS.forEach(status.putArray("verbs")::add);
            }
            if (type.kind().equals("Pod") && !type.custom()) {
                ObjectNode binding = resources.addObject();
                binding.put("name", "pods/binding");
                binding.put("singularName", "");
                binding.put("namespaced", true);
                binding.put("kind", "Binding");
                binding.putArray("verbs").add("create");
                ObjectNode bindings = resources.addObject();
                bindings.put("name", "bindings");
                bindings.put("singularName", "binding");
                bindings.put("namespaced", true);
                bindings.put("kind", "Binding");
                bindings.putArray("verbs").add("create");
            }
            if (type.scale() != null) {
                ObjectNode scale = resources.addObject();
                scale.put("name", type.plural() + "/scale");
                scale.put("singularName", "");
                scale.put("namespaced", type.namespaced());
                scale.put("group", "autoscaling");
                scale.put("version", "v1");
                scale.put("kind", "Scale");
                SUBRESOURCE_VERBS.forEach(scale.putArray("verbs")::add);
            }
        }
        return list;
    }

    private static ObjectNode version() {
        ObjectNode version = Json.object();
        // the release the embedded API behaves as; helm checks a chart's kubeVersion against it
        KubernetesVersion release = KubernetesVersion.OLDEST_SUPPORTED;
        version.put("major", Integer.toString(release.major()));
        version.put("minor", Integer.toString(release.minor()));
        version.put("gitVersion", "v" + release + ".0-swarmnet-sandbox");
        version.put("gitCommit", "0000000000000000000000000000000000000000");
        version.put("gitTreeState", "clean");
        version.put("buildDate", "2026-11-25T00:00:00Z");
        version.put("goVersion", "go1.23.0");
        version.put("compiler", "gc");
        version.put("platform", "linux/amd64");
        return version;
    }
}

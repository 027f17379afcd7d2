package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.resource.ResourceType;
import io.swarmnet.sandboxapi.store.ObjectStore;
import io.swarmnet.sandboxapi.store.Subresource;

/**
 * The scale subresource of a CRD: the object seen as an {@code autoscaling/v1 Scale}, its replicas
 * mapped through the CRD's specReplicasPath, statusReplicasPath and labelSelectorPath. Writing a
 * Scale changes only the spec replicas of the object (a new generation, as any spec change).
 */
final class ScaleSubresource {

    private ScaleSubresource() {
    }

    static ApiResponse handle(ApiRequest request, ObjectStore store, ResourceType type, String namespace, String name) {
        ResourceType.ScalePaths paths = type.scale();
        if (paths == null) {
            throw ApiError.pathNotFound(request.method() + " " + request.path());
        }
        return switch (request.method()) {
            case "GET" -> ApiResponse.ok(scaleOf(store.require(type, namespace, name), paths));
            case "PUT", "PATCH" -> {
                ObjectNode updated = store.update(type, namespace, name, Subresource.MAIN, current -> {
                    ObjectNode scale = scaleOf(current, paths);
                    ObjectNode wanted = request.method().equals("PUT") ? request.jsonObject()
                            : ResourceEndpoints.patcher(request, scaleType()).apply(scale);
                    JsonNode replicas = wanted.path("spec").path("replicas");
                    if (!replicas.canConvertToInt() || replicas.asInt() < 0) {
                        throw new ApiError(422, "Invalid", "Scale.autoscaling \"" + name + "\" is invalid: spec.replicas: Invalid value: "
                                + replicas + ": must be greater than or equal to 0", null);
                    }
                    FieldPath.parse(paths.specReplicasPath()).write(current, Json.MAPPER.getNodeFactory().numberNode(replicas.asInt()));
                    String resourceVersion = wanted.path("metadata").path("resourceVersion").asText("");
                    Json.metadata(current).put("resourceVersion", resourceVersion);
                    return current;
                });
                yield ApiResponse.ok(scaleOf(updated, paths));
            }
            default -> throw ApiError.methodNotAllowed(request.method() + " is not supported on " + type.qualifiedName() + "/scale");
        };
    }

    /** Scale patches are plain JSON: strategic merge on a Scale behaves as a merge patch. */
    private static ResourceType scaleType() {
        return new ResourceType("autoscaling", "v1", "scale", "scale", "Scale", true, java.util.List.of(), java.util.List.of(),
                false, null, java.util.List.of(), null, null);
    }

    static ObjectNode scaleOf(ObjectNode object, ResourceType.ScalePaths paths) {
        ObjectNode scale = Json.object();
        scale.put("kind", "Scale");
        scale.put("apiVersion", "autoscaling/v1");
        ObjectNode metadata = scale.putObject("metadata");
        JsonNode source = object.path("metadata");
        for (String field : new String[]{"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
            if (source.has(field)) {
                metadata.set(field, source.get(field));
            }
        }
        scale.putObject("spec").put("replicas", FieldPath.parse(paths.specReplicasPath()).read(object).asInt(0));
        ObjectNode status = scale.putObject("status");
        status.put("replicas", FieldPath.parse(paths.statusReplicasPath()).read(object).asInt(0));
        if (!paths.labelSelectorPath().isEmpty()) {
            JsonNode selector = FieldPath.parse(paths.labelSelectorPath()).read(object);
            if (selector.isTextual() && !selector.asText().isEmpty()) {
                status.put("selector", selector.asText());
            }
        }
        return scale;
    }
}

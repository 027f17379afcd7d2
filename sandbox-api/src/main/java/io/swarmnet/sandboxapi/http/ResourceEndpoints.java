package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.admission.Admission;
import io.swarmnet.sandboxapi.patch.JsonPatch;
import io.swarmnet.sandboxapi.patch.MergePatch;
import io.swarmnet.sandboxapi.patch.StrategicMergePatch;
import io.swarmnet.sandboxapi.resource.ResourceType;
import io.swarmnet.sandboxapi.store.DeletePropagation;
import io.swarmnet.sandboxapi.store.GarbageCollector;
import io.swarmnet.sandboxapi.store.ObjectKey;
import io.swarmnet.sandboxapi.store.ObjectStore;
import io.swarmnet.sandboxapi.store.Subresource;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The REST verbs on resources — get, list, watch, create, update, patch, delete, deletecollection —
 * and the status and scale subresources, over the {@link ObjectStore}.
 */
public final class ResourceEndpoints {

    private final ObjectStore store;
    private final GarbageCollector garbageCollector;
    private final TableConverter tables;

    public ResourceEndpoints(ObjectStore store, GarbageCollector garbageCollector, TableConverter tables) {
        this.store = store;
        this.garbageCollector = garbageCollector;
        this.tables = tables;
    }

    ObjectStore store() {
        return store;
    }

    public Outcome handle(ApiRequest request, ResourceType type, ResourcePath path) {
        boolean dryRun = request.param("dryRun") != null && !request.param("dryRun").isEmpty();
        return Admission.withFieldValidation(request.param("fieldValidation"),
                () -> ObjectStore.dryRun(dryRun, () -> serve(request, type, path)));
    }

    private Outcome serve(ApiRequest request, ResourceType type, ResourcePath path) {
        if (path.namespace() != null && !type.namespaced()) {
            throw ApiError.pathNotFound(request.method() + " " + request.path());
        }
        String namespace = type.namespaced() ? path.namespace() : "";
        Subresource subresource = subresource(type, path, request);
        if (path.name() == null) {
            return switch (request.method()) {
                case "GET" -> request.isWatch() ? watch(request, type, path.namespace()) : list(request, type, path.namespace());
                case "POST" -> create(request, type, namespace);
                case "DELETE" -> deleteCollection(request, type, path.namespace());
                default -> throw ApiError.methodNotAllowed(request.method() + " is not supported on a collection of " + type.qualifiedName());
            };
        }
        if ("scale".equals(path.subresource())) {
            return ScaleSubresource.handle(request, store, type, namespace, path.name());
        }
        if (type.namespaced() && namespace == null) {
            throw ApiError.pathNotFound(request.method() + " " + request.path());
        }
        return switch (request.method()) {
            case "GET" -> get(request, type, namespace, path.name());
            case "PUT" -> ApiResponse.ok(store.update(type, namespace, path.name(), subresource, current -> {
                ObjectNode body = request.jsonObject();
                checkKind(type, body);
                return body;
            }));
            case "PATCH" -> ApiResponse.ok(store.update(type, namespace, path.name(), subresource, patcher(request, type)));
            case "DELETE" -> delete(request, type, namespace, path.name());
            default -> throw ApiError.methodNotAllowed(request.method() + " is not supported on " + type.qualifiedName());
        };
    }

    private static Subresource subresource(ResourceType type, ResourcePath path, ApiRequest request) {
        if (path.subresource() == null || path.subresource().equals("scale")) {
            return Subresource.MAIN;
        }
        if (path.subresource().equals("status") && type.statusSubresource()) {
            return Subresource.STATUS;
        }
        throw ApiError.pathNotFound(request.method() + " " + request.path());
    }

    private ApiResponse get(ApiRequest request, ResourceType type, String namespace, String name) {
        ObjectNode object = store.require(type, namespace, name);
        if (request.wantsTable()) {
            return ApiResponse.ok(tables.table(type, List.of(object), null, request.param("includeObject", "")));
        }
        return ApiResponse.ok(object);
    }

    /**
     * A list, in pages when the client sends {@code limit}: each page holds at most that many
     * objects in key order and, when more follow, {@code metadata.continue} to ask for the next.
     *
     * <p>Unlike kube-apiserver, which serves every page from the snapshot of the first, a continued
     * page is read from the current state after the last key sent. Every page still reports the
     * first page's resourceVersion, so a watch from it (an informer's, once the list is done)
     * replays each change made while the pages were read: what the client holds converges to the
     * same state, though a page may show an object newer than that resourceVersion.
     */
    private ApiResponse list(ApiRequest request, ResourceType type, String namespace) {
        String labelSelector = request.param("labelSelector");
        String fieldSelector = request.param("fieldSelector");
        Predicate<ObjectNode> filter = Selectors.of(labelSelector, fieldSelector);
        int limit = limit(request.param("limit"));
        ContinueToken from = ContinueToken.decode(request.param("continue"));
        ObjectKey after = null;
        if (from != null) {
            String resourceVersion = request.param("resourceVersion", "");
            if (!resourceVersion.isEmpty() && !resourceVersion.equals("0")) {
                throw ApiError.badRequest("specifying resourceVersion (" + resourceVersion + ") is not allowed when using continue: "
                        + "the continue token carries the resourceVersion of the first page");
            }
            after = keyAfter(request.param("continue"), from, type, namespace);
        }
        ObjectStore.Page page = store.page(type, namespace, filter, after, limit == 0 ? Integer.MAX_VALUE : limit);
        long listVersion = from == null ? page.resourceVersion() : from.resourceVersion();
        String resourceVersion = Long.toString(listVersion);
        ObjectNode body;
        if (request.wantsTable()) {
            body = tables.table(type, page.items(), resourceVersion, request.param("includeObject", ""));
        } else {
            body = Json.object();
            body.put("apiVersion", type.apiVersion());
            body.put("kind", type.kind() + "List");
            body.putObject("metadata").put("resourceVersion", resourceVersion);
            ArrayNode items = body.putArray("items");
            page.items().forEach(items::add);
        }
        if (page.more()) {
            ObjectNode metadata = (ObjectNode) body.get("metadata");
            metadata.put("continue", new ContinueToken(listVersion, page.last().namespace(), page.last().name()).encode());
            // as kube-apiserver: the count is told only when no selector hides objects from it
            if (blank(labelSelector) && blank(fieldSelector)) {
                metadata.put("remainingItemCount", page.remaining());
            }
        }
        return ApiResponse.ok(body);
    }

    /** {@code limit}: 0 or absent for no limit. */
    private static int limit(String limit) {
        if (limit == null || limit.isEmpty()) {
            return 0;
        }
        long value;
        try {
            value = Long.parseLong(limit);
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("invalid limit \"" + limit + "\": must be a whole number, the most objects a page may hold (0 for all)");
        }
        if (value < 0) {
            throw ApiError.badRequest("invalid limit " + limit + ": must be 0 (all objects) or more");
        }
        return (int) Math.min(value, Integer.MAX_VALUE);
    }

    /** The key a continued page starts after, which must lie in the range listed. */
    private static ObjectKey keyAfter(String token, ContinueToken from, ResourceType type, String namespace) {
        if (!type.namespaced() && !from.namespace().isEmpty()) {
            throw ContinueToken.invalid(token, "it continues a list of namespace " + from.namespace() + ", but "
                    + type.qualifiedName() + " are not namespaced");
        }
        if (namespace != null && type.namespaced() && !from.namespace().equals(namespace)) {
            throw ContinueToken.invalid(token, "it continues a list of namespace " + from.namespace() + ", not of " + namespace);
        }
        return ObjectKey.of(type, from.namespace(), from.name());
    }

    private static boolean blank(String selector) {
        return selector == null || selector.isBlank();
    }

    private WatchPlan watch(ApiRequest request, ResourceType type, String namespace) {
        long timeout = 0;
        try {
            timeout = Long.parseLong(request.param("timeoutSeconds", "0"));
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("timeoutSeconds must be a number, got " + request.param("timeoutSeconds"));
        }
        boolean sendInitialEvents = "true".equals(request.param("sendInitialEvents"));
        // a watch list starts from the current state whatever resourceVersion it names (NotOlderThan: now is not older)
        String resourceVersion = sendInitialEvents ? "" : request.param("resourceVersion");
        return new WatchPlan(type, namespace, Selectors.of(request.param("labelSelector"), request.param("fieldSelector")),
                resourceVersion, request.wantsTable(), request.param("includeObject", ""), timeout, sendInitialEvents);
    }

    private ApiResponse create(ApiRequest request, ResourceType type, String namespace) {
        ObjectNode body = request.jsonObject();
        checkKind(type, body);
        ObjectNode metadata = Json.metadata(body);
        if (type.namespaced()) {
            if (namespace == null) {
                throw ApiError.pathNotFound(request.method() + " " + request.path());
            }
            String declared = metadata.path("namespace").asText("");
            if (!declared.isEmpty() && !declared.equals(namespace)) {
                throw ApiError.badRequest("the namespace of the provided object (" + declared
                        + ") does not match the namespace sent on the request (" + namespace + ")");
            }
            metadata.put("namespace", namespace);
        }
        return ApiResponse.json(201, store.create(type, body));
    }

    private static void checkKind(ResourceType type, ObjectNode body) {
        String kind = body.path("kind").asText("");
        if (!kind.isEmpty() && !kind.equals(type.kind())) {
            throw ApiError.badRequest("the kind of the object (" + kind + ") does not match " + type.kind()
                    + ", the kind served at " + type.qualifiedName());
        }
    }

    static UnaryOperator<ObjectNode> patcher(ApiRequest request, ResourceType type) {
        String contentType = request.contentType() == null ? "" : request.contentType();
        JsonNode patch = request.json();
        return current -> {
            JsonNode patched;
            if (contentType.startsWith("application/merge-patch+json")) {
                patched = MergePatch.apply(current, patch);
            } else if (contentType.startsWith("application/json-patch+json")) {
                patched = JsonPatch.apply(current, patch);
            } else if (contentType.startsWith("application/strategic-merge-patch+json")) {
                if (type.custom()) {
                    // What a real API server answers; kubectl then falls back to a merge patch.
                    throw new ApiError(415, "UnsupportedMediaType", "strategic merge patch is not supported for custom resources ("
                            + type.qualifiedName() + "); use a JSON merge patch (application/merge-patch+json)", null);
                }
                patched = StrategicMergePatch.apply(current, patch);
            } else if (contentType.startsWith("application/apply-patch")) {
                throw new ApiError(415, "UnsupportedMediaType", "server-side apply is not supported by the sandbox API; "
                        + "use client-side apply (kubectl apply without --server-side) or a JSON merge patch", null);
            } else {
                throw ApiError.unsupportedMediaType(contentType);
            }
            if (!(patched instanceof ObjectNode object)) {
                throw new ApiError(422, "Invalid", "the patch for " + type.qualifiedName() + " \"" + Json.name(current)
                        + "\" does not leave an object", null);
            }
            return object;
        };
    }

    private ApiResponse delete(ApiRequest request, ResourceType type, String namespace, String name) {
        if (!type.custom() && type.kind().equals("Namespace") && List.of("default", "kube-system", "kube-public").contains(name)) {
            throw new ApiError(403, "Forbidden", "namespaces \"" + name + "\" is forbidden: this namespace may not be deleted", null);
        }
        JsonNode options = request.body() == null || request.body().length == 0 ? Json.object() : request.json();
        DeletePropagation propagation = DeletePropagation.parse(
                request.param("propagationPolicy", options.path("propagationPolicy").asText(
                        options.path("orphanDependents").asBoolean(false) ? "Orphan" : "")));
        if (propagation == DeletePropagation.ORPHAN && request.param("dryRun") == null) {
            ObjectNode current = store.require(type, namespace, name);
            garbageCollector.orphanDependentsOf(Json.uid(current));
        }
        JsonNode preconditions = options.path("preconditions");
        return ApiResponse.ok(store.delete(type, namespace, name, preconditions.path("uid").asText(""),
                preconditions.path("resourceVersion").asText("")));
    }

    private ApiResponse deleteCollection(ApiRequest request, ResourceType type, String namespace) {
        Predicate<ObjectNode> filter = Selectors.of(request.param("labelSelector"), request.param("fieldSelector"));
        ObjectStore.Snapshot snapshot = store.list(type, namespace, filter);
        ObjectNode list = Json.object();
        list.put("apiVersion", type.apiVersion());
        list.put("kind", type.kind() + "List");
        ArrayNode items = list.putArray("items");
        for (ObjectNode object : snapshot.items()) {
            try {
                items.add(store.delete(type, Json.namespace(object), Json.name(object), null, null));
            } catch (ApiError e) {
                if (e.code() != 404) {
                    throw e;
                }
            }
        }
        list.putObject("metadata").put("resourceVersion", Long.toString(store.resourceVersion()));
        return ApiResponse.ok(list);
    }
}

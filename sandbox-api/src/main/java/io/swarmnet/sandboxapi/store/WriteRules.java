package io.swarmnet.sandboxapi.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.resource.ResourceType;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides what a create or an update stores, as the real API server's registry strategies do:
 * server-owned metadata (uid, creationTimestamp, resourceVersion, generation), the status
 * subresource split, and what may not change. Pure: no storage, no clock of its own.
 */
final class WriteRules {

    private WriteRules() {
    }

    static String timestamp(Instant now) {
        return DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS));
    }

    static ObjectNode forCreate(ResourceType type, ObjectNode incoming, String uid, long resourceVersion, Instant now) {
        ObjectNode object = incoming.deepCopy();
        object.put("apiVersion", type.apiVersion());
        object.put("kind", type.kind());
        ObjectNode metadata = Json.metadata(object);
        metadata.put("uid", uid);
        metadata.put("resourceVersion", Long.toString(resourceVersion));
        metadata.put("creationTimestamp", timestamp(now));
        metadata.put("generation", 1);
        metadata.remove("deletionTimestamp");
        metadata.remove("deletionGracePeriodSeconds");
        metadata.remove("managedFields");
        metadata.remove("selfLink");
        if (!type.namespaced()) {
            metadata.remove("namespace");
        }
        initialStatus(type, object);
        return object;
    }

    /** Status a create may not set, as each kind's strategy resets it. */
    private static void initialStatus(ResourceType type, ObjectNode object) {
        if (type.custom()) {
            if (type.statusSubresource()) {
                object.remove("status");
            }
            return;
        }
        switch (type.kind()) {
            case "Pod" -> {
                ObjectNode status = object.putObject("status");
                status.put("phase", "Pending");
                status.put("qosClass", "BestEffort");
            }
            case "Namespace" -> {
                object.putObject("status").put("phase", "Active");
                // The namespace controller's finalizer: deleting a namespace first empties it.
                ObjectNode spec = object.has("spec") && object.get("spec").isObject() ? (ObjectNode) object.get("spec") : object.putObject("spec");
                if (!spec.has("finalizers")) {
                    spec.putArray("finalizers").add("kubernetes");
                }
            }
            case "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet" -> object.putObject("status");
            case "Service" -> object.putObject("status").putObject("loadBalancer");
            default -> {
                // Nodes (registered by their kubelet with a status) and the rest keep what they are given.
            }
        }
    }

    /**
     * @param current the stored object
     * @param desired what the client wants stored (a PUT body, or current with a patch applied)
     * @return the object to store, or {@code current} itself when nothing would change (no new
     * resourceVersion and no watch event, as on a real server)
     */
    static ObjectNode forUpdate(ResourceType type, ObjectNode current, ObjectNode desired, Subresource subresource,
                                long resourceVersion) {
        checkPrecondition(type, current, desired);
        ObjectNode object;
        if (subresource == Subresource.STATUS) {
            object = current.deepCopy();
            JsonNode status = desired.get("status");
            if (status == null || status.isNull()) {
                object.remove("status");
            } else {
                object.set("status", status.deepCopy());
            }
        } else {
            object = desired.deepCopy();
            if (type.statusSubresource()) {
                JsonNode status = current.get("status");
                if (status == null) {
                    object.remove("status");
                } else {
                    object.set("status", status.deepCopy());
                }
            }
        }
        object.put("apiVersion", type.apiVersion());
        object.put("kind", type.kind());
        ObjectNode metadata = Json.metadata(object);
        ObjectNode currentMetadata = (ObjectNode) current.path("metadata");
        for (String serverOwned : new String[]{"uid", "creationTimestamp", "name", "namespace", "deletionTimestamp",
                "deletionGracePeriodSeconds", "generation"}) {
            JsonNode value = currentMetadata.get(serverOwned);
            if (value == null) {
                metadata.remove(serverOwned);
            } else {
                metadata.set(serverOwned, value.deepCopy());
            }
        }
        metadata.remove("managedFields");
        metadata.remove("selfLink");
        if (currentMetadata.has("deletionTimestamp")) {
            forbidNewFinalizers(type, currentMetadata, metadata);
        }
        metadata.set("resourceVersion", currentMetadata.get("resourceVersion"));
        if (object.equals(current)) {
            return current;
        }
        if (specChanged(type, current, object)) {
            metadata.put("generation", currentMetadata.path("generation").asLong(0) + 1);
        }
        metadata.put("resourceVersion", Long.toString(resourceVersion));
        return object;
    }

    private static void checkPrecondition(ResourceType type, ObjectNode current, ObjectNode desired) {
        String wanted = desired.path("metadata").path("resourceVersion").asText("");
        String actual = current.path("metadata").path("resourceVersion").asText("");
        if (!wanted.isEmpty() && !wanted.equals(actual)) {
            throw ApiError.conflict(type.qualifiedName(), Json.name(current));
        }
    }

    private static void forbidNewFinalizers(ResourceType type, ObjectNode currentMetadata, ObjectNode metadata) {
        Set<String> before = new HashSet<>();
        currentMetadata.path("finalizers").forEach(f -> before.add(f.asText()));
        for (JsonNode finalizer : metadata.path("finalizers")) {
            if (!before.contains(finalizer.asText())) {
                ObjectNode details = Json.object();
                details.put("name", currentMetadata.path("name").asText());
                details.put("kind", type.kind());
                throw new ApiError(422, "Invalid", type.kind() + " \"" + currentMetadata.path("name").asText()
                        + "\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers [\""
                        + finalizer.asText() + "\"]", details);
            }
        }
    }

    /** A change of anything but metadata (and status, where status is a subresource) is a new generation. */
    private static boolean specChanged(ResourceType type, ObjectNode before, ObjectNode after) {
        Iterator<Map.Entry<String, JsonNode>> fields = after.fields();
        Set<String> seen = new HashSet<>();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            seen.add(field.getKey());
            if (ignoredForGeneration(type, field.getKey())) {
                continue;
            }
            if (!Objects.equals(field.getValue(), before.get(field.getKey()))) {
                return true;
            }
        }
        Iterator<String> names = before.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!seen.contains(name) && !ignoredForGeneration(type, name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean ignoredForGeneration(ResourceType type, String field) {
        return field.equals("metadata") || field.equals("apiVersion") || field.equals("kind")
                || (field.equals("status") && type.statusSubresource());
    }

    /** Marks an object held by finalizers as being deleted. */
    static ObjectNode markDeleting(ObjectNode current, long resourceVersion, Instant now) {
        ObjectNode object = current.deepCopy();
        ObjectNode metadata = Json.metadata(object);
        metadata.put("deletionTimestamp", timestamp(now));
        metadata.put("deletionGracePeriodSeconds", 0);
        metadata.put("generation", metadata.path("generation").asLong(0) + 1);
        metadata.put("resourceVersion", Long.toString(resourceVersion));
        if (isNamespace(object)) {
            object.putObject("status").put("phase", "Terminating");
        }
        return object;
    }

    static boolean hasFinalizers(JsonNode object) {
        JsonNode finalizers = object.path("metadata").path("finalizers");
        JsonNode namespaceFinalizers = isNamespace(object) ? object.path("spec").path("finalizers") : null;
        return (finalizers instanceof ArrayNode array && !array.isEmpty())
                || (namespaceFinalizers instanceof ArrayNode spec && !spec.isEmpty());
    }

    static boolean isNamespace(JsonNode object) {
        return "Namespace".equals(object.path("kind").asText()) && "v1".equals(object.path("apiVersion").asText());
    }

    static boolean beingDeleted(JsonNode object) {
        return object.path("metadata").hasNonNull("deletionTimestamp");
    }

    static ObjectNode withResourceVersion(ObjectNode object, long resourceVersion) {
        ObjectNode copy = object.deepCopy();
        Json.metadata(copy).put("resourceVersion", Long.toString(resourceVersion));
        return copy;
    }
}

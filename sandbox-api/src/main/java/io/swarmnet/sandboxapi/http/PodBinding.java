package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.resource.ResourceType;
import io.swarmnet.sandboxapi.store.ObjectStore;
import io.swarmnet.sandboxapi.store.Subresource;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * How a scheduler places a pod: POST a {@code Binding} to {@code namespaces/NS/bindings} or to
 * {@code pods/NAME/binding}. Sets {@code spec.nodeName} once (a second binding to another node is a
 * conflict) and records the PodScheduled condition, as the API server's binding registry does.
 */
final class PodBinding {

    private PodBinding() {
    }

    static ApiResponse bind(ApiRequest request, ObjectStore store, ResourceType pods, String namespace, String podName, Clock clock) {
        if (!request.method().equals("POST")) {
            throw ApiError.methodNotAllowed(request.method() + " is not supported on bindings; POST a Binding");
        }
        ObjectNode binding = request.jsonObject();
        String name = podName != null ? podName : Json.name(binding);
        String node = binding.path("target").path("name").asText("");
        if (node.isEmpty()) {
            throw new ApiError(422, "Invalid", "Binding.core \"" + name + "\" is invalid: target.name: Required value: the node to bind to", null);
        }
        String uid = binding.path("metadata").path("uid").asText("");
        store.update(pods, namespace, name, Subresource.MAIN, pod -> {
            if (!uid.isEmpty() && !uid.equals(Json.uid(pod))) {
                throw new ApiError(409, "Conflict", "Operation cannot be fulfilled on pods/binding \"" + name
                        + "\": the UID in the binding (" + uid + ") does not match the pod's (" + Json.uid(pod) + ")", null);
            }
            String current = pod.path("spec").path("nodeName").asText("");
            if (!current.isEmpty()) {
                throw new ApiError(409, "Conflict", "Operation cannot be fulfilled on pods/binding \"" + name
                        + "\": pod " + name + " is already assigned to node \"" + current + "\"", null);
            }
            ((ObjectNode) pod.path("spec")).put("nodeName", node);
            return pod;
        });
        store.update(pods, namespace, name, Subresource.STATUS, pod -> {
            ObjectNode status = pod.has("status") && pod.get("status").isObject() ? (ObjectNode) pod.get("status") : pod.putObject("status");
            ArrayNode conditions = status.has("conditions") && status.get("conditions").isArray()
                    ? (ArrayNode) status.get("conditions") : status.putArray("conditions");
            for (int i = conditions.size() - 1; i >= 0; i--) {
                JsonNode condition = conditions.get(i);
                if (condition.path("type").asText().equals("PodScheduled")) {
                    conditions.remove(i);
                }
            }
            ObjectNode scheduled = conditions.addObject();
            scheduled.put("type", "PodScheduled");
            scheduled.put("status", "True");
            scheduled.putNull("lastProbeTime");
            scheduled.put("lastTransitionTime", DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS)));
            return pod;
        });
        ObjectNode success = Json.object();
        success.put("kind", "Status");
        success.put("apiVersion", "v1");
        success.putObject("metadata");
        success.put("status", "Success");
        success.put("code", 201);
        return ApiResponse.json(201, success);
    }
}

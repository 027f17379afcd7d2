package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import java.util.Map;

/** One HTTP request as the API sees it, independent of the server library. */
public record ApiRequest(String method, String path, Map<String, String> query, String accept, String contentType, byte[] body) {

    public String param(String name) {
        return query.get(name);
    }

    public String param(String name, String fallback) {
        return query.getOrDefault(name, fallback);
    }

    public boolean wantsTable() {
        return accept != null && accept.contains("as=Table");
    }

    public boolean isWatch() {
        String watch = query.get("watch");
        return "true".equals(watch) || "1".equals(watch);
    }

    public JsonNode json() {
        if (body == null || body.length == 0) {
            throw ApiError.badRequest("the request for " + path + " has no body; send the object as JSON");
        }
        if (contentType != null && contentType.contains("protobuf")) {
            throw new ApiError(415, "UnsupportedMediaType", "the sandbox API speaks JSON only, not " + contentType
                    + "; use kubectl apply -f or create -f with a manifest", null);
        }
        try {
            return Json.parse(body);
        } catch (RuntimeException e) {
            throw ApiError.badRequest("the request body for " + path + " is not valid JSON: " + e.getMessage());
        }
    }

    public ObjectNode jsonObject() {
        JsonNode node = json();
        if (!(node instanceof ObjectNode object)) {
            throw ApiError.badRequest("the request body for " + path + " must be a JSON object, got " + node.getNodeType());
        }
        return object;
    }
}

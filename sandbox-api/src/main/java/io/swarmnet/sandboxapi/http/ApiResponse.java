package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import java.nio.charset.StandardCharsets;

/** A complete (non-streaming) answer. */
public record ApiResponse(int code, String contentType, byte[] body) implements Outcome {

    public static ApiResponse json(int code, JsonNode body) {
        return new ApiResponse(code, "application/json", Json.bytes(body));
    }

    public static ApiResponse ok(JsonNode body) {
        return json(200, body);
    }

    public static ApiResponse text(int code, String text) {
        return new ApiResponse(code, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    public static ApiResponse error(ApiError error) {
        return json(error.code(), error.status());
    }
}

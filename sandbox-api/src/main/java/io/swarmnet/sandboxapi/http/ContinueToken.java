package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * Where a paged list goes on ({@code metadata.continue}): the resourceVersion of its first page and
 * the key of the last object sent. Clients treat it as opaque, as they must the real server's; it
 * is base64url of a small JSON object.
 */
record ContinueToken(long resourceVersion, String namespace, String name) {

    String encode() {
        ObjectNode json = Json.object();
        json.put("rv", resourceVersion);
        json.put("ns", namespace);
        json.put("after", name);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Json.bytes(json));
    }

    /** @return null when the request names no token */
    static ContinueToken decode(String token) {
        if (token == null || token.isEmpty()) {
            return null;
        }
        JsonNode json;
        try {
            json = Json.parse(Base64.getUrlDecoder().decode(token));
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw invalid(token, "it is not a token this server issued");
        }
        JsonNode resourceVersion = json.path("rv");
        JsonNode namespace = json.path("ns");
        JsonNode name = json.path("after");
        if (!resourceVersion.isIntegralNumber() || !resourceVersion.canConvertToLong() || resourceVersion.asLong() <= 0
                || !namespace.isTextual() || !name.isTextual() || name.asText().isEmpty()) {
            throw invalid(token, "it is not a token this server issued");
        }
        return new ContinueToken(resourceVersion.asLong(), namespace.asText(), name.asText());
    }

    static ApiError invalid(String token, String why) {
        return ApiError.badRequest("invalid continue token \"" + token + "\": " + why
                + "; pass the metadata.continue of the previous page unchanged, or list again without continue");
    }
}

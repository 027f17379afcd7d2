package io.swarmnet.sandboxapi;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request the API refuses, carried to the HTTP edge and answered there with a {@code Status}
 * body shaped as the real API server's, so kubectl and fabric8 print their usual messages.
 */
public final class ApiError extends RuntimeException {

    private final int code;
    private final String reason;
    private final ObjectNode details;

    public ApiError(int code, String reason, String message, ObjectNode details) {
        super(message);
        this.code = code;
        this.reason = reason;
        this.details = details;
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }

    /** The {@code Status} object as the API server sends it. */
    public ObjectNode status() {
        ObjectNode status = Json.object();
        status.put("kind", "Status");
        status.put("apiVersion", "v1");
        status.putObject("metadata");
        status.put("status", "Failure");
        status.put("message", getMessage());
        status.put("reason", reason);
        if (details != null) {
            status.set("details", details);
        }
        status.put("code", code);
        return status;
    }

    private static ObjectNode details(String qualifiedResource, String name) {
        ObjectNode details = Json.object();
        details.put("name", name);
        int dot = qualifiedResource.indexOf('.');
        if (dot > 0) {
            details.put("group", qualifiedResource.substring(dot + 1));
        }
        details.put("kind", dot > 0 ? qualifiedResource.substring(0, dot) : qualifiedResource);
        return details;
    }

    /** {@code qualifiedResource} as the API server names it: {@code overlaynetworks.swarmnet.io}, {@code pods}. */
    public static ApiError notFound(String qualifiedResource, String name) {
        return new ApiError(404, "NotFound", qualifiedResource + " \"" + name + "\" not found",
                details(qualifiedResource, name));
    }

    public static ApiError alreadyExists(String qualifiedResource, String name) {
        return new ApiError(409, "AlreadyExists", qualifiedResource + " \"" + name + "\" already exists",
                details(qualifiedResource, name));
    }

    public static ApiError conflict(String qualifiedResource, String name) {
        return new ApiError(409, "Conflict", "Operation cannot be fulfilled on " + qualifiedResource + " \"" + name
                + "\": the object has been modified; please apply your changes to the latest version and try again",
                details(qualifiedResource, name));
    }

    /** As a validating webhook or an admission plugin such as PodSecurity refuses: 403 with its own message. */
    public static ApiError forbidden(String qualifiedResource, String name, String message) {
        return new ApiError(403, "Forbidden", qualifiedResource + " \"" + name + "\" is forbidden: " + message,
                details(qualifiedResource, name));
    }

    public static ApiError badRequest(String message) {
        return new ApiError(400, "BadRequest", message, null);
    }

    public static ApiError unsupportedMediaType(String contentType) {
        return new ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: "
                + "application/json-patch+json, application/merge-patch+json" + (contentType == null ? "" : "; got " + contentType), null);
    }

    public static ApiError methodNotAllowed(String message) {
        return new ApiError(405, "MethodNotAllowed", message, null);
    }

    public static ApiError gone(String message) {
        return new ApiError(410, "Expired", message, null);
    }

    public static ApiError pathNotFound(String path) {
        return new ApiError(404, "NotFound", "the server could not find the requested resource (" + path + ")", null);
    }
}

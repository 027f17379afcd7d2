package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.AccessPolicy;
import io.swarmnet.sandboxapi.ApiError;

/**
 * {@code POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews}: the review comes back with
 * {@code status.allowed} as the {@link AccessPolicy} decides. Not stored, as on a real server. A
 * review of a non-resource URL is always allowed (the sandbox serves every path to everyone).
 */
final class AccessReviews {

    private AccessReviews() {
    }

    static ApiResponse review(ApiRequest request, AccessPolicy policy) {
        if (!request.method().equals("POST")) {
            throw ApiError.methodNotAllowed(request.method() + " is not supported on selfsubjectaccessreviews; POST a SelfSubjectAccessReview");
        }
        ObjectNode review = request.jsonObject();
        JsonNode spec = review.path("spec");
        JsonNode resource = spec.path("resourceAttributes");
        boolean nonResource = spec.path("nonResourceAttributes").isObject();
        if (resource.isObject() == nonResource) {
            throw new ApiError(422, "Invalid", "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes:"
                    + " Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified", null);
        }
        boolean allowed = nonResource || policy.allows(new AccessPolicy.Request(resource.path("verb").asText(""),
                resource.path("group").asText(""), resource.path("resource").asText(""), resource.path("subresource").asText(""),
                resource.path("namespace").asText(""), resource.path("name").asText("")));
        review.put("kind", "SelfSubjectAccessReview");
        review.put("apiVersion", "authorization.k8s.io/v1");
        ObjectNode status = review.putObject("status");
        status.put("allowed", allowed);
        status.put("reason", allowed ? "allowed by the sandbox's access policy" : "denied by the sandbox's access policy");
        return ApiResponse.json(201, review);
    }
}

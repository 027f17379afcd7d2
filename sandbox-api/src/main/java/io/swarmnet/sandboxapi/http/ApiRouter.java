package io.swarmnet.sandboxapi.http;

import io.swarmnet.sandboxapi.AccessPolicy;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.resource.ResourceCatalog;
import io.swarmnet.sandboxapi.resource.ResourceType;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends each request to what answers it: health, discovery, OpenAPI, access reviews, or a resource; 404 with a Status otherwise. */
public final class ApiRouter {

    private static final Logger LOG = LoggerFactory.getLogger(ApiRouter.class);

    private final ResourceCatalog catalog;
    private final Discovery discovery;
    private final OpenApiDocuments openApi;
    private final ResourceEndpoints resources;
    private final AccessPolicy access;

    private final java.time.Clock clock;

    public ApiRouter(ResourceCatalog catalog, Discovery discovery, OpenApiDocuments openApi, ResourceEndpoints resources,
                     AccessPolicy access, java.time.Clock clock) {
        this.clock = clock;
        this.access = access;
        this.catalog = catalog;
        this.discovery = discovery;
        this.openApi = openApi;
        this.resources = resources;
    }

    public Outcome route(ApiRequest request) {
        try {
            return dispatch(request);
        } catch (ApiError e) {
            return ApiResponse.error(e);
        } catch (RuntimeException e) {
            LOG.warn("{} {} failed", request.method(), request.path(), e);
            return ApiResponse.error(new ApiError(500, "InternalError", "Internal error occurred: " + e, null));
        }
    }

    private Outcome dispatch(ApiRequest request) {
        String path = request.path();
        if (request.method().equals("GET")) {
            if (path.equals("/healthz") || path.equals("/livez") || path.equals("/readyz")) {
                return ApiResponse.text(200, "ok");
            }
            Optional<ApiResponse> answer = discovery.answer(path).or(() -> openApi.answer(path));
            if (answer.isPresent()) {
                return answer.get();
            }
        }
        Optional<ResourcePath> resourcePath = ResourcePath.parse(path);
        if (resourcePath.isPresent()) {
            ResourcePath target = resourcePath.get();
            boolean coreV1 = target.group().isEmpty() && target.version().equals("v1") && target.namespace() != null;
            if (coreV1 && ((target.plural().equals("bindings") && target.name() == null)
                    || (target.plural().equals("pods") && "binding".equals(target.subresource())))) {
                ResourceType pods = catalog.find("", "v1", "pods").orElseThrow();
                return PodBinding.bind(request, resources.store(), pods, target.namespace(),
                        target.plural().equals("pods") ? target.name() : null, clock);
            }
            if (target.group().equals("authorization.k8s.io") && target.version().equals("v1")
                    && target.plural().equals("selfsubjectaccessreviews") && target.name() == null) {
                return AccessReviews.review(request, access);
            }
            Optional<ResourceType> type = catalog.find(target.group(), target.version(), target.plural());
            if (type.isPresent()) {
                return resources.handle(request, type.get(), target);
            }
        }
        throw ApiError.pathNotFound(request.method() + " " + path);
    }
}

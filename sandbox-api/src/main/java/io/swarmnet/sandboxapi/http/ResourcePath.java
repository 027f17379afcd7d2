package io.swarmnet.sandboxapi.http;

import java.util.List;
import java.util.Optional;

/**
 * A resource URL taken apart: {@code /api/v1/namespaces/default/pods/web-1/status} is group "",
 * version v1, namespace default, resource pods, name web-1, subresource status.
 *
 * @param namespace   null when the URL names none (cluster-scoped kinds, or all namespaces)
 * @param name        null for a collection
 * @param subresource null for the main resource
 */
public record ResourcePath(String group, String version, String namespace, String plural, String name, String subresource) {

    /** @return empty when the path is not a resource URL (discovery, openapi, unknown) */
    public static Optional<ResourcePath> parse(String path) {
        List<String> segments = List.of(path.replaceAll("^/+|/+$", "").split("/+"));
        String group;
        String version;
        int rest;
        if (segments.size() >= 3 && segments.get(0).equals("api")) {
            group = "";
            version = segments.get(1);
            rest = 2;
        } else if (segments.size() >= 4 && segments.get(0).equals("apis")) {
            group = segments.get(1);
            version = segments.get(2);
            rest = 3;
        } else {
            return Optional.empty();
        }
        List<String> tail = segments.subList(rest, segments.size());
        String namespace = null;
        boolean namespaceSubresource = group.isEmpty() && tail.size() == 3 && tail.get(0).equals("namespaces")
                && (tail.get(2).equals("status") || tail.get(2).equals("finalize"));
        if (tail.size() >= 3 && tail.get(0).equals("namespaces") && !namespaceSubresource) {
            namespace = tail.get(1);
            tail = tail.subList(2, tail.size());
        }
        if (tail.isEmpty() || tail.size() > 3) {
            return Optional.empty();
        }
        return Optional.of(new ResourcePath(group, version, namespace, tail.get(0),
                tail.size() > 1 ? tail.get(1) : null, tail.size() > 2 ? tail.get(2) : null));
    }
}

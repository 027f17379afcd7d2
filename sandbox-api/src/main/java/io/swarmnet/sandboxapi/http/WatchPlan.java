package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.resource.ResourceType;
import java.util.function.Predicate;

/**
 * A watch request, resolved: which objects, from which resourceVersion, and whether events carry
 * objects or single-row Tables (what {@code kubectl get -w} asks for).
 *
 * @param namespace         null for all namespaces
 * @param timeoutSeconds    0 for no timeout
 * @param sendInitialEvents a watch list (client-go's informers since 1.35, so {@code kubectl wait} and
 *                          {@code kubectl delete}): every object as ADDED, then a bookmark marking
 *                          the end of them, and the changes after it
 */
public record WatchPlan(ResourceType type, String namespace, Predicate<ObjectNode> filter, String resourceVersion,
                        boolean table, String includeObject, long timeoutSeconds, boolean sendInitialEvents) implements Outcome {
}

package io.swarmnet.api.contract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A node's state for every network it carries, keyed by {@code <namespace>/<network name>}:
 * the value of {@link SwarmnetKeys#ANNOTATION_NODE_NETWORKS} on the Node.
 */
public record NodeNetworkStates(Map<String, NodeNetworkState> byNetwork) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public NodeNetworkStates {
        byNetwork = Collections.unmodifiableMap(new TreeMap<>(byNetwork));
    }

    public static String key(String namespace, String network) {
        return namespace + "/" + network;
    }

    /** Parses the annotation; an absent or unreadable one means the node reports nothing. */
    public static NodeNetworkStates parse(String annotation) {
        if (annotation == null || annotation.isBlank()) {
            return new NodeNetworkStates(Map.of());
        }
        try {
            return new NodeNetworkStates(JSON.readValue(annotation, new TypeReference<Map<String, NodeNetworkState>>() { }));
        } catch (JsonProcessingException e) {
            return new NodeNetworkStates(Map.of());
        }
    }

    public String format() {
        try {
            return JSON.writeValueAsString(byNetwork);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

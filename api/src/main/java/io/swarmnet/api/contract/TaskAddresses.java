package io.swarmnet.api.contract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmnet.api.net.IpAddress;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A task's address on each of its networks: the value of {@link SwarmnetKeys#ANNOTATION_ADDRESSES}, keyed by the network as
 * the pod's namespace records it ({@link NetworkReference#relativeTo(String)}: {@code my-network}, or {@code infra/proxy} for a
 * network shared from another namespace).
 */
public record TaskAddresses(Map<String, IpAddress> byNetwork) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public TaskAddresses {
        byNetwork = Collections.unmodifiableMap(new TreeMap<>(byNetwork));
    }

    /** Parses the annotation; throws {@link IllegalArgumentException} saying what is wrong with it. */
    public static TaskAddresses parse(String annotation) {
        if (annotation == null || annotation.isBlank()) {
            return new TaskAddresses(Map.of());
        }
        Map<String, String> raw;
        try {
            raw = JSON.readValue(annotation, new TypeReference<Map<String, String>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("annotation " + SwarmnetKeys.ANNOTATION_ADDRESSES
                    + " is not a JSON object of network name to IPv4 address: " + e.getOriginalMessage());
        }
        Map<String, IpAddress> parsed = new TreeMap<>();
        raw.forEach((network, address) -> parsed.put(network, IpAddress.parse(address)));
        return new TaskAddresses(parsed);
    }

    public String format() {
        Map<String, String> raw = new TreeMap<>();
        byNetwork.forEach((network, address) -> raw.put(network, address.toString()));
        try {
            return JSON.writeValueAsString(raw);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

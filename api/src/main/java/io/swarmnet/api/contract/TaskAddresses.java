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
        Map<String, String> raw = compact(annotation);
        if (raw == null) {
            try {
                raw = JSON.readValue(annotation, new TypeReference<Map<String, String>>() { });
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("annotation " + SwarmnetKeys.ANNOTATION_ADDRESSES
                        + " is not a JSON object of network name to IPv4 address: " + e.getOriginalMessage());
            }
        }
        Map<String, IpAddress> parsed = new TreeMap<>();
        raw.forEach((network, address) -> parsed.put(network, IpAddress.parse(address)));
        return new TaskAddresses(parsed);
    }

    /**
     * The annotation as {@link #format} writes it — {@code {"front":"10.0.9.3","infra/proxy":"10.0.10.7"}}: no space, no
     * escape, no name twice — read directly (the operator reads every task's annotation on every reconcile); null for
     * anything else, which the JSON parser then reads or rejects.
     */
    private static Map<String, String> compact(String text) {
        int end = text.length() - 1;
        if (end < 1 || text.charAt(0) != '{' || text.charAt(end) != '}' || text.indexOf('\\') >= 0) {
            return null;
        }
        Map<String, String> raw = new TreeMap<>();
        int i = 1;
        while (i < end) {
            int keyEnd = text.indexOf('"', i + 1);
            if (text.charAt(i) != '"' || keyEnd < 0 || keyEnd + 3 > end || text.charAt(keyEnd + 1) != ':' || text.charAt(keyEnd + 2) != '"') {
                return null;
            }
            int valueEnd = text.indexOf('"', keyEnd + 3);
            if (valueEnd < 0 || valueEnd > end) {
                return null;
            }
            String key = text.substring(i + 1, keyEnd);
            String value = text.substring(keyEnd + 3, valueEnd);
            if (!plain(key) || !plain(value) || raw.put(key, value) != null) {
                return null;
            }
            i = valueEnd + 1;
            if (i < end && (text.charAt(i) != ',' || i + 1 == end)) {
                return null;
            }
            i = i < end ? i + 1 : i;
        }
        return raw;
    }

    /** No control character, which JSON would have escaped. */
    private static boolean plain(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < 0x20) {
                return false;
            }
        }
        return true;
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

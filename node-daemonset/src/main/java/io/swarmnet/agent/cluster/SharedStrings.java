package io.swarmnet.agent.cluster;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Strings, and lists of them, that recur in many cached objects (namespaces, service and node names, phases, network
 * names, DNS search paths), kept once: a node agent caches every task of the cluster. Thread-safe; an informer's store
 * calls it from the informer's thread while another reads what it returned.
 */
final class SharedStrings {

    /** At this many distinct values kept once, the table starts afresh (objects already cached keep sharing theirs). */
    static final int MAX_SHARED = 50_000;

    private final Map<Object, Object> shared = new ConcurrentHashMap<>();

    String of(String value) {
        return value == null ? null : share(value);
    }

    /** An immutable list equal to {@code values}, the same instance for equal lists. */
    List<String> of(List<String> values) {
        if (values.isEmpty()) {
            return List.of();
        }
        // List.copyOf: a list that copies of it (TaskInfo's) return as it is
        return share(List.copyOf(values.stream().map(this::of).toList()));
    }

    @SuppressWarnings("unchecked")
    private <T> T share(T value) {
        Object known = shared.get(value);
        if (known != null) {
            return (T) known;
        }
        if (shared.size() >= MAX_SHARED) {
            shared.clear(); // values of objects long gone, or of messages that never recur
        }
        known = shared.putIfAbsent(value, value);
        return known == null ? value : (T) known;
    }
}

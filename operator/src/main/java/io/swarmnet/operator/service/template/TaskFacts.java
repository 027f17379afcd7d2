package io.swarmnet.operator.service.template;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The values a task's templates are resolved with, as known when the operator builds its pod.
 * The task's ID (its pod's UID) is never among them: the API server assigns it on creation.
 *
 * @param taskSlot the slot number of a replicated task; for a global one its node's ID, as swarm does
 * @param node     where the task runs, or null while the scheduler has yet to choose
 */
public record TaskFacts(String serviceId, String serviceName, Map<String, String> serviceLabels, String taskName, String taskSlot,
                        NodeFacts node) {

    public TaskFacts {
        serviceId = Objects.requireNonNullElse(serviceId, "");
        Objects.requireNonNull(serviceName, "serviceName");
        serviceLabels = serviceLabels == null ? Map.of() : Map.copyOf(serviceLabels);
        Objects.requireNonNull(taskName, "taskName");
        Objects.requireNonNull(taskSlot, "taskSlot");
    }

    /**
     * The placeholder's value. Node placeholders need {@link #node}; the task ID is never known
     * here (callers turn it into a Downward API reference or refuse it).
     */
    public String value(Placeholder placeholder) {
        if (placeholder.field().isNode() && node == null) {
            throw new IllegalStateException(placeholder + " is not known before the task's node is");
        }
        return switch (placeholder.field()) {
            case SERVICE_ID -> serviceId;
            case SERVICE_NAME -> serviceName;
            // as Go prints a map: keys in order, "map[k1:v1 k2:v2]"
            case SERVICE_LABELS -> new TreeMap<>(serviceLabels).entrySet().stream()
                    .map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(" ", "map[", "]"));
            // Go's index of a missing key is the empty string
            case SERVICE_LABEL -> serviceLabels.getOrDefault(placeholder.label(), "");
            case NODE_ID -> node.id();
            case NODE_HOSTNAME -> node.hostname();
            case NODE_ARCHITECTURE -> node.architecture();
            case NODE_OS -> node.os();
            case TASK_ID -> throw new IllegalStateException("a task's ID is its pod's UID, known only once the pod exists");
            case TASK_NAME -> taskName;
            case TASK_SLOT -> taskSlot;
        };
    }
}

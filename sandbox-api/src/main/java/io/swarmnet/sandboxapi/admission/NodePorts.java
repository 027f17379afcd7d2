package io.swarmnet.sandboxapi.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.resource.ResourceType;
import io.swarmnet.sandboxapi.schema.FieldError;
import io.swarmnet.sandboxapi.store.AdmissionControl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * The API server's NodePort allocation for Services of type NodePort and LoadBalancer: a port that
 * asks for a nodePort gets it if it lies in the range and no other Service holds it (otherwise the
 * write is refused with the server's own wording, {@code provided port is already allocated}); a
 * port that asks for none gets a free one from the range. Ports of one Service that share a port
 * number (TCP and UDP) share their nodePort, as in Kubernetes. A Service that stops being of such a
 * type loses its nodePorts. What other Services hold is read from the store at each write, so a
 * deleted Service's ports are free again at once.
 */
public final class NodePorts implements AdmissionControl {

    /** The API server's default --service-node-port-range. */
    public static final int FIRST = 30000;
    public static final int LAST = 32767;

    private final Function<ResourceType, List<ObjectNode>> storedServices;

    /** @param storedServices every Service in the store (all namespaces), for the Service type given */
    public NodePorts(Function<ResourceType, List<ObjectNode>> storedServices) {
        this.storedServices = storedServices;
    }

    @Override
    public void admit(ResourceType type, ObjectNode object, ObjectNode old) {
        if (type.custom() || !type.kind().equals("Service") || !object.path("spec").isObject()) {
            return;
        }
        ObjectNode spec = (ObjectNode) object.get("spec");
        JsonNode ports = spec.path("ports");
        String serviceType = spec.path("type").asText("ClusterIP");
        if (!ports.isArray()) {
            return;
        }
        if (!serviceType.equals("NodePort") && !serviceType.equals("LoadBalancer")) {
            ports.forEach(p -> ((ObjectNode) p).remove("nodePort"));
            return;
        }
        Set<Integer> taken = takenByOthers(type, object);
        List<FieldError> errors = new ArrayList<>();
        Map<Integer, Integer> byPortNumber = new HashMap<>();
        for (int i = 0; i < ports.size(); i++) {
            int nodePort = ports.get(i).path("nodePort").asInt(0);
            if (nodePort == 0) {
                continue;
            }
            String field = "spec.ports[" + i + "].nodePort";
            if (nodePort < FIRST || nodePort > LAST) {
                errors.add(new FieldError(field, FieldError.INVALID, (long) nodePort, "provided port is not in the valid range."
                        + " The range of valid ports is " + FIRST + "-" + LAST));
            } else if (taken.contains(nodePort)) {
                errors.add(new FieldError(field, FieldError.INVALID, (long) nodePort, "provided port is already allocated"));
            } else {
                byPortNumber.putIfAbsent(ports.get(i).path("port").asInt(), nodePort);
            }
        }
        if (!errors.isEmpty()) {
            throw Admission.invalid(type, Json.name(object), errors);
        }
        Set<Integer> mine = new HashSet<>(byPortNumber.values());
        for (JsonNode port : ports) {
            if (port.path("nodePort").asInt(0) != 0) {
                continue;
            }
            Integer shared = byPortNumber.get(port.path("port").asInt());
            int nodePort = shared != null ? shared : free(taken, mine);
            ((ObjectNode) port).put("nodePort", nodePort);
            mine.add(nodePort);
            byPortNumber.putIfAbsent(port.path("port").asInt(), nodePort);
        }
    }

    private Set<Integer> takenByOthers(ResourceType type, ObjectNode object) {
        Set<Integer> taken = new HashSet<>();
        for (ObjectNode other : storedServices.apply(type)) {
            if (Objects.equals(Json.namespace(other), Json.namespace(object)) && Objects.equals(Json.name(other), Json.name(object))) {
                continue;
            }
            other.path("spec").path("ports").forEach(p -> {
                if (p.path("nodePort").asInt(0) != 0) {
                    taken.add(p.path("nodePort").asInt());
                }
            });
        }
        return taken;
    }

    /** A random free port of the range, as the server's allocator picks one. */
    private static int free(Set<Integer> taken, Set<Integer> mine) {
        int size = LAST - FIRST + 1;
        int start = ThreadLocalRandom.current().nextInt(size);
        for (int i = 0; i < size; i++) {
            int candidate = FIRST + (start + i) % size;
            if (!taken.contains(candidate) && !mine.contains(candidate)) {
                return candidate;
            }
        }
        throw new io.swarmnet.sandboxapi.ApiError(500, "InternalError", "range of valid node ports " + FIRST + "-" + LAST
                + " is full", null);
    }
}

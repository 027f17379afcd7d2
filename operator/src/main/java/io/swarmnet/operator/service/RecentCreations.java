package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;

/**
 * Task pods this operator created that the pod informer's index by controller may not show yet. The reconciler reads
 * a service's tasks from that index, which the informer fills only when the pod's ADD event arrives; a round that
 * starts in between (another task's event queued it) would find the slot empty and create the task a second time,
 * then delete one of the two a round later. So each created pod is remembered under its service until the index shows
 * it, and a round's tasks are the index's plus those not yet there that the informer's cache of recent writes still
 * has ({@code lookup}: gone from it, the pod was seen and deleted meanwhile, or never made it).
 */
final class RecentCreations {

    /** After this a pod the index never showed is forgotten: its ADD event was lost, and a resync brings it. */
    static final Duration KEPT = Duration.ofSeconds(60);

    private record Created(Pod pod, long at) {
    }

    private final Map<String, Map<String, Created>> byService = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    RecentCreations(LongSupplier clock) {
        this.clock = clock;
    }

    /** A task pod just created; its service is its controller. */
    void created(Pod pod) {
        String service = controller(pod);
        if (service != null) {
            byService.computeIfAbsent(service, k -> new ConcurrentHashMap<>()).put(pod.getMetadata().getName(), new Created(pod, clock.getAsLong()));
        }
    }

    /**
     * The service's tasks: {@code indexed} and the pods created for it that it lacks but {@code lookup} (namespace, name)
     * still finds, sorted by name. Those the index shows, and those {@code lookup} no longer finds, are forgotten.
     */
    List<Pod> tasks(String serviceUid, List<Pod> indexed, BiFunction<String, String, Optional<Pod>> lookup) {
        Map<String, Created> pending = byService.get(serviceUid);
        if (pending == null || pending.isEmpty()) {
            return indexed;
        }
        Set<String> names = new HashSet<>();
        indexed.forEach(p -> names.add(p.getMetadata().getName()));
        List<Pod> tasks = new ArrayList<>(indexed);
        long now = clock.getAsLong();
        pending.entrySet().removeIf(e -> {
            if (names.contains(e.getKey()) || now - e.getValue().at() > KEPT.toNanos()) {
                return true;
            }
            Pod pod = e.getValue().pod();
            Optional<Pod> found = lookup.apply(pod.getMetadata().getNamespace(), e.getKey());
            found.ifPresent(tasks::add);
            return found.isEmpty();
        });
        if (pending.isEmpty()) {
            byService.remove(serviceUid, pending);
        }
        tasks.sort(java.util.Comparator.comparing(p -> p.getMetadata().getName()));
        return tasks;
    }

    void forget(String serviceUid) {
        byService.remove(serviceUid);
    }

    /** How many created pods are waiting for the index, all services together (for tests). */
    int pending() {
        return byService.values().stream().mapToInt(Map::size).sum();
    }

    private static String controller(Pod pod) {
        var owners = pod.getMetadata().getOwnerReferences();
        if (owners == null) {
            return null;
        }
        return owners.stream().filter(o -> Boolean.TRUE.equals(o.getController()) && o.getUid() != null)
                .map(o -> o.getUid()).findFirst().orElse(null);
    }
}

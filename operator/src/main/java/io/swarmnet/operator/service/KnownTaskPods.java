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
 * The task pods of each service this operator knows exist, so that a round's tasks do not depend on one read of the
 * pod informer's index by controller, which can miss a pod: it shows a pod this operator just created only once the
 * pod's ADD event arrives, and while the informer applies an UPDATE it takes the pod out of the index and puts it back
 * (fabric8's cache updates the index without holding the lock that reading it takes). A round that missed a pod would
 * find its slot empty, create the task a second time, and delete one of the two a round later — seen on the real
 * cluster as a second task in slot 3 right after apply, and in slot 9 of 20 while the tasks turned ready.
 *
 * <p>So every pod created and every pod the index showed is remembered under its service, and a round's tasks are
 * the index's plus each remembered pod it lacks that {@code lookup} — the informer's store and its cache of recent
 * writes, which are written before the index and emptied of a deleted pod — still has. What {@code lookup} does not
 * find is forgotten.
 */
final class KnownTaskPods {

    /** After this a created pod the index never showed is forgotten: its ADD event was lost, and a resync brings it. */
    static final Duration KEPT = Duration.ofSeconds(60);
    /** A pod the index has shown: kept until {@code lookup} no longer finds it. */
    private static final long SEEN = Long.MIN_VALUE;

    /** One known pod: its namespace, and when it was created if the index has not shown it yet (else {@link #SEEN}). */
    private record Known(String namespace, long createdAt) {
    }

    private final Map<String, Map<String, Known>> byService = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    KnownTaskPods(LongSupplier clock) {
        this.clock = clock;
    }

    /** A task pod just created; its service is its controller. */
    void created(Pod pod) {
        String service = controller(pod);
        if (service != null) {
            byService.computeIfAbsent(service, k -> new ConcurrentHashMap<>())
                    .put(pod.getMetadata().getName(), new Known(pod.getMetadata().getNamespace(), clock.getAsLong()));
        }
    }

    /**
     * The service's tasks: {@code indexed} and the known pods it lacks that {@code lookup} (namespace, name) finds,
     * sorted by name. The pods indexed are remembered; those {@code lookup} no longer finds are forgotten.
     */
    List<Pod> tasks(String serviceUid, List<Pod> indexed, BiFunction<String, String, Optional<Pod>> lookup) {
        Map<String, Known> known = byService.computeIfAbsent(serviceUid, k -> new ConcurrentHashMap<>());
        Set<String> names = new HashSet<>(indexed.size() * 2);
        for (Pod pod : indexed) {
            String name = pod.getMetadata().getName();
            names.add(name);
            Known before = known.get(name);
            if (before == null || before.createdAt() != SEEN) {
                known.put(name, new Known(pod.getMetadata().getNamespace(), SEEN));
            }
        }
        if (known.size() == names.size()) {
            return indexed; // every known pod is in the index: the usual round
        }
        List<Pod> tasks = new ArrayList<>(indexed);
        long now = clock.getAsLong();
        known.entrySet().removeIf(e -> {
            if (names.contains(e.getKey())) {
                return false;
            }
            Known pod = e.getValue();
            if (pod.createdAt() != SEEN && now - pod.createdAt() > KEPT.toNanos()) {
                return true;
            }
            Optional<Pod> found = lookup.apply(pod.namespace(), e.getKey());
            found.ifPresent(tasks::add);
            return found.isEmpty();
        });
        tasks.sort(java.util.Comparator.comparing(p -> p.getMetadata().getName()));
        return tasks;
    }

    void forget(String serviceUid) {
        byService.remove(serviceUid);
    }

    /** How many pods are known, all services together (for tests). */
    int known() {
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

package io.swarmnet.operator.service;

import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the operator puts a replicated task it must place itself (its template names the node,
 * which must then be known before the pod exists): swarm's spread, the eligible node running the
 * fewest of the service's tasks, the first by name among equals so the choice is repeatable.
 */
final class TaskPlacement {

    private TaskPlacement() {
    }

    /**
     * @param eligible    nodes that may take the task
     * @param tasksOnNode the node of each of the service's tasks that stays (a node once per task)
     */
    static Optional<String> spread(List<String> eligible, Collection<String> tasksOnNode) {
        Map<String, Integer> load = new HashMap<>();
        tasksOnNode.forEach(node -> load.merge(node, 1, Integer::sum));
        return eligible.stream()
                .min(Comparator.comparing((String node) -> load.getOrDefault(node, 0)).thenComparing(Comparator.naturalOrder()));
    }
}

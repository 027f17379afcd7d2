package io.swarmnet.agent.simulation;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.PodNamespaceLocator;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds a simulated pod's namespace by pod UID (the key a real node uses too), falling back to namespace/name
 * for pods registered before the API assigned a UID. Only the pods of one node are visible to that node's agent.
 */
public final class SimulatedPodNamespaceLocator implements PodNamespaceLocator {

    private final Map<String, Path> byUid = new ConcurrentHashMap<>();
    private final Map<String, Path> byName = new ConcurrentHashMap<>();

    void register(PodRef pod, Path path) {
        if (pod.uid() != null && !pod.uid().isEmpty()) {
            byUid.put(pod.uid(), path);
        } else {
            // a pod with a UID is never found by name: a replaced pod (same name, new UID) must not get the old namespace
            byName.put(pod.toString(), path);
        }
    }

    void unregister(PodRef pod) {
        if (pod.uid() != null) {
            byUid.remove(pod.uid());
        }
        byName.remove(pod.toString());
    }

    @Override
    public Optional<Path> find(PodRef pod) {
        if (pod.uid() != null && !pod.uid().isEmpty() && byUid.containsKey(pod.uid())) {
            return Optional.of(byUid.get(pod.uid()));
        }
        Path byPodName = byName.get(pod.toString());
        return Optional.ofNullable(byPodName);
    }
}

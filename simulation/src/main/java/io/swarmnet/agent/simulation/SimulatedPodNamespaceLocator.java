package io.swarmnet.agent.simulation;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.PodNamespaceLocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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
    private final Path registry;

    /** An in-memory locator that also records each pod in {@code registry} (one file per UID), or null for none. */
    SimulatedPodNamespaceLocator(Path registry) {
        this.registry = registry;
    }

    /**
     * A locator for an agent running in another process (the kill -9 tests): it reads the registry directory
     * the {@link SimulatedCluster} keeps for the node, so it finds the pods created after it started too.
     */
    public static PodNamespaceLocator reading(Path registry) {
        return pod -> {
            if (pod.uid() == null || pod.uid().isEmpty() || !safe(pod.uid())) {
                return Optional.empty();
            }
            try {
                Path entry = registry.resolve(pod.uid());
                return Files.exists(entry) ? Optional.of(Path.of(Files.readString(entry).strip())) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        };
    }

    private static boolean safe(String uid) {
        return uid.matches("[A-Za-z0-9._-]+");
    }

    void register(PodRef pod, Path path) {
        if (pod.uid() != null && !pod.uid().isEmpty()) {
            byUid.put(pod.uid(), path);
            if (registry != null && safe(pod.uid())) {
                try {
                    Files.createDirectories(registry);
                    Files.writeString(registry.resolve(pod.uid()), path.toString());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot record pod " + pod + " in " + registry, e);
                }
            }
        } else {
            // a pod with a UID is never found by name: a replaced pod (same name, new UID) must not get the old namespace
            byName.put(pod.toString(), path);
        }
    }

    void unregister(PodRef pod) {
        if (pod.uid() != null) {
            byUid.remove(pod.uid());
            if (registry != null && safe(pod.uid())) {
                try {
                    Files.deleteIfExists(registry.resolve(pod.uid()));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot remove pod " + pod + " from " + registry, e);
                }
            }
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

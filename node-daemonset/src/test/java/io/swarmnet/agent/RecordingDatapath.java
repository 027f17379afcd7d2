package io.swarmnet.agent;

import io.swarmnet.agent.datapath.ApplyReport;
import io.swarmnet.agent.datapath.Datapath;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The fake {@link Datapath}: records every desired state it is given and reports every pod attached, except
 * pods and networks a test told it to fail (by name), which it reports as failures. For tests of the agent
 * loop and publishing without root or a kernel, and for a sandbox run without network namespaces.
 */
public final class RecordingDatapath implements Datapath {

    /** One call of {@link #apply}: what was asked, and when. */
    public record Applied(NodeDatapath desired, Instant at) {
    }

    private final List<Applied> applied = new ArrayList<>();
    private final Map<String, String> podFailures = new ConcurrentHashMap<>();
    private final Map<String, String> networkFailures = new ConcurrentHashMap<>();

    @Override
    public synchronized ApplyReport apply(NodeDatapath desired) {
        applied.add(new Applied(desired, Instant.now()));
        notifyAll();
        Set<PodRef> attached = new HashSet<>();
        Map<PodRef, String> failedPods = new HashMap<>();
        Map<NetworkKey, String> failedNetworks = new HashMap<>();
        for (var network : desired.networks()) {
            String failure = networkFailures.get(network.key().name());
            if (failure != null) {
                failedNetworks.put(network.key(), failure);
            }
        }
        for (PodDatapath pod : desired.pods()) {
            String failure = podFailures.get(pod.pod().name());
            boolean networkFailed = pod.attachments().stream().anyMatch(a -> failedNetworks.containsKey(a.network()));
            if (failure != null) {
                failedPods.put(pod.pod(), failure);
            } else if (!networkFailed) {
                attached.add(pod.pod());
            }
        }
        return new ApplyReport(attached, failedNetworks, failedPods, 1);
    }

    /** Makes every following apply report the pod named {@code name} as failed with {@code message}. */
    public void failPod(String name, String message) {
        podFailures.put(name, message);
    }

    /** Makes every following apply report the network named {@code name} as failed with {@code message}. */
    public void failNetwork(String name, String message) {
        networkFailures.put(name, message);
    }

    public void heal() {
        podFailures.clear();
        networkFailures.clear();
    }

    public synchronized List<Applied> applied() {
        return List.copyOf(applied);
    }

    public synchronized Optional<NodeDatapath> last() {
        return applied.isEmpty() ? Optional.empty() : Optional.of(applied.get(applied.size() - 1).desired());
    }

    /** Waits until the latest desired state satisfies {@code condition}; returns it, or empty on timeout. */
    public synchronized Optional<Applied> awaitLast(Predicate<NodeDatapath> condition, java.time.Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!applied.isEmpty()) {
                Applied latest = applied.get(applied.size() - 1);
                if (condition.test(latest.desired())) {
                    return Optional.of(latest);
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    public synchronized int count() {
        return applied.size();
    }

    @Override
    public String toString() {
        return "RecordingDatapath" + Objects.toString(last().orElse(null));
    }
}

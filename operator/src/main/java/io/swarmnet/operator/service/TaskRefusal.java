package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.api.service.SwarmService;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Task pods the API server refused to create (PodSecurity, a ResourceQuota, a validating webhook,
 * a LimitRange): the refusal becomes the service's blocker with the server's own message, and the
 * creation is tried again with a backoff that doubles per refusal of the same spec generation, as
 * the ReplicaSet controller backs off, instead of hammering the server or going quiet once the
 * generic retries are spent. A new generation (the user edited the service) starts over at once.
 */
final class TaskRefusal {

    static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    static final Duration LONGEST_RETRY = Duration.ofMinutes(5);

    /** What the service shows while its tasks are refused, and when to try again. */
    record Refused(ServiceHealth.Blocker blocker, Duration retryAfter) {
        String message() {
            return blocker.message();
        }
    }

    private record Attempts(long generation, int count, Refused last, long notBeforeNanos) {
    }

    private final Map<String, Attempts> byService = new ConcurrentHashMap<>();

    /**
     * Whether the server answered the create with a refusal to report, rather than failing to
     * answer (no code: the connection broke), which the generic retry handles.
     */
    static boolean isRefusal(KubernetesClientException e) {
        return e.getCode() >= 400;
    }

    /**
     * The refusal still being waited out for this generation of the service, if any: other events
     * (a pod, a node) wake the reconcile too, and none of them should cut the backoff short.
     */
    Optional<Refused> backingOff(SwarmService service, long nowNanos) {
        Attempts attempts = byService.get(service.getMetadata().getUid());
        if (attempts == null || attempts.generation() != generation(service) || nowNanos - attempts.notBeforeNanos() >= 0) {
            return Optional.empty();
        }
        return Optional.of(new Refused(attempts.last().blocker(), Duration.ofNanos(attempts.notBeforeNanos() - nowNanos)));
    }

    Refused refused(SwarmService service, TaskSlot slot, KubernetesClientException e, long nowNanos) {
        long generation = generation(service);
        Attempts before = byService.get(service.getMetadata().getUid());
        int count = before == null || before.generation() != generation ? 1 : before.count() + 1;
        Duration retry = FIRST_RETRY.multipliedBy(1L << Math.min(count - 1, 16));
        if (retry.compareTo(LONGEST_RETRY) > 0) {
            retry = LONGEST_RETRY;
        }
        String message = "the API server refused the task pod for " + slot + " (HTTP " + e.getCode() + "): " + serverMessage(e)
                + ". Change spec.template so that it complies, or the namespace's policy (PodSecurity labels, ResourceQuota,"
                + " admission webhooks)" + hostPortHint(service) + "; swarmnet retries with backoff, at once when the service changes";
        Refused refused = new Refused(new ServiceHealth.Blocker(ServiceHealth.REASON_TASK_REFUSED, message), retry);
        byService.put(service.getMetadata().getUid(), new Attempts(generation, count, refused, nowNanos + retry.toNanos()));
        return refused;
    }

    /**
     * Host-mode ports are hostPorts on the task pods, which the Pod Security Standards' baseline and
     * restricted levels forbid: say where they come from, since spec.template does not show them.
     */
    private static String hostPortHint(SwarmService service) {
        boolean host = !PublishedPorts.inMode(service.getSpec(), io.swarmnet.api.service.PublishMode.HOST).isEmpty();
        return host ? ". spec.publish's mode host ports become hostPorts on the task pods, which Pod Security baseline and"
                + " restricted forbid: let the namespace allow them (pod-security.kubernetes.io/enforce: privileged) or publish"
                + " in mode ingress" : "";
    }

    /** A task was created, or the service is gone: the next refusal starts the backoff over. */
    void forget(SwarmService service) {
        byService.remove(service.getMetadata().getUid());
    }

    private static long generation(SwarmService service) {
        Long generation = service.getMetadata().getGeneration();
        return generation == null ? 0 : generation;
    }

    /** The Status message the server sent (what kubectl would print), not fabric8's wrapping of it. */
    static String serverMessage(KubernetesClientException e) {
        Status status = e.getStatus();
        if (status != null && status.getMessage() != null && !status.getMessage().isBlank()) {
            return status.getMessage();
        }
        return e.getMessage();
    }
}

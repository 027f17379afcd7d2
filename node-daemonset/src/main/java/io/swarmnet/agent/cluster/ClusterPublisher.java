package io.swarmnet.agent.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.swarmnet.agent.datapath.ApplyReport;
import io.swarmnet.agent.desired.DesiredState;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.encryption.EncryptionDatapath;
import io.swarmnet.api.Patches;
import io.swarmnet.api.contract.NodeNetworkStates;
import io.swarmnet.api.contract.SwarmnetKeys;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what the node agent achieved back to the cluster: the swarmnet.io/attached condition of local pods,
 * this node's per-network state as the Node annotation swarmnet.io/networks, and Warning events for problems.
 * Every write happens only when it changes something; events are deduplicated so that a failure retried
 * with backoff is one event, not one per retry. Failed writes are retried on the next round.
 */
public final class ClusterPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterPublisher.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String COMPONENT = "swarmnet-node-agent";

    private final KubernetesClient client;
    private final ClusterWatch watch;
    private final String nodeName;
    private final Clock clock;
    /** What we last wrote, so that an informer cache lagging behind our own write does not cause a second one. */
    private final Map<String, AttachedCondition> writtenConditions = new HashMap<>();
    /** Concurrent writes when a round has many (each is one API round trip). */
    private static final int PARALLEL_WRITES = 8;
    private String writtenAnnotation;
    /** Events of the problems current at the last round: a problem that persists is not reported again. */
    private Set<String> reportedEvents = Set.of();

    public ClusterPublisher(KubernetesClient client, ClusterWatch watch, String nodeName, Clock clock) {
        this.client = client;
        this.watch = watch;
        this.nodeName = nodeName;
        this.clock = clock;
    }

    /** Publishes one round; returns false when a write failed (the caller retries with backoff). */
    public boolean publish(DesiredState state, ApplyReport report, EncryptionDatapath.Report encryption) {
        boolean ok = publishConditions(AttachedCondition.decide(state, report, nodeName));
        ok &= publishNodeState(NodeNetworkReport.of(state.datapath(), report, encryption));
        ok &= publishEvents(problems(state, report, nodeName));
        return ok;
    }

    /** Forgets what was written, so that the next round compares with the cluster only (periodic resync). */
    public void forgetWrites() {
        writtenConditions.clear();
        writtenAnnotation = null;
    }

    private boolean publishConditions(Map<PodRef, AttachedCondition> wanted) {
        Set<String> wantedUids = new HashSet<>();
        wanted.keySet().forEach(ref -> wantedUids.add(ref.uid()));
        writtenConditions.keySet().retainAll(wantedUids);
        List<Callable<Boolean>> patches = new ArrayList<>();
        for (Map.Entry<PodRef, AttachedCondition> entry : wanted.entrySet()) {
            PodRef ref = entry.getKey();
            AttachedCondition condition = entry.getValue();
            CachedPod pod = watch.pod(ref.namespace(), ref.name()).orElse(null);
            if (pod == null || !Objects.equals(pod.ref().uid(), ref.uid())) {
                continue; // gone, or replaced by a pod of the same name
            }
            CachedPod.ConditionSeen current = pod.attachedCondition().orElse(null);
            if (current != null && condition.status().equals(current.status())
                    && Objects.equals(condition.reason(), current.reason())
                    && Objects.equals(condition.message(), current.message())) {
                writtenConditions.remove(ref.uid());
                continue;
            }
            if (condition.equals(writtenConditions.get(ref.uid()))) {
                continue; // written already; the cache has not caught up yet
            }
            patches.add(() -> {
                try {
                    patchCondition(pod, current, condition);
                    synchronized (writtenConditions) {
                        writtenConditions.put(ref.uid(), condition);
                    }
                    return true;
                } catch (KubernetesClientException e) {
                    // e.g. 404 (the pod is gone): the next round decides again
                    LOG.info("could not set {} on pod {}: {}", SwarmnetKeys.CONDITION_ATTACHED, ref, e.getMessage());
                    return false;
                }
            });
        }
        return runAll(patches);
    }

    /**
     * Runs the writes of one round; many at once (a node's first round attaches all its pods) go through a few
     * threads that live only for this round, so that thousands of pods do not hold the reconcile thread for
     * thousands of sequential round trips.
     */
    private boolean runAll(List<Callable<Boolean>> writes) {
        if (writes.size() <= 1) {
            return writes.stream().allMatch(ClusterPublisher::call);
        }
        AtomicInteger threads = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLEL_WRITES, writes.size()), r -> {
            Thread t = new Thread(r, "swarmnet-publish-" + nodeName + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            boolean ok = true;
            for (Future<Boolean> result : pool.invokeAll(writes)) {
                ok &= result.get();
            }
            return ok;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            LOG.warn("publishing on node {} failed: {}", nodeName, e.getCause().toString());
            return false;
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean call(Callable<Boolean> write) {
        try {
            return write.call();
        } catch (Exception e) {
            LOG.warn("publishing failed: {}", e.toString());
            return false;
        }
    }

    /**
     * Strategic merge patch on pods/status: conditions merge by type, so only ours is written, whatever the kubelet
     * wrote meanwhile and however stale our cache is (as the kubelet's own status updates do). The RBAC role grants
     * patch, not update, on pods/status.
     */
    private void patchCondition(CachedPod pod, CachedPod.ConditionSeen current, AttachedCondition condition) {
        ObjectNode value = JSON.createObjectNode();
        value.put("type", SwarmnetKeys.CONDITION_ATTACHED);
        value.put("status", condition.status());
        value.put("reason", condition.reason());
        value.put("message", condition.message());
        boolean statusChanged = current == null || !condition.status().equals(current.status());
        value.put("lastTransitionTime", statusChanged || current.lastTransitionTime() == null
                ? Instant.now(clock).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()
                : current.lastTransitionTime());
        ObjectNode patch = JSON.createObjectNode();
        patch.putObject("status").putArray("conditions").add(value);
        Patches.send(client, pod.reference(), "status", PatchType.STRATEGIC_MERGE, patch.toString());
    }

    private boolean publishNodeState(NodeNetworkStates states) {
        String wanted = states.format();
        Node node = watch.node(nodeName).orElse(null);
        if (node == null) {
            LOG.debug("node {} is not in the cache yet; its network state is published once it is", nodeName);
            return true;
        }
        Map<String, String> annotations = node.getMetadata().getAnnotations();
        Map<String, String> labels = node.getMetadata().getLabels();
        String current = annotations == null ? null : annotations.get(SwarmnetKeys.ANNOTATION_NODE_NETWORKS);
        boolean labelled = labels != null && SwarmnetKeys.NODE_AGENT_PRESENT.equals(labels.get(SwarmnetKeys.LABEL_NODE_AGENT));
        boolean annotated = wanted.equals(current) || (current == null && states.byNetwork().isEmpty());
        if (annotated && labelled) {
            writtenAnnotation = null;
            return true;
        }
        if (wanted.equals(writtenAnnotation) && labelled) {
            return true;
        }
        ObjectNode patch = JSON.createObjectNode();
        ObjectNode metadata = patch.putObject("metadata");
        if (!annotated) {
            metadata.putObject("annotations").put(SwarmnetKeys.ANNOTATION_NODE_NETWORKS, wanted);
        }
        if (!labelled) {
            // from the first round on: task pods are scheduled only onto nodes that carry it
            metadata.putObject("labels").put(SwarmnetKeys.LABEL_NODE_AGENT, SwarmnetKeys.NODE_AGENT_PRESENT);
        }
        try {
            Patches.send(client, node, null, PatchType.JSON_MERGE, patch.toString());
            writtenAnnotation = wanted;
            return true;
        } catch (KubernetesClientException e) {
            LOG.info("could not write label {} or annotation {} on node {}: {}", SwarmnetKeys.LABEL_NODE_AGENT,
                    SwarmnetKeys.ANNOTATION_NODE_NETWORKS, nodeName, e.getMessage());
            return false;
        }
    }

    /**
     * The problems to report: the cluster objects the agent skipped, and what the datapath could not do — but not the
     * failures of pods still starting (no sandbox reported: their namespace is not there yet), which are no problem.
     */
    static List<Problem> problems(DesiredState state, ApplyReport report, String nodeName) {
        List<Problem> problems = new ArrayList<>(state.problems());
        report.podFailures().forEach((pod, message) -> {
            if (state.reportsFailuresOf(pod)) {
                problems.add(new Problem(ObjectRef.pod(pod.namespace(), pod.name(), pod.uid()), "AttachFailed", message, nodeName));
            }
        });
        report.networkFailures().forEach((network, message) -> problems.add(new Problem(
                ObjectRef.network(network.namespace(), network.name(), null), "NetworkFailed", message, nodeName)));
        return problems;
    }

    private boolean publishEvents(List<Problem> problems) {
        boolean ok = true;
        Set<String> current = new HashSet<>();
        for (Problem problem : problems) {
            String name = eventName(problem);
            current.add(name);
            if (reportedEvents.contains(name)) {
                continue;
            }
            try {
                createEvent(name, problem);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) { // 409: another agent (or an earlier run) reported the same problem already
                    LOG.info("could not create event for {}: {}", problem.subject(), e.getMessage());
                    current.remove(name);
                    ok = false;
                }
            }
            LOG.warn("{}", problem);
        }
        reportedEvents = current;
        return ok;
    }

    private void createEvent(String name, Problem problem) {
        ObjectRef subject = problem.subject();
        String namespace = subject.namespace() == null ? "default" : subject.namespace();
        String now = Instant.now(clock).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewInvolvedObject().withApiVersion(subject.apiVersion()).withKind(subject.kind())
                .withNamespace(subject.namespace()).withName(subject.name()).withUid(subject.uid()).endInvolvedObject()
                .withType("Warning").withReason(problem.reason()).withMessage(truncate(problem.message(), 1024))
                .withNewSource().withComponent(COMPONENT).withHost(problem.node()).endSource()
                .withReportingComponent(COMPONENT).withReportingInstance(COMPONENT + "-" + nodeName)
                .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                .build()).create();
    }

    /**
     * Deterministic: the same problem gets the same event name, so it is created once however often it is seen,
     * and a problem every agent sees alike (node null) is one event shared by all agents.
     */
    static String eventName(Problem problem) {
        String identity = String.join("\u0000", problem.subject().kind(), String.valueOf(problem.subject().namespace()),
                problem.subject().name(), problem.reason(), problem.message(), String.valueOf(problem.node()));
        String base = problem.subject().name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
        if (base.length() > 200) {
            base = base.substring(0, 200);
        }
        return base + "." + sha256(identity).substring(0, 16);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 3) + "...";
    }
}

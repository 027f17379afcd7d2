package io.swarmnet.sandbox.kubelet;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox's kubelet, for all simulated nodes at once: runs the pods bound to those nodes as host
 * processes in their own network namespaces, reports their status, restarts containers per restartPolicy
 * and tears everything down when a pod is deleted. Every decision happens on one thread; the API server's
 * events and the processes' exits only queue work for it.
 */
public final class Kubelet implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Kubelet.class);
    private static final Duration TICK = Duration.ofMillis(500);
    /** How often a status that differs from what the API server shows is written again even if unchanged here. */
    private static final Duration REASSERT = Duration.ofSeconds(10);
    /**
     * How often pods bound to our nodes are listed straight from the API server, as a safety net for a watch that
     * silently stopped delivering (seen once on a heavily loaded machine): a pod bound here is never left unstarted.
     */
    private static final Duration RELIST = Duration.ofSeconds(5);

    private final KubernetesClient client;
    private final Map<String, String> hostIpByNode;
    private final PodNetworkNamespaces namespaces;
    private final TaskRecords records;
    private final Path logsDir;
    private final Clock clock;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "sandbox-kubelet");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<String, PodRun> runs = new HashMap<>();
    private final Map<String, PodStatus> written = new HashMap<>();
    private final Map<String, Instant> writtenAt = new HashMap<>();
    private final Map<String, Boolean> queued = new ConcurrentHashMap<>();
    /** Pods the periodic list showed bound here while the informer's copy did not (see {@link #RELIST}). */
    private final Map<String, Pod> listedOnly = new HashMap<>();
    private final String hostResolvConf;
    private SharedIndexInformer<Pod> informer;

    /**
     * @param hostIpByNode the simulated nodes this kubelet serves, each with its underlay address (the pods' hostIP)
     */
    public Kubelet(KubernetesClient client, Map<String, String> hostIpByNode, PodNetworkNamespaces namespaces,
                   TaskRecords records, Path logsDir, Clock clock) {
        this.client = client;
        this.hostIpByNode = Map.copyOf(hostIpByNode);
        this.namespaces = namespaces;
        this.records = records;
        this.logsDir = logsDir;
        this.clock = clock;
        this.hostResolvConf = readHostResolvConf();
    }

    private static String readHostResolvConf() {
        try {
            return Files.readString(Path.of("/etc/resolv.conf"));
        } catch (IOException e) {
            return "";
        }
    }

    public Kubelet start() {
        informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                enqueue(Cache.metaNamespaceKeyFunc(pod));
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
                enqueue(Cache.metaNamespaceKeyFunc(newPod));
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                enqueue(Cache.metaNamespaceKeyFunc(pod));
            }
        }, 0);
        loop.scheduleWithFixedDelay(this::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        loop.scheduleWithFixedDelay(this::relist, RELIST.toMillis(), RELIST.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void enqueue(String key) {
        if (queued.putIfAbsent(key, Boolean.TRUE) == null) {
            loop.execute(() -> {
                queued.remove(key);
                sync(key);
            });
        }
    }

    private void tick() {
        for (String key : List.copyOf(runs.keySet())) {
            sync(key);
        }
    }

    private void relist() {
        try {
            Map<String, Pod> listed = new HashMap<>();
            for (Pod pod : client.pods().inAnyNamespace().list().getItems()) {
                listed.put(Cache.metaNamespaceKeyFunc(pod), pod);
            }
            // pods that only the list knew about: gone from the list now means deleted
            for (String key : List.copyOf(listedOnly.keySet())) {
                Pod pod = listed.get(key);
                if (pod == null) {
                    listedOnly.remove(key);
                    sync(key);
                } else {
                    listedOnly.put(key, pod);
                }
            }
            for (Map.Entry<String, Pod> entry : listed.entrySet()) {
                String key = entry.getKey();
                String node = entry.getValue().getSpec().getNodeName();
                if (runs.containsKey(key) || node == null || !hostIpByNode.containsKey(node)) {
                    continue;
                }
                if (!boundInCache(key)) {
                    LOG.warn("pod {}: bound to {} but the watch has not said so; starting it from a fresh list", key, node);
                    listedOnly.put(key, entry.getValue());
                    sync(key);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("listing pods failed: {}", e.toString());
        }
    }

    private boolean boundInCache(String key) {
        Pod cached = informer.getIndexer().getByKey(key);
        return cached != null && cached.getSpec().getNodeName() != null;
    }

    private void sync(String key) {
        try {
            if (listedOnly.containsKey(key) && boundInCache(key)) {
                listedOnly.remove(key);
            }
            Pod pod = listedOnly.containsKey(key) ? listedOnly.get(key) : informer.getIndexer().getByKey(key);
            PodRun run = runs.get(key);
            boolean ours = pod != null && pod.getMetadata().getDeletionTimestamp() == null
                    && pod.getSpec().getNodeName() != null && hostIpByNode.containsKey(pod.getSpec().getNodeName());
            if (run != null && (!ours || !run.uid().equals(pod.getMetadata().getUid()))) {
                stop(key, run);
                run = null;
            }
            if (!ours) {
                return;
            }
            String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
            if (run == null && ("Succeeded".equals(phase) || "Failed".equals(phase))) {
                return;
            }
            String node = pod.getSpec().getNodeName();
            String hostIp = hostIpByNode.get(node);
            String podIp = podIp(pod);
            boolean changed = false;
            if (run == null) {
                LOG.info("pod {}: starting on {}", key, node);
                run = PodRun.create(pod, node, namespaces, hostIp, podIp, logsDir, hostResolvConf);
                runs.put(key, run);
                changed = true;
            }
            changed |= run.step(clock.instant(), () -> enqueue(key));
            if (changed) {
                record(pod, run);
            }
            report(key, pod, run, hostIp, podIp);
        } catch (RuntimeException e) {
            LOG.warn("pod {}: {}", key, e.toString(), e);
        }
    }

    private void record(Pod pod, PodRun run) {
        ContainerLaunch launch = run.firstLaunch();
        Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
        records.put(new TaskRecord(pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                labels.get(SwarmnetKeys.LABEL_SERVICE), labels.get(SwarmnetKeys.LABEL_SLOT), run.node(), run.netns(),
                launch == null ? null : launch.container(), launch == null ? Map.of() : launch.env(),
                launch == null ? "/" : launch.workingDir(), run.firstPid()));
    }

    /** The task's address on its first network (by name), which kubectl shows as the pod IP. */
    static String podIp(Pod pod) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        if (annotations == null || annotations.get(SwarmnetKeys.ANNOTATION_ADDRESSES) == null) {
            return null;
        }
        try {
            return TaskAddresses.parse(annotations.get(SwarmnetKeys.ANNOTATION_ADDRESSES)).byNetwork().values().stream()
                    .findFirst().map(IpAddress::toString).orElse(null);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void report(String key, Pod pod, PodRun run, String hostIp, String podIp) {
        Instant now = clock.instant();
        PodStatus desired = PodStatusView.compute(pod, run.states(), hostIp, podIp, now);
        boolean newHere = !desired.equals(written.get(key));
        boolean staleThere = !desired.equals(pod.getStatus())
                && Duration.between(writtenAt.getOrDefault(key, Instant.MIN.plusSeconds(1)), now).compareTo(REASSERT) > 0;
        if (!newHere && !staleThere) {
            return;
        }
        for (int attempt = 0; attempt < 5; attempt++) {
            Pod fresh = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
            if (fresh == null || !run.uid().equals(fresh.getMetadata().getUid())) {
                return;
            }
            PodStatus status = PodStatusView.compute(fresh, run.states(), hostIp, podIp, now);
            fresh.setStatus(status);
            try {
                client.pods().inNamespace(fresh.getMetadata().getNamespace()).resource(fresh).updateStatus();
                written.put(key, status);
                writtenAt.put(key, now);
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return;
                }
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
        LOG.warn("pod {}: status kept conflicting with other writers; will retry", key);
    }

    private void stop(String key, PodRun run) {
        LOG.info("pod {}: stopping on {}", key, run.node());
        run.stopProcesses();
        NetnsFiles.remove(run.netns());
        namespaces.remove(run.ref());
        records.remove(run.ref().namespace(), run.ref().name());
        runs.remove(key);
        written.remove(key);
        writtenAt.remove(key);
    }

    /** Names of the network namespaces of the pods running now. */
    public List<String> runningNamespaces() {
        try {
            return loop.submit(() -> runs.values().stream().map(PodRun::netns).sorted().toList()).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops watching, then stops every pod's processes and removes its namespace and files. */
    @Override
    public void close() {
        if (informer != null) {
            informer.close();
        }
        try {
            loop.submit(() -> {
                for (Map.Entry<String, PodRun> entry : List.copyOf(runs.entrySet())) {
                    try {
                        stop(entry.getKey(), entry.getValue());
                    } catch (RuntimeException e) {
                        LOG.warn("pod {}: cleanup failed: {}", entry.getKey(), e.toString());
                    }
                }
            }).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("kubelet shutdown: {}", e.toString());
        }
        loop.shutdownNow();
    }
}

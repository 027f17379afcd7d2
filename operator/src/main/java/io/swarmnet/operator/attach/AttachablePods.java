package io.swarmnet.operator.attach;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.api.Patches;
import io.swarmnet.api.contract.NetworkReference;
import io.swarmnet.api.contract.PodNetworkRequests;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.operator.ClusterEvents;
import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.ipam.AddressOwner;
import io.swarmnet.operator.ipam.AddressPoolExhaustedException;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives pods that are not tasks their addresses on attachable networks ({@code docker network connect}): a pod of any
 * controller that names networks in {@link SwarmnetKeys#ANNOTATION_POD_NETWORKS} gets an address on each from the
 * {@link AddressLedger} (owner {@code pod:<name>}), written into {@link SwarmnetKeys#ANNOTATION_ADDRESSES} together with the
 * networks acted on ({@link SwarmnetKeys#ANNOTATION_ATTACHED_NETWORKS}) and the label the node agents watch
 * ({@link SwarmnetKeys#LABEL_ATTACHED_POD}); the agent of the pod's node then attaches it as it attaches a task. Unlike a
 * task's, the pod exists before its addresses do: its readiness gate (when its template has one) keeps it not ready until
 * then. A pod that may not join gets a Warning event and, while it has no address, the condition
 * {@link SwarmnetKeys#CONDITION_ATTACHED} False with the reason. Addresses are released once the pod is gone from the
 * cluster, as a task's are; a network dropped from the annotation is released at once (its interface goes with the agent's
 * next round). A mistake in the annotation of a pod already attached changes nothing but an event.
 *
 * <p>A pod may also name a network another namespace shares with its own ({@code infra/proxy}): it joins while the
 * network's {@code spec.shareWith.namespaceSelector} selects the pod's namespace, so Namespaces are watched for their labels
 * and pods are indexed by the networks of other namespaces they name. A pod attached already keeps its address when that
 * stops, as it does when the network stops being attachable.
 *
 * <p>One thread does all the work, in the order pods change; a pod that changes again meanwhile is handled once.
 */
public final class AttachablePods implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AttachablePods.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** When addresses ran out, look again now and then: other pods and tasks may have gone meanwhile. */
    static final Duration EXHAUSTED_RETRY = Duration.ofSeconds(30);
    /** After a failed API write, look again. */
    static final Duration WRITE_RETRY = Duration.ofSeconds(5);
    public static final String REASON_ATTACHED = "NetworksAttached";
    public static final String REASON_NO_READINESS_GATE = "NoReadinessGate";
    public static final String REASON_EXHAUSTED = "AddressPoolExhausted";
    public static final String REASON_NO_EMBEDDED_DNS = "NotUsingEmbeddedDns";

    private final KubernetesClient client;
    private final AddressLedger ledger;
    private final ClusterEvents events;
    private final List<SharedIndexInformer<Pod>> pods = new ArrayList<>();
    private final List<SharedIndexInformer<OverlayNetwork>> networks = new ArrayList<>();
    /** Every namespace, for its labels: they decide whether its pods may join networks other namespaces share. */
    private final SharedIndexInformer<Namespace> namespaces;
    /** Pod index: the networks of other namespaces ({@code namespace/name}) a pod names or holds an address on. */
    private static final String INDEX_SHARED_NETWORKS = "swarmnet.io/shared-networks";
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "swarmnet-attachable-pods");
        t.setDaemon(true);
        return t;
    });
    /** Pods ({@code namespace/name}) waiting for the worker. */
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    /** The networks each pod ({@code namespace/name}) holds an address on, as last written or seen. */
    private final Map<String, Set<String>> held = new ConcurrentHashMap<>();

    /** @param namespaces the namespaces to serve, empty for all */
    public AttachablePods(KubernetesClient client, AddressLedger ledger, ClusterEvents events, List<String> namespaces) {
        this.client = client;
        this.ledger = ledger;
        this.events = events;
        if (namespaces.isEmpty()) {
            // every pod of the cluster but the tasks (the services' own): no watch selects by annotation
            pods.add(client.pods().inAnyNamespace().withoutLabel(SwarmnetKeys.LABEL_SERVICE).withLimit(KubernetesClients.LIST_PAGE)
                    .runnableInformer(0).itemStore(CachedPods.store()));
            networks.add(client.resources(OverlayNetwork.class).inAnyNamespace().withLimit(KubernetesClients.LIST_PAGE).runnableInformer(0));
        } else {
            for (String namespace : namespaces) {
                pods.add(client.pods().inNamespace(namespace).withoutLabel(SwarmnetKeys.LABEL_SERVICE).withLimit(KubernetesClients.LIST_PAGE)
                        .runnableInformer(0).itemStore(CachedPods.store()));
                networks.add(client.resources(OverlayNetwork.class).inNamespace(namespace).withLimit(KubernetesClients.LIST_PAGE).runnableInformer(0));
            }
        }
        this.namespaces = client.namespaces().withLimit(KubernetesClients.LIST_PAGE).runnableInformer(0);
        this.namespaces.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Namespace namespace) {
                namespaceChanged(namespace.getMetadata().getName());
            }

            @Override
            public void onUpdate(Namespace before, Namespace after) {
                if (!Objects.equals(before.getMetadata().getLabels(), after.getMetadata().getLabels())) {
                    namespaceChanged(after.getMetadata().getName());
                }
            }

            @Override
            public void onDelete(Namespace namespace, boolean finalStateUnknown) {
                namespaceChanged(namespace.getMetadata().getName());
            }
        });
        for (SharedIndexInformer<Pod> informer : pods) {
            informer.addIndexers(Map.of(INDEX_SHARED_NETWORKS, AttachablePods::sharedNetworks));
            informer.addEventHandler(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Pod pod) {
                    podChanged(pod);
                }

                @Override
                public void onUpdate(Pod before, Pod after) {
                    podChanged(after);
                }

                @Override
                public void onDelete(Pod pod, boolean finalStateUnknown) {
                    String key = key(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
                    remember(key, pod);
                    events.forget(pod);
                    enqueue(key);
                }
            });
        }
        for (SharedIndexInformer<OverlayNetwork> informer : networks) {
            informer.addEventHandler(new ResourceEventHandler<>() {
                @Override
                public void onAdd(OverlayNetwork network) {
                    networkChanged(network);
                }

                @Override
                public void onUpdate(OverlayNetwork before, OverlayNetwork after) {
                    networkChanged(after);
                }

                @Override
                public void onDelete(OverlayNetwork network, boolean finalStateUnknown) {
                    networkChanged(network);
                }
            });
        }
    }

    /** Starts the informers and waits until they have listed everything once. */
    public void start() {
        namespaces.run();
        networks.forEach(SharedIndexInformer::run);
        pods.forEach(SharedIndexInformer::run);
    }

    /** The pods in the informers' caches that hold addresses on attachable networks (labelled {@link SwarmnetKeys#LABEL_ATTACHED_POD}). */
    public java.util.stream.Stream<Pod> cachedAttachedPods() {
        return pods.stream().flatMap(informer -> informer.getStore().list().stream())
                .filter(p -> p.getMetadata().getLabels() != null && p.getMetadata().getLabels().containsKey(SwarmnetKeys.LABEL_ATTACHED_POD));
    }

    /** The pods this watches, {@code namespace/name}: every pod of its namespaces but the tasks. For tests. */
    Set<String> watchedPods() {
        Set<String> names = new java.util.TreeSet<>();
        pods.forEach(informer -> informer.getStore().list().forEach(p -> names.add(key(p.getMetadata().getNamespace(), p.getMetadata().getName()))));
        return names;
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    private static boolean asksOrHolds(Pod pod) {
        var meta = pod.getMetadata();
        return meta.getAnnotations() != null && meta.getAnnotations().containsKey(SwarmnetKeys.ANNOTATION_POD_NETWORKS)
                || meta.getLabels() != null && meta.getLabels().containsKey(SwarmnetKeys.LABEL_ATTACHED_POD);
    }

    private void podChanged(Pod pod) {
        String key = key(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        if (asksOrHolds(pod) || held.containsKey(key)) {
            remember(key, pod);
            enqueue(key);
        }
    }

    /**
     * Notes the networks the pod holds addresses on as the event shows them, before the worker looks: by then the pod may
     * be gone from the cache (deleted right after an operator restart), and its addresses must still be released.
     */
    private void remember(String key, Pod pod) {
        Map<String, IpAddress> addresses = ourAddresses(pod);
        if (!addresses.isEmpty()) {
            held.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).addAll(addresses.keySet());
        }
    }

    /** Pods of the namespace that ask for networks, and pods of others that name this one, may join now, or no longer. */
    private void networkChanged(OverlayNetwork network) {
        String namespace = network.getMetadata().getNamespace();
        String shared = new NetworkReference(namespace, network.getMetadata().getName()).toString();
        for (SharedIndexInformer<Pod> informer : pods) {
            for (Pod pod : informer.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace)) {
                if (asksOrHolds(pod)) {
                    enqueue(key(namespace, pod.getMetadata().getName()));
                }
            }
            for (Pod pod : informer.getIndexer().byIndex(INDEX_SHARED_NETWORKS, shared)) {
                enqueue(key(pod.getMetadata().getNamespace(), pod.getMetadata().getName()));
            }
        }
    }

    /** A namespace's labels changed (or it came or went): its pods that name shared networks may join now, or no longer. */
    private void namespaceChanged(String namespace) {
        for (SharedIndexInformer<Pod> informer : pods) {
            for (Pod pod : informer.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace)) {
                if (!sharedNetworks(pod).isEmpty()) {
                    enqueue(key(namespace, pod.getMetadata().getName()));
                }
            }
        }
    }

    /**
     * The networks of other namespaces ({@code namespace/name}) the pod names in its annotation or was attached to; a
     * malformed annotation names none.
     */
    private static List<String> sharedNetworks(Pod pod) {
        var meta = pod.getMetadata();
        if (meta.getAnnotations() == null || meta.getLabels() != null && meta.getLabels().containsKey(SwarmnetKeys.LABEL_SERVICE)) {
            return List.of();
        }
        Set<String> shared = new java.util.TreeSet<>();
        for (String annotation : List.of(SwarmnetKeys.ANNOTATION_POD_NETWORKS, SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS)) {
            String value = meta.getAnnotations().get(annotation);
            if (value == null) {
                continue;
            }
            try {
                PodNetworkRequests.parse(value, meta.getNamespace()).references(meta.getNamespace()).stream()
                        .filter(n -> n.isForeignTo(meta.getNamespace())).forEach(n -> shared.add(n.toString()));
            } catch (IllegalArgumentException malformed) {
                // said in an event when the pod is handled
            }
        }
        return List.copyOf(shared);
    }

    private void enqueue(String key) {
        if (pending.add(key)) {
            try {
                worker.execute(() -> {
                    pending.remove(key);
                    try {
                        handle(key);
                    } catch (RuntimeException e) {
                        LOG.warn("pod {}: attaching to its networks failed ({}); trying again in {} s", key, e.toString(),
                                WRITE_RETRY.toSeconds());
                        later(key, WRITE_RETRY);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                pending.remove(key);
            }
        }
    }

    private void later(String key, Duration delay) {
        try {
            worker.schedule(() -> enqueue(key), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // closing
        }
    }

    private Optional<Pod> cached(String key) {
        for (SharedIndexInformer<Pod> informer : pods) {
            Pod pod = informer.getStore().getByKey(key);
            if (pod != null) {
                return Optional.of(pod);
            }
        }
        return Optional.empty();
    }

    private Optional<Map<String, String>> namespaceLabels(String namespace) {
        Namespace found = namespaces.getStore().getByKey(namespace);
        return found == null ? Optional.empty() : Optional.of(Objects.requireNonNullElse(found.getMetadata().getLabels(), Map.of()));
    }

    private Optional<OverlayNetwork> network(String namespace, String name) {
        for (SharedIndexInformer<OverlayNetwork> informer : networks) {
            OverlayNetwork network = informer.getStore().getByKey(key(namespace, name));
            if (network != null) {
                return Optional.of(network);
            }
        }
        return Optional.empty();
    }

    private void handle(String key) {
        Optional<Pod> cached = cached(key);
        String namespace = key.substring(0, key.indexOf('/'));
        String name = key.substring(key.indexOf('/') + 1);
        if (cached.isEmpty()) {
            // gone from the cluster: nothing answers on its addresses any more
            release(namespace, name, held.getOrDefault(key, Set.of()));
            held.remove(key);
            return;
        }
        Pod pod = cached.get();
        Map<String, IpAddress> current = ourAddresses(pod);
        remember(key, pod);
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return; // it may still answer on its addresses until it is gone
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (current.isEmpty() && ("Succeeded".equals(phase) || "Failed".equals(phase))) {
            return; // finished before it was attached (a Job's pod): it will never use an address
        }
        PodAttachment decision = PodAttachment.decide(pod, n -> network(n.namespace(), n.name()), this::namespaceLabels);
        if (decision instanceof PodAttachment.Join join) {
            join(pod, key, join, current);
        } else if (decision instanceof PodAttachment.Refuse refuse) {
            refuse(pod, refuse.reason(), refuse.message(), current);
        } else if (!current.isEmpty()) {
            detach(pod, key);
        }
    }

    /** The addresses the operator wrote on the pod; a pod without our label has none, whatever its annotations say. */
    private static Map<String, IpAddress> ourAddresses(Pod pod) {
        var meta = pod.getMetadata();
        if (meta.getLabels() == null || !meta.getLabels().containsKey(SwarmnetKeys.LABEL_ATTACHED_POD)
                || meta.getAnnotations() == null) {
            return Map.of();
        }
        try {
            return TaskAddresses.parse(meta.getAnnotations().get(SwarmnetKeys.ANNOTATION_ADDRESSES)).byNetwork();
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }

    private void join(Pod pod, String key, PodAttachment.Join join, Map<String, IpAddress> current) {
        var meta = pod.getMetadata();
        AddressOwner owner = AddressOwner.attachedPod(meta.getName());
        Map<String, IpAddress> addresses = new TreeMap<>();
        try {
            for (AllocatableNetwork network : join.networks()) {
                addresses.put(network.name(), ledger.allocate(network, owner));
            }
        } catch (AddressPoolExhaustedException e) {
            // give back what this round took and the pod did not hold
            Set<String> fresh = new HashSet<>(addresses.keySet());
            fresh.removeAll(current.keySet());
            release(meta.getNamespace(), meta.getName(), fresh);
            refuse(pod, REASON_EXHAUSTED, "pod " + key + ": no address for it: " + e.getMessage(), current);
            later(key, EXHAUSTED_RETRY);
            return;
        }
        String addressText = new TaskAddresses(addresses).format();
        String accepted = join.accepted().format();
        var annotations = meta.getAnnotations();
        boolean written = meta.getLabels() != null && SwarmnetKeys.ATTACHED_POD.equals(meta.getLabels().get(SwarmnetKeys.LABEL_ATTACHED_POD))
                && addressText.equals(annotations.get(SwarmnetKeys.ANNOTATION_ADDRESSES))
                && accepted.equals(annotations.get(SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS));
        if (!written) {
            ObjectNode patch = JSON.createObjectNode();
            ObjectNode metadata = patch.putObject("metadata");
            metadata.putObject("labels").put(SwarmnetKeys.LABEL_ATTACHED_POD, SwarmnetKeys.ATTACHED_POD);
            metadata.putObject("annotations").put(SwarmnetKeys.ANNOTATION_ADDRESSES, addressText)
                    .put(SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS, accepted);
            if (!patchPod(pod, patch)) {
                Set<String> fresh = new HashSet<>(addresses.keySet());
                fresh.removeAll(current.keySet());
                release(meta.getNamespace(), meta.getName(), fresh);
                return;
            }
            events.normal(pod, REASON_ATTACHED, "pod " + key + " joins attachable networks with addresses " + addresses
                    + aliasesText(join));
            if (!hasReadinessGate(pod)) {
                events.warning(pod, REASON_NO_READINESS_GATE, "pod " + key + " has no readiness gate " + SwarmnetKeys.CONDITION_ATTACHED
                        + ", so it may be Ready before it is attached and resolves through the embedded DNS; add "
                        + "readinessGates: [{conditionType: " + SwarmnetKeys.CONDITION_ATTACHED + "}] to its pod template");
            }
            if (!usesEmbeddedDns(pod)) {
                events.warning(pod, REASON_NO_EMBEDDED_DNS, "pod " + key + " does not ask the embedded resolver "
                        + SwarmnetKeys.EMBEDDED_DNS_ADDRESS + ", so the names of its networks' services and pods do not resolve in it; "
                        + "set dnsPolicy: None and dnsConfig.nameservers: [" + SwarmnetKeys.EMBEDDED_DNS_ADDRESS
                        + "] with the cluster's search path in its pod template");
            }
        }
        Set<String> dropped = new HashSet<>(held.getOrDefault(key, Set.of()));
        dropped.removeAll(addresses.keySet());
        release(meta.getNamespace(), meta.getName(), dropped);
        Set<String> now = ConcurrentHashMap.newKeySet();
        now.addAll(addresses.keySet());
        held.put(key, now);
    }

    private static String aliasesText(PodAttachment.Join join) {
        Map<String, List<String>> aliases = new LinkedHashMap<>();
        join.accepted().networks().forEach((network, names) -> {
            if (!names.isEmpty()) {
                aliases.put(network, names);
            }
        });
        return aliases.isEmpty() ? "" : " and aliases " + aliases;
    }

    private static boolean usesEmbeddedDns(Pod pod) {
        var spec = pod.getSpec();
        return spec != null && "None".equals(spec.getDnsPolicy()) && spec.getDnsConfig() != null
                && spec.getDnsConfig().getNameservers() != null
                && spec.getDnsConfig().getNameservers().contains(SwarmnetKeys.EMBEDDED_DNS_ADDRESS);
    }

    private static boolean hasReadinessGate(Pod pod) {
        return pod.getSpec() != null && pod.getSpec().getReadinessGates() != null && pod.getSpec().getReadinessGates().stream()
                .anyMatch(g -> SwarmnetKeys.CONDITION_ATTACHED.equals(g.getConditionType()));
    }

    /** The annotation is gone: like docker network disconnect from every network. */
    private void detach(Pod pod, String key) {
        ObjectNode patch = JSON.createObjectNode();
        ObjectNode metadata = patch.putObject("metadata");
        metadata.putObject("labels").putNull(SwarmnetKeys.LABEL_ATTACHED_POD);
        metadata.putObject("annotations").putNull(SwarmnetKeys.ANNOTATION_ADDRESSES).putNull(SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS);
        if (patchPod(pod, patch)) {
            release(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), held.getOrDefault(key, Set.of()));
            held.remove(key);
            events.normal(pod, REASON_ATTACHED, "pod " + key + " no longer names networks in annotation "
                    + SwarmnetKeys.ANNOTATION_POD_NETWORKS + "; it left them and its addresses were released");
        }
    }

    /**
     * Tells why the pod cannot join. A pod already attached keeps what it has: a mistake in its annotation must not cut a
     * running pod off. One that has nothing yet carries the reason in its attached condition, where its readiness gate
     * shows it.
     */
    private void refuse(Pod pod, String reason, String message, Map<String, IpAddress> current) {
        if (!current.isEmpty()) {
            events.warning(pod, reason, message + " (it stays attached to " + String.join(", ", current.keySet()) + " as before)");
            return;
        }
        events.warning(pod, reason, message);
        if (!PodAttachment.REASON_TASK.equals(reason)) {
            markNotAttached(pod, reason, message);
        }
    }

    private void markNotAttached(Pod pod, String reason, String message) {
        List<PodCondition> conditions = pod.getStatus() == null || pod.getStatus().getConditions() == null ? List.of()
                : pod.getStatus().getConditions();
        PodCondition current = conditions.stream().filter(c -> SwarmnetKeys.CONDITION_ATTACHED.equals(c.getType())).findFirst().orElse(null);
        if (current != null && "False".equals(current.getStatus()) && reason.equals(current.getReason())
                && message.equals(current.getMessage())) {
            return;
        }
        ObjectNode condition = JSON.createObjectNode();
        condition.put("type", SwarmnetKeys.CONDITION_ATTACHED);
        condition.put("status", "False");
        condition.put("reason", reason);
        condition.put("message", message);
        condition.put("lastTransitionTime", current != null && "False".equals(current.getStatus()) && current.getLastTransitionTime() != null
                ? current.getLastTransitionTime() : Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        ObjectNode patch = JSON.createObjectNode();
        patch.putObject("status").putArray("conditions").add(condition);
        try {
            Patches.send(client, pod, "status", PatchType.STRATEGIC_MERGE, patch.toString());
        } catch (KubernetesClientException e) {
            LOG.info("pod {}/{}: could not set {}: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                    SwarmnetKeys.CONDITION_ATTACHED, e.getMessage());
        }
    }

    /** A merge patch of the pod's metadata; false when the pod is gone or the write failed (retried later). */
    private boolean patchPod(Pod pod, ObjectNode patch) {
        var meta = pod.getMetadata();
        // the uid pins the write to this pod, not one of the same name created since
        ((ObjectNode) patch.get("metadata")).put("uid", meta.getUid());
        try {
            Patches.send(client, pod, null, PatchType.JSON_MERGE, patch.toString());
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 409) {
                later(key(meta.getNamespace(), meta.getName()), WRITE_RETRY);
            }
            LOG.info("pod {}/{}: could not write its addresses: {}", meta.getNamespace(), meta.getName(), e.getMessage());
            return false;
        }
    }

    private void release(String namespace, String podName, Set<String> networkNames) {
        AddressOwner owner = AddressOwner.attachedPod(podName);
        for (String network : networkNames) {
            ledger.release(namespace, network, owner);
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
        pods.forEach(SharedIndexInformer::stop);
        networks.forEach(SharedIndexInformer::stop);
        namespaces.stop();
    }

    /** For tests and metrics: the networks a pod holds addresses on, as this component knows it. */
    Set<String> heldBy(String namespace, String name) {
        return Set.copyOf(Objects.requireNonNullElse(held.get(key(namespace, name)), Set.of()));
    }
}

package io.swarmnet.agent.cluster;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodDNSConfig;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The pod informers' store: it keeps of every pod only what the agent reads — name, namespace, uid, resourceVersion,
 * labels, annotations and deletion mark; the node and DNS search path of the spec; phase, conditions and (without a
 * ContainersReady condition) the containers' readiness of the status — and drops the rest (containers, volumes, managed fields, container states). A
 * node agent caches every task of the cluster, and a task pod's spec (its service's template: commands, probes,
 * environment) and the kubelet's container states are most of its size. Strings that recur in every pod (condition
 * types, reasons, label values such as the service name) are kept once, and the collections a model object creates
 * empty are replaced by the shared immutable empty ones: the copies are read, never changed.
 *
 * <p>What the agent does with a pod: {@link SnapshotParser} reads the fields above, {@link ClusterPublisher} patches
 * the pod's condition by name and compares with the conditions cached. Anything that needs more of a pod must read it
 * from the API, or extend {@link #slim}.
 */
final class SlimPodStore implements ItemStore<Pod> {

    /** At this many distinct strings kept once, the table starts afresh (pods already kept keep sharing theirs). */
    static final int MAX_SHARED_STRINGS = 50_000;

    private final Map<String, Pod> pods = new ConcurrentHashMap<>();
    private final Map<String, String> shared = new ConcurrentHashMap<>();

    @Override
    public String getKey(Pod pod) {
        return Cache.metaNamespaceKeyFunc(pod);
    }

    @Override
    public Pod put(String key, Pod pod) {
        return pods.put(key, slim(pod));
    }

    @Override
    public Pod remove(String key) {
        return pods.remove(key);
    }

    @Override
    public Stream<String> keySet() {
        return pods.keySet().stream();
    }

    @Override
    public Stream<Pod> values() {
        return pods.values().stream();
    }

    @Override
    public int size() {
        return pods.size();
    }

    @Override
    public Pod get(String key) {
        return pods.get(key);
    }

    /** The copy that is kept: see the class comment. */
    Pod slim(Pod pod) {
        Pod kept = new Pod();
        kept.setAdditionalProperties(Map.of());
        kept.setApiVersion(pod.getApiVersion());
        kept.setKind(pod.getKind());
        ObjectMeta meta = pod.getMetadata();
        if (meta != null) {
            ObjectMeta m = new ObjectMeta();
            m.setName(meta.getName());
            m.setNamespace(share(meta.getNamespace()));
            m.setUid(meta.getUid());
            m.setResourceVersion(meta.getResourceVersion());
            m.setDeletionTimestamp(meta.getDeletionTimestamp());
            m.setLabels(shareAll(meta.getLabels()));
            m.setAnnotations(shareKeys(meta.getAnnotations()));
            m.setFinalizers(List.of());
            m.setManagedFields(List.of());
            m.setOwnerReferences(List.of());
            m.setAdditionalProperties(Map.of());
            kept.setMetadata(m);
        }
        PodSpec spec = pod.getSpec();
        if (spec != null) {
            PodSpec s = bareSpec();
            s.setNodeName(share(spec.getNodeName()));
            if (spec.getDnsConfig() != null && spec.getDnsConfig().getSearches() != null) {
                PodDNSConfig dns = new PodDNSConfig();
                dns.setNameservers(List.of());
                dns.setOptions(List.of());
                dns.setAdditionalProperties(Map.of());
                dns.setSearches(spec.getDnsConfig().getSearches().stream().map(this::share).toList());
                s.setDnsConfig(dns);
            }
            kept.setSpec(s);
        }
        PodStatus status = pod.getStatus();
        if (status != null) {
            PodStatus s = new PodStatus();
            s.setEphemeralContainerStatuses(List.of());
            s.setHostIPs(List.of());
            s.setInitContainerStatuses(List.of());
            s.setPodIPs(List.of());
            s.setResourceClaimStatuses(List.of());
            s.setAdditionalProperties(Map.of());
            s.setPhase(share(status.getPhase()));
            if (status.getConditions() != null) {
                List<PodCondition> conditions = new ArrayList<>(status.getConditions().size());
                for (PodCondition c : status.getConditions()) {
                    if (c == null) {
                        continue;
                    }
                    PodCondition k = new PodCondition();
                    k.setAdditionalProperties(Map.of());
                    k.setType(share(c.getType()));
                    k.setStatus(share(c.getStatus()));
                    k.setReason(share(c.getReason()));
                    k.setMessage(share(c.getMessage()));
                    k.setLastTransitionTime(c.getLastTransitionTime());
                    conditions.add(k);
                }
                s.setConditions(conditions);
            }
            boolean containersReadyCondition = s.getConditions().stream().anyMatch(c -> "ContainersReady".equals(c.getType()));
            if (status.getContainerStatuses() != null && !containersReadyCondition) {
                // read only when the kubelet wrote no ContainersReady condition
                List<ContainerStatus> containers = new ArrayList<>(status.getContainerStatuses().size());
                for (ContainerStatus c : status.getContainerStatuses()) {
                    if (c != null) {
                        ContainerStatus k = new ContainerStatus();
                        k.setAllocatedResources(Map.of());
                        k.setAllocatedResourcesStatus(List.of());
                        k.setVolumeMounts(List.of());
                        k.setAdditionalProperties(Map.of());
                        k.setName(share(c.getName()));
                        k.setReady(c.getReady());
                        containers.add(k);
                    }
                }
                s.setContainerStatuses(containers);
            } else {
                s.setContainerStatuses(List.of());
            }
            kept.setStatus(s);
        }
        return kept;
    }

    /** A spec whose collections are the shared empty ones (a fresh PodSpec holds a dozen empty lists of its own). */
    private static PodSpec bareSpec() {
        PodSpec s = new PodSpec();
        s.setContainers(List.of());
        s.setEphemeralContainers(List.of());
        s.setHostAliases(List.of());
        s.setImagePullSecrets(List.of());
        s.setInitContainers(List.of());
        s.setNodeSelector(Map.of());
        s.setOverhead(Map.of());
        s.setReadinessGates(List.of());
        s.setResourceClaims(List.of());
        s.setSchedulingGates(List.of());
        s.setTolerations(List.of());
        s.setTopologySpreadConstraints(List.of());
        s.setVolumes(List.of());
        s.setAdditionalProperties(Map.of());
        return s;
    }

    private Map<String, String> shareAll(Map<String, String> map) {
        if (map == null) {
            return null;
        }
        Map<String, String> kept = new LinkedHashMap<>(Math.max(2, map.size() * 4 / 3 + 1));
        map.forEach((k, v) -> kept.put(share(k), share(v)));
        return kept;
    }

    /** Annotation values (addresses) differ per pod; only their names recur. */
    private Map<String, String> shareKeys(Map<String, String> map) {
        if (map == null) {
            return null;
        }
        Map<String, String> kept = new LinkedHashMap<>(Math.max(2, map.size() * 4 / 3 + 1));
        map.forEach((k, v) -> kept.put(share(k), v));
        return kept;
    }

    private String share(String value) {
        if (value == null) {
            return null;
        }
        String known = shared.get(value);
        if (known != null) {
            return known;
        }
        if (shared.size() >= MAX_SHARED_STRINGS) {
            shared.clear(); // strings of pods long gone, or of messages that never recur
        }
        known = shared.putIfAbsent(value, value);
        return known == null ? value : known;
    }
}

package io.swarmnet.agent.cluster;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.SwarmService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The informers the node agent reads the cluster through: task pods (label swarmnet.io/service) and pods attached to
 * attachable networks (label swarmnet.io/attached-pod) in all namespaces, SwarmServices, OverlayNetworks and Nodes. Every change calls {@code onChange}; the caller
 * coalesces and takes a {@link #snapshot()}. Informers retry forever on errors (an API server that is
 * down, CRDs not installed yet) and the snapshot is only meaningful once {@link #synced()}.
 */
public final class ClusterWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterWatch.class);
    private static final long LIST_PAGE = io.swarmnet.api.KubernetesClients.LIST_PAGE;

    private final SharedIndexInformer<Pod> pods;
    /** Pods that are no task but joined attachable networks: the operator labels them once it gave them addresses. */
    private final SharedIndexInformer<Pod> attachedPods;
    private final SharedIndexInformer<SwarmService> services;
    private final SharedIndexInformer<OverlayNetwork> networks;
    private final SharedIndexInformer<Node> nodes;
    // every task of the cluster is cached: only what the agent reads of each pod and service is kept
    private final ParsedStore<Pod, CachedPod> podStore;
    private final ParsedStore<Pod, CachedPod> attachedPodStore;
    private final ParsedStore<SwarmService, CachedService> serviceStore = new ParsedStore<>(ServiceParser::read);
    private final ClusterSnapshot.Reader reader = ClusterSnapshot.reader();

    /** @param nodeName the agent's node, whose pods' conditions it publishes */
    public ClusterWatch(KubernetesClient client, String nodeName, Runnable onChange) {
        podStore = new ParsedStore<>(new PodParser(nodeName)::read);
        attachedPodStore = new ParsedStore<>(new PodParser(nodeName)::read);
        // listed in pages (KubernetesClients.LIST_PAGE)
        pods = client.pods().inAnyNamespace().withLabel(SwarmnetKeys.LABEL_SERVICE).withLimit(LIST_PAGE).runnableInformer(0);
        attachedPods = client.pods().inAnyNamespace().withLabel(SwarmnetKeys.LABEL_ATTACHED_POD).withLimit(LIST_PAGE).runnableInformer(0);
        pods.itemStore(podStore);
        attachedPods.itemStore(attachedPodStore);
        services = client.resources(SwarmService.class).inAnyNamespace().withLimit(LIST_PAGE).runnableInformer(0);
        services.itemStore(serviceStore);
        networks = client.resources(OverlayNetwork.class).inAnyNamespace().withLimit(LIST_PAGE).runnableInformer(0);
        nodes = client.nodes().withLimit(LIST_PAGE).runnableInformer(0);
        for (SharedIndexInformer<?> informer : List.of(pods, attachedPods, services, networks, nodes)) {
            wire(informer, onChange);
        }
    }

    private static <T> void wire(SharedIndexInformer<T> informer, Runnable onChange) {
        informer.addEventHandler(new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                onChange.run();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                onChange.run();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                onChange.run();
            }
        });
        informer.exceptionHandler((started, t) -> {
            LOG.warn("watch of {} failed ({}); retrying", informer.getApiTypeClass().getSimpleName(), t.toString());
            return true;
        });
    }

    /** Starts every informer; returns at once (they list and watch in the background, retrying on failure). */
    public void start() {
        for (SharedIndexInformer<?> informer : List.of(pods, attachedPods, services, networks, nodes)) {
            informer.start();
        }
    }

    /** Every informer has listed its objects once. Before that a snapshot would look like an empty cluster. */
    public boolean synced() {
        return pods.hasSynced() && attachedPods.hasSynced() && services.hasSynced() && networks.hasSynced() && nodes.hasSynced();
    }

    /** Takes a snapshot of the caches; call from one thread only (the reader remembers the previous order). */
    public ClusterSnapshot snapshot() {
        List<CachedPod> all = new ArrayList<>(podStore.size() + attachedPodStore.size());
        podStore.kept().forEach(all::add);
        // a task carrying the label too is a task, listed once
        attachedPodStore.kept().filter(p -> !p.serviceLabel()).forEach(all::add);
        return reader.read(all, serviceStore.kept().toList(), networks.getStore().list(), nodes.getStore().list());
    }

    /** The cached pod, as last seen: what status patches are compared with and sent to. */
    public Optional<CachedPod> pod(String namespace, String name) {
        String key = Cache.namespaceKeyFunc(namespace, name);
        return podStore.kept(key).or(() -> attachedPodStore.kept(key));
    }

    public Optional<Node> node(String name) {
        return Optional.ofNullable(nodes.getStore().getByKey(name));
    }

    @Override
    public void close() {
        for (SharedIndexInformer<?> informer : List.of(pods, attachedPods, services, networks, nodes)) {
            try {
                informer.stop();
            } catch (RuntimeException e) {
                LOG.debug("stopping informer of {}: {}", informer.getApiTypeClass().getSimpleName(), e.toString());
            }
        }
    }
}

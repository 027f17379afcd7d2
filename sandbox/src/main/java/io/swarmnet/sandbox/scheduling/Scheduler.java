package io.swarmnet.sandbox.scheduling;

import io.fabric8.kubernetes.api.model.Binding;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.swarmnet.api.contract.SwarmnetKeys;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
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
 * The sandbox's scheduler: binds every pod that has no node (and asks for the default scheduler) to a
 * node chosen by {@link Placement}, through the binding subresource as kube-scheduler does. A pod that
 * fits nowhere gets PodScheduled=False/Unschedulable with the reason, and is retried as nodes change.
 */
public final class Scheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
    public static final String NAME = "default-scheduler";

    private final KubernetesClient client;
    private final Clock clock;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "sandbox-scheduler");
        thread.setDaemon(true);
        return thread;
    });
    /** Pods bound here whose binding the informer has not shown yet: counted so two quick pods do not pile on one node. */
    private final Map<String, String> assumed = new ConcurrentHashMap<>();
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<Node> nodes;

    public Scheduler(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    public Scheduler start() {
        nodes = client.nodes().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node node) {
                loop.execute(Scheduler.this::scheduleAll);
            }

            @Override
            public void onUpdate(Node oldNode, Node newNode) {
                loop.execute(Scheduler.this::scheduleAll);
            }

            @Override
            public void onDelete(Node node, boolean finalStateUnknown) {
            }
        }, 0);
        pods = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                loop.execute(() -> schedule(Cache.metaNamespaceKeyFunc(pod)));
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
                loop.execute(() -> schedule(Cache.metaNamespaceKeyFunc(newPod)));
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                assumed.remove(Cache.metaNamespaceKeyFunc(pod));
            }
        }, 0);
        loop.scheduleWithFixedDelay(this::scheduleAll, 2, 2, TimeUnit.SECONDS);
        return this;
    }

    private void scheduleAll() {
        for (Pod pod : pods.getStore().list()) {
            schedule(Cache.metaNamespaceKeyFunc(pod));
        }
    }

    private static boolean waitingForUs(Pod pod) {
        String scheduler = pod.getSpec().getSchedulerName();
        return pod.getMetadata().getDeletionTimestamp() == null
                && (pod.getSpec().getNodeName() == null || pod.getSpec().getNodeName().isEmpty())
                && (scheduler == null || scheduler.isEmpty() || scheduler.equals(NAME));
    }

    private void schedule(String key) {
        try {
            Pod pod = pods.getIndexer().getByKey(key);
            if (pod == null || !waitingForUs(pod)) {
                if (pod != null) {
                    assumed.remove(key);
                }
                return;
            }
            if (assumed.containsKey(key)) {
                return;
            }
            Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
            var affinity = pod.getSpec().getAffinity() == null || pod.getSpec().getAffinity().getNodeAffinity() == null
                    || pod.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null
                    ? List.<io.fabric8.kubernetes.api.model.NodeSelectorTerm>of()
                    : pod.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
            PodDemand demand = new PodDemand(labels.get(SwarmnetKeys.LABEL_SERVICE), pod.getSpec().getNodeSelector(),
                    pod.getSpec().getTolerations(), affinity);
            PlacementResult result = Placement.choose(demand, candidates(), load());
            if (result instanceof PlacementResult.Placed placed) {
                bind(pod, placed.node());
                assumed.put(key, placed.node());
                LOG.info("pod {}: bound to {}", key, placed.node());
            } else if (result instanceof PlacementResult.Unschedulable unschedulable) {
                markUnschedulable(pod, unschedulable.message());
            }
        } catch (RuntimeException e) {
            LOG.warn("pod {}: scheduling failed: {}", key, e.toString());
        }
    }

    private List<NodeCandidate> candidates() {
        List<NodeCandidate> candidates = new ArrayList<>();
        for (Node node : nodes.getStore().list()) {
            boolean ready = node.getStatus() == null || node.getStatus().getConditions() == null
                    || node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
                    .map(NodeCondition::getStatus).findFirst().map("True"::equals).orElse(true);
            boolean cordoned = node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable());
            candidates.add(new NodeCandidate(node.getMetadata().getName(),
                    node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels(),
                    node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints(),
                    ready && !cordoned));
        }
        return candidates;
    }

    private NodeLoad load() {
        Map<String, Integer> perNode = new HashMap<>();
        Map<String, Map<String, Integer>> perService = new HashMap<>();
        Map<String, String> bound = new HashMap<>(assumed);
        Map<String, String> serviceOf = new HashMap<>();
        for (Pod pod : pods.getStore().list()) {
            String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
            if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
                continue;
            }
            String key = Cache.metaNamespaceKeyFunc(pod);
            if (pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty()) {
                bound.put(key, pod.getSpec().getNodeName());
            }
            if (pod.getMetadata().getLabels() != null) {
                serviceOf.put(key, pod.getMetadata().getLabels().get(SwarmnetKeys.LABEL_SERVICE));
            }
        }
        bound.forEach((key, node) -> {
            perNode.merge(node, 1, Integer::sum);
            String service = serviceOf.get(key);
            if (service != null) {
                perService.computeIfAbsent(service, s -> new HashMap<>()).merge(node, 1, Integer::sum);
            }
        });
        return new NodeLoad(perNode, perService);
    }

    /** POST a Binding (namespaces/NS/bindings), as kube-scheduler binds; where the API does not act on it, spec.nodeName is patched instead. */
    private void bind(Pod pod, String node) {
        Binding binding = new BindingBuilder().withNewMetadata().withName(pod.getMetadata().getName())
                .withNamespace(pod.getMetadata().getNamespace()).withUid(pod.getMetadata().getUid()).endMetadata()
                .withNewTarget().withApiVersion("v1").withKind("Node").withName(node).endTarget().build();
        try {
            client.bindings().inNamespace(pod.getMetadata().getNamespace()).resource(binding).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 405 && e.getCode() != 400) {
                throw e;
            }
        }
        // fabric8's plain CRUD mock stores a Binding as an ordinary object without binding the pod
        Pod after = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
        if (after != null && (after.getSpec().getNodeName() == null || after.getSpec().getNodeName().isEmpty())) {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .edit(p -> {
                        p.getSpec().setNodeName(node);
                        return p;
                    });
        }
    }

    private void markUnschedulable(Pod pod, String message) {
        PodStatus status = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        List<PodCondition> conditions = status.getConditions() == null ? new ArrayList<>() : new ArrayList<>(status.getConditions());
        boolean same = conditions.stream().anyMatch(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())
                && message.equals(c.getMessage()));
        if (same) {
            return;
        }
        conditions.removeIf(c -> "PodScheduled".equals(c.getType()));
        conditions.add(new PodConditionBuilder().withType("PodScheduled").withStatus("False").withReason("Unschedulable")
                .withMessage(message).withLastTransitionTime(clock.instant().truncatedTo(ChronoUnit.SECONDS).toString()).build());
        status.setConditions(conditions);
        if (status.getPhase() == null) {
            status.setPhase("Pending");
        }
        pod.setStatus(status);
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).updateStatus();
            LOG.info("pod {}/{}: unschedulable: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), message);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409 && e.getCode() != 404) {
                throw e;
            }
        }
    }

    @Override
    public void close() {
        if (pods != null) {
            pods.close();
        }
        if (nodes != null) {
            nodes.close();
        }
        loop.shutdownNow();
    }
}

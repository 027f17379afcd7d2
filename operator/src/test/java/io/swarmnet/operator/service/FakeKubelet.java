package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.api.contract.SwarmnetKeys;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Plays scheduler, kubelet and node agent for task pods in tests against the API alone: binds a
 * pod to a node (a global task to the node it is pinned to), marks it Running, sets the
 * {@code swarmnet.io/attached} condition the node agent would set and Ready. Can also fail a pod.
 * With {@link #startAutomatically()} it does this for every new pod of its namespace, every 50 ms.
 */
final class FakeKubelet implements AutoCloseable {

    private final KubernetesClient client;
    private final String namespace;
    private final List<String> nodes = new ArrayList<>();
    private final Map<String, Instant> readyAt = new ConcurrentHashMap<>();
    /** Images whose containers start but never pass their readiness probe. */
    private final java.util.Set<String> neverReady = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService loop;
    private int nextNode;

    FakeKubelet(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /** Registers a node (a Node object in the API) where a swarmnet agent runs, that replicated tasks are spread over. */
    FakeKubelet node(String name, Map<String, String> labels, Taint... taints) {
        Map<String, String> withAgent = new java.util.HashMap<>(labels);
        withAgent.put(io.swarmnet.api.contract.SwarmnetKeys.LABEL_NODE_AGENT, io.swarmnet.api.contract.SwarmnetKeys.NODE_AGENT_PRESENT);
        return nodeWithoutAgent(name, withAgent, taints);
    }

    /** Registers a node that no swarmnet agent serves (it lacks the agent's label). */
    FakeKubelet nodeWithoutAgent(String name, Map<String, String> labels, Taint... taints) {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withTaints(taints).endSpec().build()).create();
        nodes.add(name);
        return this;
    }

    /** Pods running {@code image} get their containers started but never become Ready (a failing readiness probe). */
    FakeKubelet neverReady(String image) {
        neverReady.add(image);
        return this;
    }

    FakeKubelet startAutomatically() {
        loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fake-kubelet-" + namespace);
            t.setDaemon(true);
            return t;
        });
        loop.scheduleWithFixedDelay(() -> {
            try {
                startAll();
            } catch (RuntimeException e) {
                // the next round tries again; pods come and go under the operator's feet
            }
        }, 0, 50, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Brings every pod of the namespace that is neither ready, failed nor terminating to Ready; returns how many. */
    synchronized int startAll() {
        int started = 0;
        for (Pod pod : client.pods().inNamespace(namespace).list().getItems()) {
            ObservedTask task = new ObservedTask(pod);
            if (neverReady.contains(pod.getSpec().getContainers().get(0).getImage())) {
                if (task.state() == ObservedTask.State.Pending && runUnready(pod)) {
                    started++;
                }
            } else if (task.state() == ObservedTask.State.Pending || task.state() == ObservedTask.State.Running) {
                if (run(pod)) {
                    started++;
                }
            }
        }
        return started;
    }

    /** Brings one pod to Ready. */
    synchronized void start(String podName) {
        run(client.pods().inNamespace(namespace).withName(podName).get());
    }

    /** The task ends as a crashed container would with restartPolicy Never. */
    synchronized void fail(String podName, String message) {
        Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
        pod.getStatus().setPhase("Failed");
        pod.getStatus().setMessage(message);
        pod.getStatus().setConditions(List.of(condition("Ready", "False")));
        client.pods().inNamespace(namespace).resource(pod).updateStatus();
    }

    /** When the kubelet marked the pod Ready, if it did. */
    Instant readyAt(String podName) {
        return readyAt.get(podName);
    }

    private boolean run(Pod pod) {
        if (pod == null || pod.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        try {
            if (pod.getSpec().getNodeName() == null) {
                String node = TaskPod.pinnedNode(pod).orElse(null);
                if (node == null && !nodes.isEmpty()) {
                    node = nodes.get(nextNode++ % nodes.size());
                }
                pod.getSpec().setNodeName(node == null ? "node-0" : node);
                pod = client.pods().inNamespace(namespace).resource(pod).update();
            }
            // noted before the pod turns Ready, so anything the operator does in reaction comes later
            readyAt.put(pod.getMetadata().getName(), Instant.now());
            pod.setStatus(pod.getStatus() == null ? new PodStatus() : pod.getStatus());
            pod.getStatus().setPhase("Running");
            pod.getStatus().setPodIP("192.0.2." + (1 + Math.abs(pod.getMetadata().getName().hashCode() % 250)));
            pod.getStatus().setConditions(List.of(condition("PodScheduled", "True"), condition(SwarmnetKeys.CONDITION_ATTACHED, "True"),
                    condition("ContainersReady", "True"), condition("Ready", "True")));
            client.pods().inNamespace(namespace).resource(pod).updateStatus();
            return true;
        } catch (KubernetesClientException e) {
            // deleted or changed meanwhile: the operator got there first
            return false;
        }
    }

    /** Binds the pod and starts its containers, which then stay not ready. */
    private boolean runUnready(Pod pod) {
        try {
            if (pod.getSpec().getNodeName() == null) {
                pod.getSpec().setNodeName(nodes.isEmpty() ? "node-0" : nodes.get(nextNode++ % nodes.size()));
                pod = client.pods().inNamespace(namespace).resource(pod).update();
            }
            String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            pod.setStatus(pod.getStatus() == null ? new PodStatus() : pod.getStatus());
            pod.getStatus().setPhase("Running");
            pod.getStatus().setStartTime(now);
            pod.getStatus().setContainerStatuses(pod.getSpec().getContainers().stream().map(c -> new ContainerStatusBuilder()
                    .withName(c.getName()).withImage(c.getImage()).withReady(false).withRestartCount(0)
                    .withNewState().withNewRunning().withStartedAt(now).endRunning().endState().build()).toList());
            pod.getStatus().setConditions(List.of(condition("PodScheduled", "True"), condition(SwarmnetKeys.CONDITION_ATTACHED, "True"),
                    condition("ContainersReady", "False"), condition("Ready", "False")));
            client.pods().inNamespace(namespace).resource(pod).updateStatus();
            return true;
        } catch (KubernetesClientException e) {
            return false;
        }
    }

    private static PodCondition condition(String type, String status) {
        return new PodConditionBuilder().withType(type).withStatus(status)
                .withLastTransitionTime(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).build();
    }

    @Override
    public void close() {
        if (loop != null) {
            loop.shutdownNow();
        }
    }
}

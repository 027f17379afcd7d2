package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.swarmnet.api.service.ServiceMode;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceSpec;
import io.swarmnet.operator.service.template.NodeFacts;
import io.swarmnet.operator.service.template.TaskTemplates;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The nodes a service's tasks go to, from the cluster's Nodes as the cache shows them: the slots of
 * a global service, the node for a new task whose template names its node, whether a task's
 * hostname works on the nodes it may land on, and why no node may take a task. The choices
 * themselves are {@link NodeEligibility}'s and {@link TaskPlacement}'s.
 */
final class TaskNodes {

    private final Supplier<Stream<Node>> nodes;

    /** @param nodes the Nodes the cache holds now (asked anew on each use) */
    TaskNodes(Supplier<Stream<Node>> nodes) {
        this.nodes = Objects.requireNonNull(nodes, "nodes");
    }

    /**
     * Slots of a global service: nodes that admit a new task, plus nodes whose running task may
     * stay (a NoSchedule taint added later keeps new tasks off but does not evict). Each slot's node
     * goes into {@code nodeOfSlot}, by slot label.
     */
    List<TaskSlot> globalSlots(SwarmServiceSpec spec, List<Pod> taskPods, Map<String, Node> nodeOfSlot) {
        Set<String> runningOn = new HashSet<>();
        for (Pod pod : taskPods) {
            ObservedTask task = new ObservedTask(pod);
            if (task.lifecycle() == ExistingTask.Lifecycle.ACTIVE) {
                task.slot().filter(TaskSlot::isGlobal).ifPresent(s -> runningOn.add(s.node()));
            }
        }
        List<TaskSlot> slots = new ArrayList<>();
        for (Node node : nodes.get().toList()) {
            if (node.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            TaskSlot slot = TaskSlot.global(node.getMetadata().getName());
            boolean eligible = runningOn.contains(slot.node())
                    ? NodeEligibility.rejectsRunningTask(spec.getTemplate().getSpec(), node).isEmpty()
                    : NodeEligibility.rejectsNewTask(spec.getTemplate().getSpec(), node).isEmpty();
            if (eligible) {
                slots.add(slot);
                nodeOfSlot.put(slot.label(), node);
            }
        }
        return slots;
    }

    /**
     * Why some task of this template would get an invalid hostname, checked for every slot on its
     * node (a global task), on every node it may be placed on (a template naming the node), or
     * anywhere. Task names are taken with a stand-in suffix of the real one's length and alphabet.
     */
    Optional<String> hostnameProblem(SwarmService service, PodTemplateSpec template, List<TaskSlot> slots,
                                             Map<String, Node> nodeOfSlot) {
        var podSpec = template.getSpec();
        if (podSpec.getHostname() == null) {
            return Optional.empty();
        }
        String name = service.getMetadata().getName();
        List<Node> candidates = service.getSpec().effectiveMode() == ServiceMode.REPLICATED && TaskTemplates.needsNode(podSpec)
                ? eligibleNodes(podSpec) : null;
        String suffix = "b".repeat(TaskPod.SUFFIX_LENGTH);
        for (TaskSlot slot : slots) {
            String podName = TaskPod.name(name, slot, suffix);
            List<Node> onNodes = nodeOfSlot.containsKey(slot.label()) ? List.of(nodeOfSlot.get(slot.label()))
                    : candidates != null ? candidates : Collections.singletonList(null);
            for (Node node : onNodes) {
                NodeFacts facts = node == null ? null : NodeFacts.of(node);
                Optional<String> problem = TaskTemplates.hostnameProblem(name, podSpec, TaskPod.facts(service, slot, facts, podName),
                        slot + (node == null ? "" : " on node " + node.getMetadata().getName()));
                if (problem.isPresent()) {
                    return problem;
                }
            }
        }
        return Optional.empty();
    }

    /** Nodes that may take a new task of this template now. */
    private List<Node> eligibleNodes(PodSpec podSpec) {
        return nodes.get().filter(n -> n.getMetadata().getDeletionTimestamp() == null)
                .filter(n -> NodeEligibility.rejectsNewTask(podSpec, n).isEmpty())
                .sorted(Comparator.comparing(n -> n.getMetadata().getName())).toList();
    }

    /**
     * The node for a new replicated task whose template names its node, chosen as swarm's scheduler
     * spreads: an eligible node with the fewest of the service's tasks. Tasks being removed in this
     * round do not count; those created in it do.
     */
    Optional<Node> place(PodSpec podSpec, List<Pod> taskPods, Set<String> removed, List<Pod> created) {
        List<String> onNodes = new ArrayList<>();
        for (Pod pod : taskPods) {
            if (!removed.contains(pod.getMetadata().getName()) && new ObservedTask(pod).lifecycle() == ExistingTask.Lifecycle.ACTIVE) {
                placedOn(pod).ifPresent(onNodes::add);
            }
        }
        created.forEach(pod -> placedOn(pod).ifPresent(onNodes::add));
        List<Node> eligible = eligibleNodes(podSpec);
        return TaskPlacement.spread(eligible.stream().map(n -> n.getMetadata().getName()).toList(), onNodes)
                .flatMap(name -> eligible.stream().filter(n -> n.getMetadata().getName().equals(name)).findFirst());
    }

    private static Optional<String> placedOn(Pod pod) {
        String bound = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        return bound != null ? Optional.of(bound) : TaskPod.pinnedNode(pod);
    }

    /**
     * When the cluster has nodes but none may take a new task of this service (none runs a swarmnet
     * agent, or the template's constraints exclude the rest), why, node by node (a few of them).
     * With no Node in the cache at all nothing is claimed: the cache may not have synced.
     */
    Optional<ServiceHealth.Blocker> noEligibleNode(SwarmServiceSpec spec) {
        List<String> reasons = new ArrayList<>();
        int count = 0;
        for (Node node : (Iterable<Node>) nodes.get()::iterator) {
            Optional<String> rejected = NodeEligibility.rejectsNewTask(spec.getTemplate().getSpec(), node);
            if (rejected.isEmpty()) {
                return Optional.empty();
            }
            if (reasons.size() < 3) {
                reasons.add(rejected.get());
            }
            count++;
        }
        if (count == 0) {
            return Optional.empty();
        }
        return Optional.of(new ServiceHealth.Blocker(ServiceHealth.REASON_NO_ELIGIBLE_NODE, "none of the " + count
                + " nodes can run a task of this service: " + String.join("; ", reasons) + (count > reasons.size() ? "; ..." : "")
                + ". Tasks run only on nodes where the swarmnet agent runs: widen the chart's agent.nodeSelector or"
                + " agent.tolerations, or the template's nodeSelector, affinity and tolerations"));
    }
}

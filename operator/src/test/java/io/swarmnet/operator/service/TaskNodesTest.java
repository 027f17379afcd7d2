package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.service.SwarmServiceSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskNodesTest {

    private final List<Node> cache = new ArrayList<>();
    private final TaskNodes taskNodes = new TaskNodes(cache::stream);

    private static Node withAgent(String name) {
        return new NodeBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of(SwarmnetKeys.LABEL_NODE_AGENT, SwarmnetKeys.NODE_AGENT_PRESENT)).endMetadata().build();
    }

    private static Node withoutAgent(String name) {
        return new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
    }

    private static Node deleting(Node node) {
        return new NodeBuilder(node).editMetadata().withDeletionTimestamp("2026-12-01T10:00:00Z").endMetadata().build();
    }

    private static PodSpec template() {
        return new PodSpecBuilder().addNewContainer().withName("c").withImage("nginx").endContainer().build();
    }

    private static SwarmServiceSpec spec() {
        SwarmServiceSpec spec = new SwarmServiceSpec();
        spec.setTemplate(new PodTemplateSpecBuilder().withSpec(template()).build());
        return spec;
    }

    /** A task pod of the slot, bound to the node, in the given phase. */
    private static Pod task(String name, TaskSlot slot, String node, String phase) {
        return new PodBuilder().withNewMetadata().withName(name).withLabels(Map.of(SwarmnetKeys.LABEL_SLOT, slot.label())).endMetadata()
                .withNewSpec().withNodeName(node).endSpec().withNewStatus().withPhase(phase).endStatus().build();
    }

    private static Pod replicated(String name, String node, String phase) {
        return task(name, TaskSlot.replicated(Integer.parseInt(name.split("-")[1])), node, phase);
    }

    @Test
    void placesANewTaskOnTheEligibleNodeWithFewestTasksCountingThoseCreatedAndNotThoseRemovedOrEnded() {
        // n1 and n2 would win by name among equals, were they eligible
        cache.addAll(List.of(withoutAgent("n1"), deleting(withAgent("n2")), withAgent("n3"), withAgent("n4")));
        List<Pod> existing = List.of(replicated("web-1-aaaaa", "n3", "Running"), replicated("web-2-bbbbb", "n4", "Running"),
                replicated("web-3-ccccc", "n4", "Failed"));

        assertThat(taskNodes.place(template(), existing, Set.of("web-2-bbbbb"), List.of()))
                .map(n -> n.getMetadata().getName()).contains("n4");
        assertThat(taskNodes.place(template(), existing, Set.of("web-2-bbbbb"),
                List.of(replicated("web-4-ddddd", "n4", "Pending"), replicated("web-5-eeeee", "n4", "Pending"))))
                .map(n -> n.getMetadata().getName()).contains("n3");
    }

    @Test
    void aGlobalServiceKeepsItsRunningTaskOnANodeItWouldNoLongerStartOne() {
        cache.addAll(List.of(withoutAgent("n1"), withAgent("n2"), withoutAgent("n3"), deleting(withAgent("n4"))));
        Map<String, Node> nodeOfSlot = new HashMap<>();

        List<TaskSlot> slots = taskNodes.globalSlots(spec(), List.of(task("web-n1-aaaaa", TaskSlot.global("n1"), "n1", "Running")),
                nodeOfSlot);

        assertThat(slots).containsExactly(TaskSlot.global("n1"), TaskSlot.global("n2"));
        assertThat(nodeOfSlot).containsOnlyKeys(TaskSlot.global("n1").label(), TaskSlot.global("n2").label());
    }

    @Test
    void saysWhyNoNodeMayTakeATaskNamingAFewOfThem() {
        assertThat(taskNodes.noEligibleNode(spec())).as("no Node cached: maybe not synced, nothing claimed").isEmpty();

        cache.addAll(List.of(withoutAgent("n1"), withoutAgent("n2"), withoutAgent("n3"), withoutAgent("n4")));
        var blocker = taskNodes.noEligibleNode(spec()).orElseThrow();
        assertThat(blocker.reason()).isEqualTo(ServiceHealth.REASON_NO_ELIGIBLE_NODE);
        assertThat(blocker.message()).startsWith("none of the 4 nodes can run a task of this service: node n1 runs no swarmnet agent")
                .contains("node n3").doesNotContain("node n4").contains("; ...").contains("agent.nodeSelector");

        cache.add(withAgent("n5"));
        assertThat(taskNodes.noEligibleNode(spec())).isEmpty();
    }
}

package io.swarmnet.sandbox.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlacementTest {

    private static NodeCandidate node(String name, Map<String, String> labels, Taint... taints) {
        return new NodeCandidate(name, labels, List.of(taints), true);
    }

    private static NodeCandidate node(String name) {
        return node(name, Map.of());
    }

    private static PodDemand task(String service) {
        return new PodDemand(service, Map.of(), List.of());
    }

    private static Taint taint(String key, String value, String effect) {
        return new TaintBuilder().withKey(key).withValue(value).withEffect(effect).build();
    }

    private static final NodeLoad EMPTY = new NodeLoad(Map.of(), Map.of());

    @Test
    void spreadsTheTasksOfOneServiceOverAllNodes() {
        List<NodeCandidate> nodes = List.of(node("node-1"), node("node-2"), node("node-3"));
        Map<String, Integer> perNode = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            NodeLoad load = new NodeLoad(perNode, Map.of("my-web", perNode));
            String chosen = ((PlacementResult.Placed) Placement.choose(task("my-web"), nodes, load)).node();
            perNode.merge(chosen, 1, Integer::sum);
        }
        assertThat(perNode).containsOnly(Map.entry("node-1", 1), Map.entry("node-2", 1), Map.entry("node-3", 1));
    }

    @Test
    void prefersNodesWithoutTasksOfTheSameServiceOverLessLoadedNodes() {
        List<NodeCandidate> nodes = List.of(node("node-1"), node("node-2"));
        NodeLoad load = new NodeLoad(Map.of("node-1", 1, "node-2", 5), Map.of("my-web", Map.of("node-1", 1)));
        assertThat(Placement.choose(task("my-web"), nodes, load)).isEqualTo(new PlacementResult.Placed("node-2"));
        assertThat(Placement.choose(task("other"), nodes, load)).isEqualTo(new PlacementResult.Placed("node-1"));
    }

    @Test
    void honoursTheNodeSelector() {
        List<NodeCandidate> nodes = List.of(node("node-1", Map.of("disk", "hdd")), node("node-2", Map.of("disk", "ssd")));
        PodDemand pod = new PodDemand("db", Map.of("disk", "ssd"), List.of());
        assertThat(Placement.choose(pod, nodes, new NodeLoad(Map.of("node-2", 9), Map.of())))
                .isEqualTo(new PlacementResult.Placed("node-2"));
    }

    @Test
    void explainsWhyNoNodeFits() {
        List<NodeCandidate> nodes = List.of(
                node("node-1", Map.of("disk", "hdd")),
                node("node-2", Map.of("disk", "ssd"), taint("dedicated", "gpu", "NoSchedule")),
                new NodeCandidate("node-3", Map.of("disk", "ssd"), List.of(), false));
        PodDemand pod = new PodDemand("db", Map.of("disk", "ssd"), List.of());
        assertThat(Placement.choose(pod, nodes, EMPTY)).isEqualTo(new PlacementResult.Unschedulable(
                "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
                        + "1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable."));
    }

    @Test
    void placesOnTaintedNodesOnlyWhenTolerated() {
        List<NodeCandidate> nodes = List.of(node("node-1", Map.of(), taint("dedicated", "gpu", "NoSchedule")));
        Toleration equal = new TolerationBuilder().withKey("dedicated").withOperator("Equal").withValue("gpu").build();
        Toleration wrongValue = new TolerationBuilder().withKey("dedicated").withOperator("Equal").withValue("cpu").build();
        Toleration everything = new TolerationBuilder().withOperator("Exists").build();
        Toleration otherEffect = new TolerationBuilder().withKey("dedicated").withOperator("Exists").withEffect("NoExecute").build();
        assertThat(Placement.choose(new PodDemand(null, Map.of(), List.of(equal)), nodes, EMPTY))
                .isEqualTo(new PlacementResult.Placed("node-1"));
        assertThat(Placement.choose(new PodDemand(null, Map.of(), List.of(everything)), nodes, EMPTY))
                .isEqualTo(new PlacementResult.Placed("node-1"));
        assertThat(Placement.choose(new PodDemand(null, Map.of(), List.of(wrongValue)), nodes, EMPTY))
                .isInstanceOf(PlacementResult.Unschedulable.class);
        assertThat(Placement.choose(new PodDemand(null, Map.of(), List.of(otherEffect)), nodes, EMPTY))
                .isInstanceOf(PlacementResult.Unschedulable.class);
    }

    @Test
    void avoidsPreferNoScheduleTaintsWhenAnotherNodeIsAsGood() {
        List<NodeCandidate> nodes = List.of(node("node-1", Map.of(), taint("busy", "", "PreferNoSchedule")), node("node-2"));
        assertThat(Placement.choose(task(null), nodes, EMPTY)).isEqualTo(new PlacementResult.Placed("node-2"));
        List<NodeCandidate> onlyTainted = List.of(nodes.get(0));
        assertThat(Placement.choose(task(null), onlyTainted, EMPTY)).isEqualTo(new PlacementResult.Placed("node-1"));
    }

    @Test
    void pinsAGlobalTaskToItsNodeThroughRequiredNodeAffinity() {
        List<NodeCandidate> nodes = List.of(node("node-1"), node("node-2", Map.of("zone", "b")), node("node-3"));
        NodeSelectorTerm pin = new NodeSelectorTermBuilder().addNewMatchField().withKey("metadata.name").withOperator("In")
                .withValues("node-3").endMatchField().build();
        NodeLoad busyNode3 = new NodeLoad(Map.of("node-3", 10), Map.of());
        assertThat(Placement.choose(new PodDemand("agent", Map.of(), List.of(), List.of(pin)), nodes, busyNode3))
                .isEqualTo(new PlacementResult.Placed("node-3"));

        NodeSelectorTerm zoneB = new NodeSelectorTermBuilder().addNewMatchExpression().withKey("zone").withOperator("In")
                .withValues("b").endMatchExpression().build();
        NodeSelectorTerm notThere = new NodeSelectorTermBuilder().addNewMatchExpression().withKey("zone").withOperator("Exists")
                .endMatchExpression().addNewMatchField().withKey("metadata.name").withOperator("NotIn").withValues("node-2")
                .endMatchField().build();
        assertThat(Placement.choose(new PodDemand(null, Map.of(), List.of(), List.of(notThere, zoneB)), nodes, EMPTY))
                .as("terms are ORed").isEqualTo(new PlacementResult.Placed("node-2"));
        assertThat(Placement.choose(new PodDemand(null, Map.of(), List.of(), List.of(notThere)), nodes, EMPTY))
                .isEqualTo(new PlacementResult.Unschedulable(
                        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."));
        assertThat(Placement.choose(new PodDemand(null, Map.of(), List.of(), List.of(new NodeSelectorTerm())), nodes, EMPTY))
                .as("an empty term matches nothing").isInstanceOf(PlacementResult.Unschedulable.class);
    }

    @Test
    void saysSoWhenNoNodeIsRegistered() {
        assertThat(Placement.choose(task("x"), List.of(), EMPTY))
                .isEqualTo(new PlacementResult.Unschedulable("0/0 nodes are available: no nodes registered."));
    }
}

package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.swarmnet.api.contract.SwarmnetKeys;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeEligibilityTest {

    /** A node whose agent runs (it carries the agent's label), with these labels besides. */
    private static Node node(String name, Map<String, String> labels, Taint... taints) {
        Map<String, String> all = new java.util.HashMap<>(labels);
        all.put(SwarmnetKeys.LABEL_NODE_AGENT, SwarmnetKeys.NODE_AGENT_PRESENT);
        return withoutAgent(name, all, taints);
    }

    private static Node withoutAgent(String name, Map<String, String> labels, Taint... taints) {
        return new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withTaints(taints).endSpec().build();
    }

    private static PodSpec template() {
        return new PodSpecBuilder().addNewContainer().withName("c").withImage("nginx").endContainer().build();
    }

    private static Taint taint(String key, String value, String effect) {
        return new Taint(effect, key, null, value);
    }

    @Test
    void anyNodeAdmitsATemplateWithoutConstraints() {
        assertThat(NodeEligibility.rejectsNewTask(template(), node("a", Map.of()))).isEmpty();
    }

    @Test
    void nodeSelectorMustMatchEveryLabel() {
        PodSpec spec = new PodSpecBuilder(template()).withNodeSelector(Map.of("zone", "east", "disk", "ssd")).build();

        assertThat(NodeEligibility.rejectsNewTask(spec, node("a", Map.of("zone", "east", "disk", "ssd", "x", "y")))).isEmpty();
        assertThat(NodeEligibility.rejectsNewTask(spec, node("b", Map.of("zone", "east"))))
                .hasValueSatisfying(why -> assertThat(why).contains("node b").contains("disk=ssd"));
    }

    @Test
    void noScheduleTaintKeepsNewTasksOffButLetsARunningOneStay() {
        Node tainted = node("a", Map.of(), taint("dedicated", "db", "NoSchedule"));

        assertThat(NodeEligibility.rejectsNewTask(template(), tainted))
                .hasValueSatisfying(why -> assertThat(why).contains("dedicated=db:NoSchedule"));
        assertThat(NodeEligibility.rejectsRunningTask(template(), tainted)).isEmpty();
    }

    @Test
    void noExecuteTaintAlsoRemovesRunningTasks() {
        Node tainted = node("a", Map.of(), taint("maintenance", null, "NoExecute"));

        assertThat(NodeEligibility.rejectsRunningTask(template(), tainted)).isPresent();
    }

    @Test
    void preferNoScheduleIsOnlyAPreference() {
        assertThat(NodeEligibility.rejectsNewTask(template(), node("a", Map.of(), taint("k", "v", "PreferNoSchedule")))).isEmpty();
    }

    @Test
    void tolerationsMatchByKeyValueAndEffectOrByExists() {
        Node tainted = node("a", Map.of(), taint("dedicated", "db", "NoSchedule"));
        PodSpec equal = new PodSpecBuilder(template())
                .withTolerations(new Toleration("NoSchedule", "dedicated", "Equal", null, "db")).build();
        PodSpec wrongValue = new PodSpecBuilder(template())
                .withTolerations(new Toleration("NoSchedule", "dedicated", "Equal", null, "web")).build();
        PodSpec exists = new PodSpecBuilder(template())
                .withTolerations(new Toleration(null, "dedicated", "Exists", null, null)).build();
        PodSpec everything = new PodSpecBuilder(template())
                .withTolerations(new Toleration(null, null, "Exists", null, null)).build();
        PodSpec otherEffect = new PodSpecBuilder(template())
                .withTolerations(new Toleration("NoExecute", "dedicated", "Exists", null, null)).build();

        assertThat(NodeEligibility.rejectsNewTask(equal, tainted)).isEmpty();
        assertThat(NodeEligibility.rejectsNewTask(wrongValue, tainted)).isPresent();
        assertThat(NodeEligibility.rejectsNewTask(exists, tainted)).isEmpty();
        assertThat(NodeEligibility.rejectsNewTask(everything, tainted)).isEmpty();
        assertThat(NodeEligibility.rejectsNewTask(otherEffect, tainted)).isPresent();
    }

    @Test
    void requiredNodeAffinityIsHonoured() {
        PodSpec spec = new PodSpecBuilder(template()).withNewAffinity().withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                    .addNewNodeSelectorTerm().withMatchExpressions(
                            new NodeSelectorRequirementBuilder().withKey("zone").withOperator("In").withValues("east", "west").build(),
                            new NodeSelectorRequirementBuilder().withKey("cores").withOperator("Gt").withValues("4").build())
                    .endNodeSelectorTerm()
                    .addNewNodeSelectorTerm().withMatchFields(
                            new NodeSelectorRequirementBuilder().withKey("metadata.name").withOperator("In").withValues("special").build())
                    .endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity().endAffinity().build();

        assertThat(NodeEligibility.rejectsNewTask(spec, node("a", Map.of("zone", "east", "cores", "8")))).isEmpty();
        assertThat(NodeEligibility.rejectsNewTask(spec, node("b", Map.of("zone", "east", "cores", "2")))).isPresent();
        assertThat(NodeEligibility.rejectsNewTask(spec, node("c", Map.of("zone", "north", "cores", "8")))).isPresent();
        assertThat(NodeEligibility.rejectsNewTask(spec, node("special", Map.of()))).isEmpty();
    }

    @Test
    void aNodeWhereNoAgentRunsTakesNoNewTaskButKeepsARunningOne() {
        Node windows = withoutAgent("win-1", Map.of("kubernetes.io/os", "windows"));
        assertThat(NodeEligibility.rejectsNewTask(template(), windows))
                .hasValueSatisfying(why -> assertThat(why).contains("win-1", "runs no swarmnet agent", "swarmnet.io/agent=true"));
        assertThat(NodeEligibility.rejectsRunningTask(template(), windows)).isEmpty();
    }
}

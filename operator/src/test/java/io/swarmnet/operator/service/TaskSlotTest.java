package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskSlotTest {

    @Test
    void labelsRoundTrip() {
        assertThat(TaskSlot.fromLabel(TaskSlot.replicated(7).label())).isEqualTo(TaskSlot.replicated(7));
        assertThat(TaskSlot.fromLabel(TaskSlot.global("worker-1").label())).isEqualTo(TaskSlot.global("worker-1"));
    }

    @Test
    void longNodeNamesBecomeDistinctValidLabels() {
        String a = "node-" + "x".repeat(70) + "-a";
        String b = "node-" + "x".repeat(70) + "-b";

        assertThat(TaskSlot.nodeKey(a)).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
        assertThat(TaskSlot.nodeKey(a)).isNotEqualTo(TaskSlot.nodeKey(b));
        assertThat(TaskSlot.nodeKey("short.example")).isEqualTo("short.example");
    }

    @Test
    void slotsSortNumericallyThenByNode() {
        List<TaskSlot> slots = new java.util.ArrayList<>(List.of(TaskSlot.global("b"), TaskSlot.replicated(10),
                TaskSlot.global("a"), TaskSlot.replicated(2)));
        java.util.Collections.sort(slots);

        assertThat(slots).containsExactly(TaskSlot.replicated(2), TaskSlot.replicated(10), TaskSlot.global("a"), TaskSlot.global("b"));
    }

    @Test
    void templateHashIgnoresMapOrderButSeesEveryChange() {
        PodTemplateSpec one = new PodTemplateSpecBuilder().withNewMetadata().withLabels(new java.util.LinkedHashMap<>(Map.of("a", "1")))
                .endMetadata().withNewSpec().addNewContainer().withName("c").withImage("nginx:1").endContainer().endSpec().build();
        one.getMetadata().getLabels().put("b", "2");
        PodTemplateSpec reordered = new PodTemplateSpecBuilder(one).build();
        var labels = new java.util.LinkedHashMap<String, String>();
        labels.put("b", "2");
        labels.put("a", "1");
        reordered.getMetadata().setLabels(labels);
        PodTemplateSpec newImage = new PodTemplateSpecBuilder(one).editSpec().editFirstContainer().withImage("nginx:2")
                .endContainer().endSpec().build();

        assertThat(TemplateHash.of(one, List.of("n1"))).isEqualTo(TemplateHash.of(reordered, List.of("n1")));
        assertThat(TemplateHash.of(one, List.of("n1", "n2"))).isEqualTo(TemplateHash.of(one, List.of("n2", "n1")));
        assertThat(TemplateHash.of(one, List.of("n1"))).isNotEqualTo(TemplateHash.of(newImage, List.of("n1")));
        assertThat(TemplateHash.of(one, List.of("n1"))).isNotEqualTo(TemplateHash.of(one, List.of("n1", "n2")));
        assertThat(TemplateHash.of(one, List.of("n1"))).matches("[0-9a-f]{10}");
    }
}

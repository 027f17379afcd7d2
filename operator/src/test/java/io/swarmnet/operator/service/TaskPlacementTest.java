package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TaskPlacementTest {

    @Test
    void aPlacedTaskGoesToTheEligibleNodeWithFewestTasksOfItsService() {
        assertThat(TaskPlacement.spread(List.of("a", "b", "c"), List.of("a", "a", "b", "x", "x", "x"))).contains("c");
        assertThat(TaskPlacement.spread(List.of("a", "b"), List.of("a", "a", "b"))).contains("b");
    }

    @Test
    void amongEqualNodesTheFirstByNameIsTakenSoTheChoiceIsRepeatable() {
        assertThat(TaskPlacement.spread(List.of("c", "b", "d"), List.of())).contains("b");
        assertThat(TaskPlacement.spread(List.of("c", "b", "d"), List.of("b", "c"))).contains("d");
    }

    @Test
    void withoutAnEligibleNodeNothingIsChosen() {
        assertThat(TaskPlacement.spread(List.of(), List.of("a"))).isEmpty();
    }
}

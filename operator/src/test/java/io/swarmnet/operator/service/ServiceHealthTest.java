package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkStatus;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.operator.Conditions.Desired;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServiceHealthTest {

    private static Desired find(List<Desired> conditions, String type) {
        return conditions.stream().filter(c -> c.type().equals(type)).findFirst().orElseThrow();
    }

    @Test
    void allTasksReadyAndCurrentIsReadyAndNotProgressing() {
        var conditions = ServiceHealth.conditions(new ServiceHealth.Assessment(3, 3, new TaskPlan.Rollout(3, 3, 3, 0, false),
                null, 0, null));

        assertThat(find(conditions, "Ready")).isEqualTo(new Desired("Ready", "True", "AllTasksReady", "3/3 tasks ready"));
        assertThat(find(conditions, "Progressing").status()).isEqualTo("False");
        assertThat(find(conditions, "Progressing").reason()).isEqualTo("Complete");
        assertThat(find(conditions, "Degraded").status()).isEqualTo("False");
    }

    @Test
    void rollingUpdateIsProgressingAndSaysHowFar() {
        var conditions = ServiceHealth.conditions(new ServiceHealth.Assessment(3, 2, new TaskPlan.Rollout(3, 1, 1, 2, false),
                null, 0, "task web-1-x: waiting to be scheduled"));

        assertThat(find(conditions, "Ready").status()).isEqualTo("False");
        assertThat(find(conditions, "Ready").message()).isEqualTo("2/3 tasks ready; task web-1-x: waiting to be scheduled");
        assertThat(find(conditions, "Progressing").reason()).isEqualTo("Updating");
        assertThat(find(conditions, "Progressing").message()).contains("updated 1/3");
    }

    @Test
    void blockerMakesEveryConditionSayWhy() {
        var blocker = new ServiceHealth.Blocker("NetworkNotFound", "spec.networks names nope");
        var conditions = ServiceHealth.conditions(new ServiceHealth.Assessment(2, 0, new TaskPlan.Rollout(2, 0, 0, 0, false),
                blocker, 0, null));

        assertThat(conditions).extracting(Desired::reason).containsOnly("NetworkNotFound");
        assertThat(find(conditions, "Ready").status()).isEqualTo("False");
        assertThat(find(conditions, "Degraded").status()).isEqualTo("True");
    }

    @Test
    void failedTasksDegradeTheService() {
        var conditions = ServiceHealth.conditions(new ServiceHealth.Assessment(2, 1, new TaskPlan.Rollout(2, 2, 1, 0, false),
                null, 1, null));

        assertThat(find(conditions, "Degraded").status()).isEqualTo("True");
        assertThat(find(conditions, "Degraded").reason()).isEqualTo("TasksFailed");
    }

    private static OverlayNetwork network(String name, String ready, String subnet) {
        OverlayNetwork network = new OverlayNetwork();
        network.getMetadata().setName(name);
        network.getMetadata().setNamespace("shop");
        OverlayNetworkStatus status = new OverlayNetworkStatus();
        status.setSubnet(subnet);
        status.setGateway(subnet == null ? null : subnet.replace(".0/24", ".1"));
        if (ready != null) {
            status.setConditions(List.of(new ConditionBuilder().withType("Ready").withStatus(ready).withReason("SubnetConflict")
                    .withMessage("overlaps other").build()));
        }
        network.setStatus(status);
        return network;
    }

    @Test
    void networksMustExistAndBeReady() {
        Map<String, OverlayNetwork> cluster = Map.of(
                "front", network("front", "True", "10.0.9.0/24"),
                "broken", network("broken", "False", null),
                "fresh", network("fresh", null, null));

        ServiceNetworks ok = ServiceNetworks.resolve("shop", List.of(new NetworkAttachment("front")),
                n -> Optional.ofNullable(cluster.get(n.name())), ns -> Optional.of(Map.of()));
        assertThat(ok.usable()).isTrue();
        assertThat(ok.networks()).extracting(n -> n.subnet().toString()).containsExactly("10.0.9.0/24");

        ServiceNetworks missing = ServiceNetworks.resolve("shop", List.of(new NetworkAttachment("front"), new NetworkAttachment("nope")),
                n -> Optional.ofNullable(cluster.get(n.name())), ns -> Optional.of(Map.of()));
        assertThat(missing.blocker().reason()).isEqualTo("NetworkNotFound");
        assertThat(missing.blocker().message()).contains("nope").contains("shop");

        ServiceNetworks notReady = ServiceNetworks.resolve("shop", List.of(new NetworkAttachment("broken"), new NetworkAttachment("fresh")),
                n -> Optional.ofNullable(cluster.get(n.name())), ns -> Optional.of(Map.of()));
        assertThat(notReady.blocker().reason()).isEqualTo("NetworkNotReady");
        assertThat(notReady.blocker().message()).contains("broken (SubnetConflict: overlaps other)").contains("fresh (not reconciled yet)");
    }
}

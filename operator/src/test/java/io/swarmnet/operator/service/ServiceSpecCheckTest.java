package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.UpdateConfig;
import org.junit.jupiter.api.Test;

class ServiceSpecCheckTest {

    private static SwarmService service() {
        return TestServices.web();
    }

    @Test
    void aServiceWithAContainerAndNothingElseIsFine() {
        assertThat(ServiceSpecCheck.problem(service())).isNull();
    }

    @Test
    void aTemplateWithoutContainersIsInvalidSayingWhatToAdd() {
        SwarmService service = service();
        service.getSpec().getTemplate().getSpec().getContainers().clear();

        assertThat(ServiceSpecCheck.problem(service)).isEqualTo(ServiceHealth.Blocker.invalidSpec(
                "spec.template.spec.containers is missing or empty; give the pod template at least one container"));
    }

    @Test
    void negativeReplicasAndABadUpdateConfigAreInvalidNamingTheField() {
        SwarmService negative = service();
        negative.getSpec().setReplicas(-1);
        assertThat(ServiceSpecCheck.problem(negative).message()).isEqualTo("spec.replicas is -1; use 0 or more");

        SwarmService badUpdate = service();
        UpdateConfig update = new UpdateConfig();
        update.setMaxFailureRatio(1.5);
        badUpdate.getSpec().setUpdateConfig(update);
        var blocker = ServiceSpecCheck.problem(badUpdate);
        assertThat(blocker.reason()).isEqualTo(ServiceHealth.REASON_INVALID_SPEC);
        assertThat(blocker.message()).startsWith("spec.updateConfig.maxFailureRatio 1.5");
    }
}

package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.service.EndpointPort;
import io.swarmnet.api.service.PortProtocol;
import io.swarmnet.api.service.PublishMode;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceStatus;
import io.swarmnet.api.service.TaskStatus;
import io.swarmnet.api.service.TemplateRevision;
import io.swarmnet.api.service.UpdateState;
import io.swarmnet.api.service.UpdateStatus;
import io.swarmnet.api.service.VirtualIP;
import io.swarmnet.operator.Conditions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ServiceStatusReportTest {

    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    private static SwarmService service(int replicas) {
        SwarmService service = TestServices.web();
        service.getMetadata().setGeneration(4L);
        service.getSpec().setReplicas(replicas);
        return service;
    }

    private static Pod task(int slot, String suffix, boolean ready) {
        return new PodBuilder().withNewMetadata().withName("web-" + slot + "-" + suffix).withCreationTimestamp("2026-12-01T08:00:00Z")
                .withLabels(Map.of(SwarmnetKeys.LABEL_SLOT, String.valueOf(slot), SwarmnetKeys.LABEL_TEMPLATE_HASH, "h1"))
                .withAnnotations(Map.of(SwarmnetKeys.ANNOTATION_ADDRESSES, "{\"front\":\"10.0.9." + (2 + slot) + "\"}"))
                .endMetadata().withNewSpec().withNodeName("node-1").endSpec().withNewStatus().withPhase("Running")
                .withConditions(ObservedTaskTest.condition(SwarmnetKeys.CONDITION_ATTACHED, "True"),
                        ObservedTaskTest.condition("Ready", ready ? "True" : "False"))
                .endStatus().build();
    }

    @Test
    void aBlockedServiceShowsItsTasksAsTheyAreAndTheRolloutAsItsLastStatusHadIt() {
        SwarmServiceStatus last = new SwarmServiceStatus();
        UpdateStatus update = new UpdateStatus();
        update.setState(UpdateState.PAUSED);
        last.setUpdateStatus(update);
        last.setCurrentTemplate(new TemplateRevision("h1", null));
        last.setPreviousTemplate(new TemplateRevision("h0", null));
        last.setHandledRollback("2");
        TaskStatus ended = new TaskStatus();
        ended.setName("web-1-old00");
        ended.setSlot(1);
        last.setTaskHistory(List.of(ended));
        last.setEndpoints(List.of(new EndpointPort(PublishMode.INGRESS, PortProtocol.TCP, 80, 30080)));

        SwarmServiceStatus status = ServiceStatusReport.blocked(service(3), List.of("front"),
                List.of(task(1, "aaaaa", true), task(2, "bbbbb", false)),
                new ServiceHealth.Blocker(ServiceHealth.REASON_NETWORK_NOT_READY, "network front is not Ready"),
                List.of(new VirtualIP("front", "10.0.9.100")), Map.of("front", Cidr.parse("10.0.9.0/24")), last, NOW);

        assertThat(status.getTasksReady()).isEqualTo("1/3");
        assertThat(status.getReplicas()).isEqualTo(2);
        assertThat(status.getTasks()).extracting(TaskStatus::getName).containsExactly("web-1-aaaaa", "web-2-bbbbb");
        assertThat(status.getVirtualIPs()).extracting(VirtualIP::getAddress).containsExactly("10.0.9.100");
        assertThat(status.getObservedGeneration()).isEqualTo(4L);
        var ready = Conditions.find(status.getConditions(), ServiceHealth.READY);
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo(ServiceHealth.REASON_NETWORK_NOT_READY);
        assertThat(status.getUpdateStatus()).isSameAs(update);
        assertThat(status.getCurrentTemplate().getHash()).isEqualTo("h1");
        assertThat(status.getPreviousTemplate().getHash()).isEqualTo("h0");
        assertThat(status.getHandledRollback()).isEqualTo("2");
        assertThat(status.getTaskHistory()).containsExactly(ended);
        assertThat(status.getEndpoints()).extracting(EndpointPort::getPublishedPort).containsExactly(30080);
    }

    @Test
    void aServiceBlockedBeforeItEverRanHasNoRolloutToShow() {
        SwarmServiceStatus status = ServiceStatusReport.blocked(service(2), List.of("front"), List.of(),
                new ServiceHealth.Blocker(ServiceHealth.REASON_NETWORK_NOT_FOUND, "network front does not exist"),
                List.of(), Map.of(), null, NOW);

        assertThat(status.getTasksReady()).isEqualTo("0/2");
        assertThat(status.getUpdateStatus()).isNull();
        assertThat(status.getCurrentTemplate()).isNull();
        assertThat(status.getTaskHistory()).isEmpty();
        assertThat(Conditions.find(status.getConditions(), ServiceHealth.READY).getReason())
                .isEqualTo(ServiceHealth.REASON_NETWORK_NOT_FOUND);
    }

    @Test
    void aRoundShowsTheTasksItRemovedAsTerminatingThenThoseItCreated() {
        Pod kept = task(1, "aaaaa", true);
        Pod removed = task(2, "bbbbb", true);
        Pod created = task(3, "ccccc", false);

        List<Pod> shown = ServiceStatusReport.shown(List.of(kept, removed), Set.of("web-2-bbbbb"), List.of(created), NOW);

        assertThat(shown).extracting(p -> p.getMetadata().getName()).containsExactly("web-1-aaaaa", "web-2-bbbbb", "web-3-ccccc");
        assertThat(shown).extracting(p -> new ObservedTask(p).state())
                .containsExactly(ObservedTask.State.Ready, ObservedTask.State.Terminating, ObservedTask.State.Running);
        assertThat(removed.getMetadata().getDeletionTimestamp()).as("the cached pod is left as it is").isNull();
        assertThat(ServiceHealth.notReadyHint(shown)).as("the terminating task is no reason to wait")
                .isEqualTo("task web-3-ccccc: running, containers not ready");
    }
}

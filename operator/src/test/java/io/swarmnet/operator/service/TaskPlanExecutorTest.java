package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.TaskStatus;
import io.swarmnet.operator.ClusterEvents;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.TestCluster;
import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.ipam.AddressOwner;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class TaskPlanExecutorTest {

    /** One assignable address: .0 is the network, .1 the gateway, .3 the broadcast. */
    private static final Cidr TINY = Cidr.parse("10.0.9.0/30");
    private static final AllocatableNetwork FRONT = new AllocatableNetwork("default", "front", TINY, TINY, TINY.first().plus(1));

    private final AddressLedger ledger = AddressLedger.empty();
    private final TaskAddressBook book = new TaskAddressBook(ledger, (namespace, pod) -> false);
    private final List<Pod> seen = new ArrayList<>();
    private final TaskPlanExecutor executor = new TaskPlanExecutor(OperatorConfig.defaults(), book, new TaskNodes(Stream::empty),
            new TaskRefusal(), seen::add);

    private static SwarmService create(KubernetesClient client) {
        return client.resource(TestServices.web()).create();
    }

    private static TaskPlan plan(List<TaskPlan.Creation> creations, List<TaskPlan.Removal> removals) {
        return new TaskPlan(creations, removals, new TaskPlan.Rollout(2, 0, 0, 0, false), Optional.empty());
    }

    private static TaskPlanExecutor.Round round(SwarmService service, List<Pod> taskPods) {
        return new TaskPlanExecutor.Round(service, service, taskPods, Map.of(), "h1", List.of(FRONT), Map.of("front", TINY),
                Instant.parse("2026-12-01T10:00:00Z"));
    }

    @Test
    void aCreationAnsweredAlreadyExistsIsTheSamePodWhenItCarriesTheAddressesJustAllocated() {
        try (TestCluster cluster = TestCluster.start()) {
            KubernetesClient client = cluster.client();
            Pod pod = new PodBuilder().withNewMetadata().withName("web-1-abcde").withNamespace("default")
                    .addToLabels(SwarmnetKeys.LABEL_SERVICE, "web")
                    .addToAnnotations(SwarmnetKeys.ANNOTATION_ADDRESSES, "{\"front\":\"10.0.9.2\"}")
                    .endMetadata().withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build();
            // what a first attempt that got no answer in time left: the client's second attempt is answered 409
            Pod first = client.pods().inNamespace("default").resource(pod).create();

            assertThat(TaskPlanExecutor.createOnce(client, pod).getMetadata().getUid()).isEqualTo(first.getMetadata().getUid());

            // a pod of that name with other addresses is someone else's: the conflict stands
            Pod other = new PodBuilder(pod).editMetadata().addToAnnotations(SwarmnetKeys.ANNOTATION_ADDRESSES, "{\"front\":\"10.0.9.3\"}")
                    .endMetadata().build();
            assertThatThrownBy(() -> TaskPlanExecutor.createOnce(client, other)).isInstanceOfSatisfying(KubernetesClientException.class,
                    e -> assertThat(e.getCode()).isEqualTo(409));
        }
    }

    @Test
    void createsTasksUntilTheAddressesRunOutAndSaysWhy() {
        try (TestCluster cluster = TestCluster.start()) {
            KubernetesClient client = cluster.client();
            SwarmService service = create(client);

            TaskPlanExecutor.Outcome outcome = executor.execute(client, new ClusterEvents(client), plan(List.of(
                    new TaskPlan.Creation(TaskSlot.replicated(1), TaskPlan.CreationReason.NEW),
                    new TaskPlan.Creation(TaskSlot.replicated(2), TaskPlan.CreationReason.NEW)), List.of()), round(service, List.of()));

            assertThat(outcome.created()).hasSize(1).isEqualTo(seen);
            Pod task = outcome.created().get(0);
            assertThat(new ObservedTask(task).addresses().byNetwork()).containsEntry("front", IpAddress.parse("10.0.9.2"));
            assertThat(ledger.holdings("default", "front")).containsExactly(
                    Map.entry(IpAddress.parse("10.0.9.2"), AddressOwner.task(task.getMetadata().getName())));
            assertThat(client.pods().inNamespace("default").list().getItems()).extracting(p -> p.getMetadata().getName())
                    .containsExactly(task.getMetadata().getName());
            assertThat(outcome.failed().reason()).isEqualTo(ServiceHealth.REASON_ADDRESS_POOL_EXHAUSTED);
            assertThat(outcome.failed().message()).startsWith("cannot start the task for slot 2: ");
            assertThat(outcome.refusal()).isNull();
        }
    }

    @Test
    void tasksCreatedBeforeAFailureEndsTheRoundAreStillTold() {
        Cidr eight = Cidr.parse("10.0.8.0/29");
        AllocatableNetwork wide = new AllocatableNetwork("default", "front", eight, eight, eight.first().plus(1));
        List<Pod> made = new ArrayList<>();
        TaskPlanExecutor failing = new TaskPlanExecutor(OperatorConfig.defaults(), new TaskAddressBook(AddressLedger.empty(),
                (namespace, pod) -> false), new TaskNodes(Stream::empty), new TaskRefusal(), pod -> {
                    made.add(pod);
                    if (made.size() == 2) {
                        throw new KubernetesClientException("no answer: the connection was lost", 0, null);
                    }
                });
        try (TestCluster cluster = TestCluster.start()) {
            KubernetesClient client = cluster.client();
            SwarmService service = create(client);
            ClusterEvents events = new ClusterEvents(client);

            assertThatThrownBy(() -> failing.execute(client, events, plan(List.of(
                    new TaskPlan.Creation(TaskSlot.replicated(1), TaskPlan.CreationReason.NEW),
                    new TaskPlan.Creation(TaskSlot.replicated(2), TaskPlan.CreationReason.NEW)), List.of()),
                    new TaskPlanExecutor.Round(service, service, List.of(), Map.of(), "h1", List.of(wide), Map.of("front", eight),
                            Instant.parse("2026-12-01T10:00:00Z")))).isInstanceOf(KubernetesClientException.class);

            assertThat(events.flush(Duration.ofSeconds(10))).isTrue();
            assertThat(client.v1().events().inNamespace("default").list().getItems()).singleElement().satisfies(e -> {
                assertThat(e.getReason()).isEqualTo("TaskCreated");
                assertThat(e.getMessage()).startsWith("created task " + made.get(0).getMetadata().getName() + " for slot 1 ");
            });
        }
    }

    @Test
    void deletesTheTasksItRemovesAndKeepsTheHistoryOfThoseItSaw() {
        try (TestCluster cluster = TestCluster.start()) {
            KubernetesClient client = cluster.client();
            SwarmService service = create(client);
            Pod old = client.pods().resource(new PodBuilder().withNewMetadata().withName("web-1-aaaaa").withNamespace("default")
                    .addToLabels(SwarmnetKeys.LABEL_SERVICE, "web").addToLabels(SwarmnetKeys.LABEL_SLOT, "1").endMetadata()
                    .withNewSpec().addNewContainer().withName("web").withImage("nginx").endContainer().endSpec().build()).create();

            TaskPlanExecutor.Outcome outcome = executor.execute(client, new ClusterEvents(client), plan(List.of(), List.of(
                    new TaskPlan.Removal("web-1-aaaaa", TaskSlot.replicated(1), TaskPlan.RemovalReason.UPDATE),
                    new TaskPlan.Removal("web-3-bbbbb", TaskSlot.replicated(3), TaskPlan.RemovalReason.SLOT_REMOVED))),
                    round(service, List.of(old)));

            assertThat(outcome.removed()).containsExactlyInAnyOrder("web-1-aaaaa", "web-3-bbbbb");
            assertThat(outcome.ended()).extracting(TaskStatus::getName).containsExactly("web-1-aaaaa");
            assertThat(outcome.ended().get(0).getMessage()).startsWith("replaced by a task of template h1");
            assertThat(outcome.created()).isEmpty();
            TestCluster.eventually(Duration.ofSeconds(10), "the removed task is gone",
                    () -> client.pods().inNamespace("default").withName("web-1-aaaaa").get() == null);
        }
    }
}

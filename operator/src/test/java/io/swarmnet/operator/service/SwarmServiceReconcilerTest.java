package io.swarmnet.operator.service;

import static io.swarmnet.operator.service.ServiceFixture.addressOf;
import static io.swarmnet.operator.service.ServiceFixture.slotOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import io.swarmnet.api.service.EndpointMode;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.TaskStatus;
import io.swarmnet.operator.ipam.AddressLedger;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The SwarmService reconciler inside the whole operator, against the embedded API server. */
class SwarmServiceReconcilerTest {

    private static final String NS = "shop";

    private ServiceFixture cluster;
    private FakeKubelet kubelet;

    @BeforeEach
    void start() {
        cluster = new ServiceFixture(NS);
        kubelet = new FakeKubelet(cluster.client, NS);
    }

    @AfterEach
    void stop() {
        kubelet.close();
        cluster.close();
    }

    private Set<String> slots(String service) {
        Set<String> slots = new HashSet<>();
        cluster.pods(service).forEach(p -> slots.add(slotOf(p).label()));
        return slots;
    }

    @Test
    void threeReplicasGetThreePodsWithDistinctAddressesAndAVirtualIp() {
        cluster.network("my-network", "10.0.9.0/24", true);
        cluster.service("my-web", 3, List.of("my-network"), spec -> { });

        cluster.eventually("3 task pods exist", () -> cluster.pods("my-web").size() == 3);
        List<Pod> pods = cluster.pods("my-web");
        assertThat(pods).extracting(p -> slotOf(p).number()).containsExactly(1, 2, 3);
        assertThat(pods).extracting(p -> p.getMetadata().getName()).allMatch(n -> n.matches("my-web-[123]-[a-z0-9]{5}"));
        Cidr subnet = Cidr.parse("10.0.9.0/24");
        IpAddress gateway = cluster.gatewayOf("my-network");
        Set<IpAddress> taskAddresses = new HashSet<>();
        for (Pod pod : pods) {
            IpAddress address = addressOf(pod, "my-network");
            assertThat(subnet.contains(address)).as("%s inside %s", address, subnet).isTrue();
            assertThat(address).isNotEqualTo(gateway);
            taskAddresses.add(address);
            assertThat(pod.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(o -> assertThat(o.getController()).isTrue());
            assertThat(pod.getSpec().getReadinessGates()).extracting(g -> g.getConditionType())
                    .contains(SwarmnetKeys.CONDITION_ATTACHED);
            assertThat(pod.getSpec().getDnsConfig().getNameservers()).containsExactly("127.0.0.11");
            assertThat(pod.getSpec().getDnsConfig().getSearches()).containsExactly("shop.svc.cluster.local", "svc.cluster.local",
                    "cluster.local");
        }
        assertThat(taskAddresses).hasSize(3);

        cluster.eventually("status has a virtual IP", () -> !cluster.get("my-web").getStatus().getVirtualIPs().isEmpty());
        SwarmService service = cluster.get("my-web");
        IpAddress vip = IpAddress.parse(service.getStatus().getVirtualIPs().get(0).getAddress());
        assertThat(service.getStatus().getVirtualIPs()).singleElement().satisfies(v -> assertThat(v.getNetwork()).isEqualTo("my-network"));
        assertThat(subnet.contains(vip)).isTrue();
        assertThat(vip).isNotEqualTo(gateway).isNotIn(taskAddresses);
        assertThat(cluster.hasCondition("my-web", "Ready", "False", "TasksNotReady")).isTrue();

        kubelet.startAll();
        cluster.eventually("the service is Ready", () -> cluster.hasCondition("my-web", "Ready", "True", "AllTasksReady"));
        service = cluster.get("my-web");
        assertThat(service.getStatus().getTasksReady()).isEqualTo("3/3");
        assertThat(service.getStatus().getReadyReplicas()).isEqualTo(3);
        assertThat(service.getStatus().getReplicas()).isEqualTo(3);
        assertThat(service.getStatus().getNetworkNames()).isEqualTo("my-network");
        assertThat(service.getStatus().getSelector()).isEqualTo("swarmnet.io/service=my-web");
        assertThat(service.getStatus().getObservedGeneration()).isEqualTo(service.getMetadata().getGeneration());
        assertThat(cluster.condition("my-web", "Ready").getObservedGeneration()).isEqualTo(service.getMetadata().getGeneration());
        assertThat(cluster.hasCondition("my-web", "Progressing", "False", "Complete")).isTrue();
        assertThat(cluster.hasCondition("my-web", "Degraded", "False", null)).isTrue();
        assertThat(service.getStatus().getTasks()).extracting(TaskStatus::getSlot).containsExactly(1, 2, 3);
        assertThat(service.getStatus().getTasks()).allSatisfy(task -> {
            assertThat(task.getState()).isEqualTo("Ready");
            assertThat(task.getNode()).isNotBlank();
            assertThat(task.getAddresses()).singleElement().satisfies(a -> {
                IpAddress ip = IpAddress.parse(a.getAddress().substring(0, a.getAddress().indexOf('/')));
                assertThat(a.getAddress()).endsWith("/24");
                assertThat(a.getMac()).isEqualTo(MacAddress.forTask(ip).toString());
                assertThat(taskAddresses).contains(ip);
            });
        });
    }

    @Test
    void dnsrrServiceHasNoVirtualIpAndSwitchingToItReleasesTheVip() {
        cluster.network("my-network", null, true);
        cluster.service("my-dnsrr", 2, List.of("my-network"), spec -> spec.setEndpointMode(EndpointMode.DNSRR));
        cluster.service("my-web", 1, List.of("my-network"), spec -> { });

        cluster.eventually("both services have their tasks", () -> cluster.pods("my-dnsrr").size() == 2 && cluster.pods("my-web").size() == 1);
        cluster.eventually("my-web has a VIP", () -> !cluster.get("my-web").getStatus().getVirtualIPs().isEmpty());
        assertThat(cluster.get("my-dnsrr").getStatus().getVirtualIPs()).isEmpty();
        AddressLedger ledger = cluster.operator.ledger();
        assertThat(ledger.addressOf(NS, "my-network", AddressLedger.vipOwner("my-dnsrr"))).isEmpty();
        assertThat(ledger.addressOf(NS, "my-network", AddressLedger.vipOwner("my-web"))).isPresent();

        cluster.edit("my-web", spec -> spec.setEndpointMode(EndpointMode.DNSRR));

        cluster.eventually("my-web's VIP is gone", () -> cluster.get("my-web").getStatus().getVirtualIPs().isEmpty());
        assertThat(ledger.addressOf(NS, "my-network", AddressLedger.vipOwner("my-web"))).isEmpty();
    }

    @Test
    void scalingUpAddsSlotsAndScalingDownRemovesTheHighestAndFreesTheirAddresses() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 3, List.of("my-network"), spec -> { });
        cluster.eventually("3 tasks", () -> cluster.pods("my-web").size() == 3);

        cluster.edit("my-web", spec -> spec.setReplicas(5));
        cluster.eventually("5 tasks in slots 1..5", () -> slots("my-web").equals(Set.of("1", "2", "3", "4", "5")));
        List<Pod> five = cluster.pods("my-web");

        cluster.edit("my-web", spec -> spec.setReplicas(2));
        cluster.eventually("slots 1 and 2 remain", () -> slots("my-web").equals(Set.of("1", "2")));
        assertThat(cluster.pods("my-web")).extracting(p -> p.getMetadata().getName())
                .containsExactly(five.get(0).getMetadata().getName(), five.get(1).getMetadata().getName());
        AddressLedger ledger = cluster.operator.ledger();
        for (Pod gone : five.subList(2, 5)) {
            cluster.eventually("address of " + gone.getMetadata().getName() + " released",
                    () -> ledger.addressOf(NS, "my-network", AddressLedger.taskOwner(gone.getMetadata().getName())).isEmpty());
        }
        cluster.eventually("status shows 2 replicas", () -> cluster.get("my-web").getStatus().getReplicas() == 2
                && cluster.get("my-web").getStatus().getTasks().size() == 2);
    }

    @Test
    void deletedTaskIsReplacedInTheSameSlotWithAnAddress() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 3, List.of("my-network"), spec -> { });
        cluster.eventually("3 tasks", () -> cluster.pods("my-web").size() == 3);
        Pod victim = cluster.pods("my-web").get(1);

        cluster.client.pods().inNamespace(NS).withName(victim.getMetadata().getName()).delete();

        cluster.eventually("slot 2 has a new task", () -> cluster.pods("my-web").stream()
                .anyMatch(p -> slotOf(p).number() == 2 && !p.getMetadata().getName().equals(victim.getMetadata().getName())));
        Pod replacement = cluster.pods("my-web").stream().filter(p -> slotOf(p).number() == 2).findFirst().orElseThrow();
        assertThat(replacement.getMetadata().getName()).startsWith("my-web-2-");
        assertThat(addressOf(replacement, "my-network")).isNotNull();
        assertThat(cluster.pods("my-web")).hasSize(3);
        cluster.eventually("the deleted task's address is released", () -> cluster.operator.ledger()
                .addressOf(NS, "my-network", AddressLedger.taskOwner(victim.getMetadata().getName())).isEmpty());
    }

    @Test
    void failedTaskIsReplacedInTheSameSlotAndReported() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 2, List.of("my-network"), spec -> { });
        cluster.eventually("2 tasks", () -> cluster.pods("my-web").size() == 2);
        kubelet.startAll();
        Pod victim = cluster.pods("my-web").get(0);

        kubelet.fail(victim.getMetadata().getName(), "container web exited with code 137 (OOMKilled)");

        cluster.eventually("slot 1 has a new task", () -> cluster.pods("my-web").stream()
                .anyMatch(p -> slotOf(p).number() == 1 && !p.getMetadata().getName().equals(victim.getMetadata().getName())));
        assertThat(cluster.pods("my-web")).extracting(p -> slotOf(p).number()).containsExactly(1, 2);
        cluster.eventually("a TaskFailed event names the task", () -> cluster.client.v1().events().inNamespace(NS).list().getItems()
                .stream().anyMatch(e -> "TaskFailed".equals(e.getReason()) && e.getMessage().contains(victim.getMetadata().getName())
                        && e.getMessage().contains("OOMKilled")));
    }
}

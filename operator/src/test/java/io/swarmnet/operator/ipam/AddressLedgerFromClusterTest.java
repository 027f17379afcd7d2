package io.swarmnet.operator.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.TestCluster;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AddressLedgerFromClusterTest {

    @Test
    void rebuiltLedgerNeverHandsOutAnAddressTheClusterHolds() throws Exception {
        try (TestCluster cluster = TestCluster.start()) {
            KubernetesClient client = cluster.client();
            Set<IpAddress> held = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                IpAddress a = IpAddress.parse("10.0.9." + (2 + i * 3));
                IpAddress b = IpAddress.parse("10.0.10." + (2 + i));
                held.add(a);
                client.pods().resource(new PodBuilder().withNewMetadata().withName("web-" + i).withNamespace("default")
                        .addToLabels(SwarmnetKeys.LABEL_SERVICE, "web")
                        .addToAnnotations(SwarmnetKeys.ANNOTATION_ADDRESSES, new TaskAddresses(Map.of("front", a, "back", b)).format())
                        .endMetadata().withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build()).create();
            }
            TestCluster.serviceWithVirtualIp(client, "default", "web", new io.swarmnet.api.service.NetworkAttachment("front"), "front", "10.0.9.100");
            held.add(IpAddress.parse("10.0.9.100"));

            AddressLedger ledger = loadedFrom(client);
            assertThat(ledger.inUse("default", "front")).isEqualTo(21);
            assertThat(ledger.inUse("default", "back")).isEqualTo(20);
            assertThat(ledger.addressOf("default", "front", AddressOwner.task("web-3"))).contains(IpAddress.parse("10.0.9.11"));
            assertThat(ledger.addressOf("default", "front", AddressOwner.virtualIps("web"))).contains(IpAddress.parse("10.0.9.100"));

            Cidr subnet = Cidr.parse("10.0.9.0/24");
            AllocatableNetwork front = new AllocatableNetwork("default", "front", subnet, subnet, IpAddress.parse("10.0.9.1"));
            Set<IpAddress> handed = new HashSet<>();
            for (int i = 0; i < 253 - 21; i++) {
                handed.add(ledger.allocate(front, AddressOwner.task("new-" + i)));
            }
            assertThat(handed).hasSize(232).doesNotContainAnyElementsOf(held);
            assertThat(ledger.allocate(front, AddressOwner.virtualIps("web"))).isEqualTo(IpAddress.parse("10.0.9.100"));
        }
    }

    @Test
    void rebuildsASharedNetworkFromTheTasksAndVirtualIpsOfEveryNamespaceOnIt() throws Exception {
        try (TestCluster cluster = TestCluster.start()) {
            KubernetesClient client = cluster.client();
            for (String namespace : List.of("infra", "shop", "blog")) {
                client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
                        .withName(namespace).endMetadata().build()).create();
            }
            client.pods().resource(taskPod("infra", "traefik-1-aaaaa", "traefik", Map.of("proxy", IpAddress.parse("10.0.9.2")))).create();
            client.pods().resource(taskPod("shop", "web-1-bbbbb", "web", Map.of("infra/proxy", IpAddress.parse("10.0.9.3"),
                    "backend", IpAddress.parse("10.0.20.2")))).create();
            // one pod name in two namespaces: two owners
            client.pods().resource(taskPod("blog", "web-1-bbbbb", "web", Map.of("infra/proxy", IpAddress.parse("10.0.9.4")))).create();
            TestCluster.serviceWithVirtualIp(client, "shop", "web", new io.swarmnet.api.service.NetworkAttachment("infra", "proxy"),
                    "infra/proxy", "10.0.9.100");

            AddressLedger ledger = loadedFrom(client);
            assertThat(ledger.inUse("infra", "proxy")).isEqualTo(4);
            assertThat(ledger.addressOf("shop", "infra/proxy", AddressOwner.task("web-1-bbbbb"))).contains(IpAddress.parse("10.0.9.3"));
            assertThat(ledger.addressOf("blog", "infra/proxy", AddressOwner.task("web-1-bbbbb"))).contains(IpAddress.parse("10.0.9.4"));
            assertThat(ledger.addressOf("shop", "infra/proxy", AddressOwner.virtualIps("web"))).contains(IpAddress.parse("10.0.9.100"));
            assertThat(ledger.inUse("shop", "backend")).isEqualTo(1);

            Cidr subnet = Cidr.parse("10.0.9.0/29");
            AllocatableNetwork fromInfra = new AllocatableNetwork("infra", "proxy", subnet, subnet, IpAddress.parse("10.0.9.1"));
            assertThat(ledger.allocate(fromInfra, AddressOwner.task("new"))).isIn(IpAddress.parse("10.0.9.5"), IpAddress.parse("10.0.9.6"));
        }
    }

    @Test
    void passesOverPodsThatAreNeitherTasksNorAttachedAndKeepsAttachedPodsApart() {
        AddressLedger ledger = AddressLedger.loading();
        io.fabric8.kubernetes.api.model.Pod attached = new PodBuilder(taskPod("default", "debug", "x", Map.of("net", IpAddress.parse("10.0.9.5"))))
                .editMetadata().withLabels(Map.of(SwarmnetKeys.LABEL_ATTACHED_POD, "true")).endMetadata().build();
        io.fabric8.kubernetes.api.model.Pod stranger = new PodBuilder(taskPod("default", "other", "x", Map.of("net", IpAddress.parse("10.0.9.6"))))
                .editMetadata().withLabels(Map.of("app", "other")).endMetadata().build();
        ledger.load(java.util.stream.Stream.of(taskPod("default", "web-1", "web", Map.of("net", IpAddress.parse("10.0.9.4"))), attached, stranger),
                java.util.stream.Stream.empty());

        assertThat(ledger.holdings("default", "net")).containsOnly(
                Map.entry(IpAddress.parse("10.0.9.4"), AddressOwner.task("web-1")),
                Map.entry(IpAddress.parse("10.0.9.5"), AddressOwner.attachedPod("debug")));
    }

    @Test
    void aLedgerStillLoadingHoldsItsCallersUntilItIsLoaded() throws Exception {
        AddressLedger ledger = AddressLedger.loading();
        Cidr subnet = Cidr.parse("10.0.9.0/29");
        AllocatableNetwork net = new AllocatableNetwork("default", "net", subnet, subnet, IpAddress.parse("10.0.9.1"));
        java.util.concurrent.CompletableFuture<IpAddress> handed = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return ledger.allocate(net, AddressOwner.task("new"));
            } catch (AddressPoolExhaustedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertThat(handed).as("nothing is handed out before the ledger knows what the cluster holds").isNotDone();
        assertThat(ledger.isLoaded()).isFalse();

        // the cluster holds every address but one (10.0.9.1 is the gateway)
        ledger.load(java.util.stream.Stream.of(2, 3, 4, 5).map(i -> taskPod("default", "web-" + i, "web",
                Map.of("net", IpAddress.parse("10.0.9." + i)))), java.util.stream.Stream.empty());

        assertThat(handed.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(IpAddress.parse("10.0.9.6"));
        assertThat(ledger.isLoaded()).isTrue();
    }

    /** The ledger as the operator loads it, from every pod and SwarmService listed. */
    private static AddressLedger loadedFrom(KubernetesClient client) {
        AddressLedger ledger = AddressLedger.loading();
        ledger.load(client.pods().inAnyNamespace().list().getItems().stream(),
                client.resources(SwarmService.class).inAnyNamespace().list().getItems().stream());
        return ledger;
    }

    private static io.fabric8.kubernetes.api.model.Pod taskPod(String namespace, String name, String service,
                                                              Map<String, IpAddress> addresses) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .addToLabels(SwarmnetKeys.LABEL_SERVICE, service)
                .addToAnnotations(SwarmnetKeys.ANNOTATION_ADDRESSES, new TaskAddresses(addresses).format())
                .endMetadata().withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build();
    }
}

package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.TestCluster;
import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.ipam.AddressOwner;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import io.swarmnet.operator.service.template.TemplateException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class TaskAddressBookTest {

    private static final Cidr SUBNET = Cidr.parse("10.0.9.0/24");
    private static final AllocatableNetwork FRONT = new AllocatableNetwork("default", "front", SUBNET, SUBNET, SUBNET.first().plus(1));

    private final AddressLedger ledger = AddressLedger.empty();
    /** What the pod cache shows (namespace/name): in these tests, only what a test puts there. */
    private final Set<String> cache = ConcurrentHashMap.newKeySet();
    private final TaskAddressBook book = new TaskAddressBook(ledger, (namespace, pod) -> cache.contains(namespace + "/" + pod));

    private static SwarmService service() {
        return TestServices.web();
    }

    private static Pod task(String name, TaskAddresses addresses) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("default")
                .addToLabels(SwarmnetKeys.LABEL_SERVICE, "web")
                .addToAnnotations(SwarmnetKeys.ANNOTATION_ADDRESSES, addresses.format())
                .endMetadata().withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build();
    }

    @Test
    void aTaskWhosePodIsNotCreatedGivesItsAddressesBackAtOnce() {
        assertThatThrownBy(() -> book.create("default", "web-1-abcde", List.of(FRONT), addresses -> {
            assertThat(addresses.byNetwork()).containsKey("front");
            throw new TemplateException("hostname does not resolve");
        })).isInstanceOf(TemplateException.class);

        assertThat(ledger.holdings("default", "front")).isEmpty();
    }

    @Test
    void aCreationRefusedByTheApiServerGivesTheAddressesBackAtOnce() {
        assertThatThrownBy(() -> book.create("default", "web-1-abcde", List.of(FRONT), addresses -> {
            throw new KubernetesClientException("pods \"web-1-abcde\" is forbidden: exceeded quota", 403, null);
        })).isInstanceOf(KubernetesClientException.class);

        assertThat(ledger.holdings("default", "front")).isEmpty();
    }

    @Test
    void aCreationThatGotNoAnswerOrAServerFailureKeepsTheAddressesForTheSweepToJudge() throws Exception {
        // the request may have been carried out: the pod may run with these addresses
        for (KubernetesClientException unanswered : List.of(new KubernetesClientException("timed out", new java.net.http.HttpTimeoutException("request timed out")),
                new KubernetesClientException("the server was unable to return a response in the time allotted", 504, null),
                new KubernetesClientException("etcdserver: leader changed", 500, null))) {
            String pod = "web-" + unanswered.getCode() + "-abcde";
            assertThatThrownBy(() -> book.create("default", pod, List.of(FRONT), addresses -> {
                throw unanswered;
            })).isSameAs(unanswered);

            assertThat(ledger.addressOf("default", "front", AddressOwner.task(pod))).as(unanswered.getMessage()).isPresent();
        }
        // where the API server then has no such pod, the orphan sweep gives the addresses back
        try (TestCluster cluster = TestCluster.start()) {
            assertThat(book.podGone(cluster.client(), "default", "web-504-abcde")).isTrue();
        }
    }

    @Test
    void aTaskBeingCreatedKeepsItsAddressesThoughNeitherCacheNorApiShowItsPod() throws Exception {
        try (TestCluster cluster = TestCluster.start()) {
            KubernetesClient client = cluster.client();
            boolean[] goneWhileCreating = {true};
            Pod created = book.create("default", "web-1-abcde", List.of(FRONT), addresses -> {
                goneWhileCreating[0] = book.podGone(client, "default", "web-1-abcde");
                return client.pods().resource(task("web-1-abcde", addresses)).create();
            });

            assertThat(goneWhileCreating[0]).isFalse();
            assertThat(ledger.addressOf("default", "front", AddressOwner.task("web-1-abcde")))
                    .contains(new ObservedTask(created).addresses().byNetwork().get("front"));
            assertThat(book.podGone(client, "default", "web-1-abcde")).isFalse();
        }
    }

    @Test
    void aVanishedTaskLosesItsAddressesOnlyOnceTheApiServerHasNoPod() throws Exception {
        try (TestCluster cluster = TestCluster.start()) {
            KubernetesClient client = cluster.client();
            Pod created = book.create("default", "web-1-abcde", List.of(FRONT),
                    addresses -> client.pods().resource(task("web-1-abcde", addresses)).create());
            cache.add("default/web-1-abcde");
            book.releaseVanished(client, service(), List.of(created));

            // the cache lost it, the API server still has it: the pod may still answer on its address
            cache.clear();
            book.releaseVanished(client, service(), List.of());
            assertThat(ledger.addressOf("default", "front", AddressOwner.task("web-1-abcde"))).isPresent();

            client.pods().inNamespace("default").withName("web-1-abcde").withGracePeriod(0).delete();
            TestCluster.eventually(Duration.ofSeconds(10), "the pod is gone",
                    () -> client.pods().inNamespace("default").withName("web-1-abcde").get() == null);
            book.releaseVanished(client, service(), List.of());
            assertThat(ledger.holdings("default", "front")).isEmpty();
        }
    }
}

package io.swarmnet.agent.cluster;

import static io.swarmnet.agent.ClusterObjects.attachedPod;
import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.node;
import static io.swarmnet.agent.ClusterObjects.service;
import static io.swarmnet.agent.ClusterObjects.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.agent.NodeAgent;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ParsedStoreTest {

    final ParsedStore<Pod, CachedPod> store = new ParsedStore<>(new PodParser("n1")::read);
    final List<OverlayNetwork> networks = List.of(network("net").allocated("10.0.9.0/24", "10.0.9.1", 4097).build());

    /** A task as the operator and a kubelet leave it: a template's container, search path, managed fields, container states. */
    static Pod fullTask(String name, String node, String address) {
        return new PodBuilder(task(name, "web").on(node).address("net", address).ready().build())
                .editMetadata().withResourceVersion("7").addNewManagedField().withManager("kubelet").withOperation("Update")
                    .withNewFieldsV1().addToAdditionalProperties("f:status", Map.of()).endFieldsV1().endManagedField()
                    .addToAnnotations("kubectl.kubernetes.io/restartedAt", "2026-12-05T10:00:00Z").endMetadata()
                .editSpec().editFirstContainer().withCommand("/bin/sh", "-c").withArgs("exec nginx -g 'daemon off;'")
                    .addNewEnv().withName("ROLE").withValue("web").endEnv().endContainer()
                    .withNewDnsConfig().withNameservers("127.0.0.11").withSearches("default.svc.cluster.local", "cluster.local").endDnsConfig()
                    .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume().endSpec()
                .editStatus().withPodIP("172.16.0.9").withContainerStatuses(new ContainerStatusBuilder().withName("main").withReady(true)
                    .withImage("busybox").withNewState().withNewRunning().withStartedAt("2026-12-05T10:00:02Z").endRunning().endState()
                    .build()).endStatus()
                .build();
    }

    @Test
    void aPodIsKeptAsTheTaskItReadsAs() {
        store.put("ns/web-1", fullTask("web-1", "n2", "10.0.9.3"));

        TaskInfo task = store.kept("ns/web-1").orElseThrow().task().orElseThrow();
        assertThat(task.pod()).isEqualTo(new PodRef(ClusterObjects.NS, "web-1", "uid-web-1"));
        assertThat(task.service()).isEqualTo("web");
        assertThat(task.node()).contains("n2");
        assertThat(task.addresses()).isEqualTo(Map.of("net", IpAddress.parse("10.0.9.3")));
        assertThat(task.ready()).isTrue();
        assertThat(task.dnsSearches()).containsExactly("default.svc.cluster.local", "cluster.local");
        assertThat(task.podAliases()).isEmpty();
    }

    @Test
    void deletingPodsPodsWithoutContainersReadyAndAttachedPodsReadAsTheirWholeObjects() {
        Pod deleting = new PodBuilder(fullTask("web-2", "n1", "10.0.9.4")).editMetadata().withDeletionTimestamp("2026-12-05T11:00:00Z")
                .endMetadata().build();
        Pod withoutContainersReady = fullTask("web-3", "n2", "10.0.9.5");
        // a pod whose kubelet wrote no ContainersReady condition: the containers' readiness decides
        withoutContainersReady.getStatus().getConditions().removeIf(c -> c.getType().equals("ContainersReady"));
        Pod attached = attachedPod("client-1").on("n1").address("net", "10.0.9.9").aliases("net", "helper").ready().build();
        PodParser parser = new PodParser("n1");

        assertThat(parser.read(deleting).task().orElseThrow().deleting()).isTrue();
        assertThat(parser.read(withoutContainersReady).task().orElseThrow().containersReady()).as("web-3 read from its containers").isTrue();
        CachedPod client = parser.read(attached);
        assertThat(client.serviceLabel()).isFalse();
        assertThat(client.task().orElseThrow().standalone()).isTrue();
        assertThat(client.task().orElseThrow().podAliases()).isEqualTo(Map.of("net", List.of("helper")));
    }

    @Test
    void theAttachedConditionIsKeptForTheAgentsOwnPodsOnly() {
        store.put("ns/web-1", fullTask("web-1", "n1", "10.0.9.3"));
        store.put("ns/web-2", fullTask("web-2", "n2", "10.0.9.4"));

        assertThat(store.kept("ns/web-1").orElseThrow().attachedCondition().map(CachedPod.ConditionSeen::status)).contains("True");
        assertThat(store.kept("ns/web-2").orElseThrow().attachedCondition()).as("a pod of another node").isEmpty();
        assertThat(store.kept("ns/web-2").orElseThrow().task().orElseThrow().attached()).isTrue();
    }

    @Test
    void stringsEveryPodRepeatsAreKeptOnce() {
        PodParser parser = new PodParser("n1");
        TaskInfo first = parser.read(fullTask("web-1", "n1", "10.0.9.3")).task().orElseThrow();
        TaskInfo second = parser.read(fullTask("web-2", "n1", "10.0.9.4")).task().orElseThrow();

        assertThat(second.service()).isSameAs(first.service());
        assertThat(second.node().orElseThrow()).isSameAs(first.node().orElseThrow());
        assertThat(second.pod().namespace()).isSameAs(first.pod().namespace());
        assertThat(second.phase()).isSameAs(first.phase());
        assertThat(second.dnsSearches()).isSameAs(first.dnsSearches());
        assertThat(second.addresses().keySet().iterator().next()).isSameAs(first.addresses().keySet().iterator().next());
        assertThat(second.pod().name()).isEqualTo("web-2");
    }

    @Test
    void theInformerSeesReferencesThatNameTheObjectAndItsVersion() {
        Pod first = fullTask("web-1", "n1", "10.0.9.3");
        assertThat(store.put("ns/web-1", first)).isNull();
        Pod next = fullTask("web-1", "n1", "10.0.9.4");
        next.getMetadata().setResourceVersion("8");

        Pod previous = store.put("ns/web-1", next);

        // what the informer compares to tell an update, and what it drops on a new list
        assertThat(previous.getMetadata().getResourceVersion()).isEqualTo("7");
        assertThat(previous.getMetadata().getName()).isEqualTo("web-1");
        assertThat(previous.getMetadata().getNamespace()).isEqualTo(ClusterObjects.NS);
        assertThat(previous.getSpec()).isNull();
        assertThat(store.getKey(previous)).isEqualTo(store.getKey(next));
        assertThat(store.get("ns/web-1").getMetadata().getResourceVersion()).isEqualTo("8");
        assertThat(store.kept("ns/web-1").orElseThrow().task().orElseThrow().addresses()).containsEntry("net", IpAddress.parse("10.0.9.4"));
        assertThat(store.remove("ns/web-1").getMetadata().getUid()).isEqualTo("uid-web-1");
        assertThat(store.size()).isZero();
    }

    @Test
    void problemsOfCachedPodsAreReportedInEverySnapshotAndNotAccumulated() {
        store.put("ns/bad", task("bad", "web").on("n1").annotation("{").build());

        ClusterSnapshot.Reader reader = ClusterSnapshot.reader();
        for (int i = 0; i < 3; i++) {
            assertThat(reader.read(store.kept().toList(), List.of(), networks, List.of()).problems())
                    .singleElement().satisfies(p -> assertThat(p.reason()).isEqualTo("InvalidAddresses"));
        }
        store.remove("ns/bad");
        assertThat(reader.read(store.kept().toList(), List.of(), networks, List.of()).problems()).isEmpty();
    }

    @Test
    void aServiceIsKeptAsItsNetworksAndVirtualIps() {
        SwarmService web = service("web").network("net", "www").vip("net", "10.0.9.2").build();
        web.getMetadata().setResourceVersion("3");
        ParsedStore<SwarmService, CachedService> services = new ParsedStore<>(ServiceParser::read);

        services.put("ns/web", web);

        ServiceInfo info = services.kept("ns/web").orElseThrow().service().orElseThrow();
        assertThat(info.networks()).containsExactly(new ServiceNetwork("net", List.of("www")));
        assertThat(info.virtualIps()).isEqualTo(Map.of("net", IpAddress.parse("10.0.9.2")));
        assertThat(services.get("ns/web").getMetadata().getResourceVersion()).isEqualTo("3");
        assertThat(services.get("ns/web").getSpec()).as("no template kept").isNull();
    }

    @Test
    void theAgentsInformersKeepWhatTheyRead() throws Exception {
        try (SandboxApiServer api = SandboxApiServer.start();
             // as the DaemonSet's agent builds its client: watch events read as the watched kinds only
             KubernetesClient client = NodeAgent.clientBuilder().withConfig(api.client().getConfiguration()).build()) {
            ClusterObjects.createPod(client, fullTask("web-1", "n1", "10.0.9.3"));
            ClusterObjects.createPod(client, attachedPod("client-1").on("n1").address("net", "10.0.9.9").ready().build());
            // a task that joined attachable networks too: both informers see it, the snapshot lists it once
            Pod both = task("web-2", "web").on("n1").address("net", "10.0.9.4").ready().build();
            both.getMetadata().getLabels().put(SwarmnetKeys.LABEL_ATTACHED_POD, SwarmnetKeys.ATTACHED_POD);
            ClusterObjects.createPod(client, both);
            ClusterObjects.createWithStatus(client, service("web").network("net").vip("net", "10.0.9.2").build());
            ClusterObjects.createWithStatus(client, networks.get(0));
            client.resource(node("n1", "192.0.2.1")).create();
            try (ClusterWatch watch = new ClusterWatch(client, "n1", () -> { })) {
                watch.start();
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!(watch.synced() && watch.snapshot().tasks().size() == 3 && !watch.snapshot().services().isEmpty())
                        && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                ClusterSnapshot snapshot = watch.snapshot();
                assertThat(snapshot.tasks()).extracting(t -> t.pod().name()).containsExactly("client-1", "web-1", "web-2");
                assertThat(snapshot.services()).containsOnlyKeys(new ServiceKey(ClusterObjects.NS, "web"));
                assertThat(watch.pod(ClusterObjects.NS, "web-1")).hasValueSatisfying(p -> {
                    assertThat(p.ref().uid()).isNotBlank();
                    assertThat(p.attachedCondition().map(CachedPod.ConditionSeen::status)).isEqualTo(Optional.of("True"));
                });
            }
        }
    }
}

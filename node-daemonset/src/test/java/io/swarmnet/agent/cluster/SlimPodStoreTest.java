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
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SlimPodStoreTest {

    final SlimPodStore store = new SlimPodStore();

    /** A task as the operator and a kubelet leave it: a template's container, search path, managed fields, container states. */
    static Pod fullTask(String name, String node, String address) {
        return new PodBuilder(task(name, "web").on(node).address("net", address).ready().build())
                .editMetadata().withResourceVersion("7").addNewManagedField().withManager("kubelet").withOperation("Update")
                    .withNewFieldsV1().addToAdditionalProperties("f:status", java.util.Map.of()).endFieldsV1().endManagedField()
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
    void theKeptCopyReadsAsTheSameTaskAsTheWholePod() {
        Pod withoutContainersReady = fullTask("web-3", "n2", "10.0.9.5");
        // a pod whose kubelet wrote no ContainersReady condition: the containers' readiness decides
        withoutContainersReady.getStatus().getConditions().removeIf(c -> c.getType().equals("ContainersReady"));
        List<Pod> pods = List.of(fullTask("web-1", "n1", "10.0.9.3"),
                new PodBuilder(fullTask("web-2", "n1", "10.0.9.4")).editMetadata().withDeletionTimestamp("2026-12-05T11:00:00Z").endMetadata().build(),
                withoutContainersReady,
                attachedPod("client-1").on("n1").address("net", "10.0.9.9").aliases("net", "helper").ready().build());
        var services = List.of(service("web").network("net").vip("net", "10.0.9.2").build());
        var networks = List.of(network("net").allocated("10.0.9.0/24", "10.0.9.1", 4097).build());
        var nodes = List.of(node("n1", "192.0.2.1"), node("n2", "192.0.2.2"));

        ClusterSnapshot whole = ClusterSnapshot.of(pods, services, networks, nodes);
        ClusterSnapshot kept = ClusterSnapshot.of(pods.stream().map(store::slim).toList(), services, networks, nodes);

        assertThat(whole.tasks()).hasSize(4);
        assertThat(kept.tasks()).isEqualTo(whole.tasks());
        assertThat(kept.problems()).isEqualTo(whole.problems());
        assertThat(whole.tasks().get(2).containersReady()).as("web-3 read from its containers").isTrue();
    }

    @Test
    void theKeptCopyHoldsNoTemplateNoManagedFieldsNoContainerStates() {
        Pod slim = store.slim(fullTask("web-1", "n1", "10.0.9.3"));

        assertThat(slim.getSpec().getContainers()).isEmpty();
        assertThat(slim.getSpec().getVolumes()).isEmpty();
        assertThat(slim.getSpec().getReadinessGates()).isEmpty();
        assertThat(slim.getSpec().getDnsConfig().getNameservers()).isEmpty();
        assertThat(slim.getSpec().getDnsConfig().getSearches()).containsExactly("default.svc.cluster.local", "cluster.local");
        assertThat(slim.getMetadata().getManagedFields()).isEmpty();
        assertThat(slim.getStatus().getPodIP()).isNull();
        assertThat(slim.getStatus().getContainerStatuses()).as("ContainersReady says it").isEmpty();
        Pod noCondition = fullTask("web-2", "n1", "10.0.9.4");
        noCondition.getStatus().getConditions().removeIf(c -> c.getType().equals("ContainersReady"));
        assertThat(store.slim(noCondition).getStatus().getContainerStatuses()).singleElement().satisfies(c -> {
            assertThat(c.getReady()).isTrue();
            assertThat(c.getState()).isNull();
            assertThat(c.getImage()).isNull();
        });
        // what the condition publisher compares and patches with
        assertThat(slim.getMetadata().getName()).isEqualTo("web-1");
        assertThat(slim.getMetadata().getResourceVersion()).isEqualTo("7");
        assertThat(slim.getStatus().getConditions()).extracting(PodCondition::getType)
                .containsExactly("ContainersReady", SwarmnetKeys.CONDITION_ATTACHED);
    }

    @Test
    void stringsEveryPodRepeatsAreKeptOnce() {
        Pod first = store.slim(fullTask("web-1", "n1", "10.0.9.3"));
        Pod second = store.slim(fullTask("web-2", "n1", "10.0.9.4"));

        assertThat(second.getStatus().getConditions().get(0).getType()).isSameAs(first.getStatus().getConditions().get(0).getType());
        assertThat(second.getMetadata().getLabels().get(SwarmnetKeys.LABEL_SERVICE))
                .isSameAs(first.getMetadata().getLabels().get(SwarmnetKeys.LABEL_SERVICE));
        assertThat(second.getSpec().getNodeName()).isSameAs(first.getSpec().getNodeName());
        assertThat(second.getMetadata().getName()).isEqualTo("web-2");
    }

    @Test
    void theAgentsInformersKeepOnlyTheSlimCopy() throws Exception {
        try (SandboxApiServer api = SandboxApiServer.start()) {
            KubernetesClient client = api.client();
            ClusterObjects.createPod(client, fullTask("web-1", "n1", "10.0.9.3"));
            ClusterObjects.createPod(client, attachedPod("client-1").on("n1").address("net", "10.0.9.9").ready().build());
            try (ClusterWatch watch = new ClusterWatch(client, () -> { })) {
                watch.start();
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!(watch.synced() && watch.pod(ClusterObjects.NS, "web-1").isPresent()
                        && watch.pod(ClusterObjects.NS, "client-1").isPresent()) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(Stream.of("web-1", "client-1").map(name -> watch.pod(ClusterObjects.NS, name).orElseThrow()))
                        .allSatisfy(cached -> {
                            assertThat(cached.getSpec().getContainers()).as("containers of %s", cached.getMetadata().getName()).isEmpty();
                            assertThat(cached.getMetadata().getUid()).isNotBlank();
                        });
                assertThat(watch.snapshot().tasks()).extracting(t -> t.pod().name()).containsExactlyInAnyOrder("web-1", "client-1");
            }
        }
    }
}

package io.swarmnet.sandboxapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Informers and watches over WebSocket see every change; leases and events work for leader election and reporting. */
class WatchTest {

    private static SandboxApiServer api;
    private static KubernetesClient client;

    @BeforeAll
    static void start() {
        api = SandboxApiServer.start();
        client = api.client();
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void informerSeesAMergePatchThatRemovesAListElementAndTheFinalDelete() throws Exception {
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        SharedIndexInformer<GenericKubernetesResource> informer = Objects.networks(client).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource obj) {
                seen.add("add " + obj.getMetadata().getName());
            }

            @Override
            public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
                seen.add("update " + newObj.getMetadata().getName() + " " + ObjectSemanticsTest.statusOf(newObj).get("conditions"));
            }

            @Override
            public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
                seen.add("delete " + obj.getMetadata().getName());
            }
        });
        try {
            Objects.networks(client).resource(Objects.network("watched", "10.0.30.0/24")).create();
            assertThat(seen.poll(20, TimeUnit.SECONDS)).isEqualTo("add watched");
            var status = Objects.networks(client).withName("watched").subresource("status");
            status.patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"},{\"type\":\"Degraded\",\"status\":\"True\"}]}}");
            assertThat(seen.poll(20, TimeUnit.SECONDS)).contains("Degraded");
            status.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
            String update = seen.poll(20, TimeUnit.SECONDS);
            assertThat(update).startsWith("update watched").contains("Ready").doesNotContain("Degraded");
            Objects.networks(client).withName("watched").delete();
            assertThat(seen.poll(20, TimeUnit.SECONDS)).isEqualTo("delete watched");
        } finally {
            informer.close();
        }
    }

    @Test
    void informerReceivesObjectsLargerThanOneWebSocketFrame() throws Exception {
        BlockingQueue<Integer> sizes = new LinkedBlockingQueue<>();
        var informer = client.configMaps().withLabel("size", "large").inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(io.fabric8.kubernetes.api.model.ConfigMap obj) {
                sizes.add(obj.getData().get("blob").length());
            }

            @Override
            public void onUpdate(io.fabric8.kubernetes.api.model.ConfigMap oldObj, io.fabric8.kubernetes.api.model.ConfigMap newObj) {
                sizes.add(newObj.getData().get("blob").length());
            }

            @Override
            public void onDelete(io.fabric8.kubernetes.api.model.ConfigMap obj, boolean deletedFinalStateUnknown) {
            }
        });
        try {
            String blob = "x".repeat(900_000);
            client.configMaps().resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withName("large")
                    .addToLabels("size", "large").endMetadata().addToData("blob", blob).build()).create();
            assertThat(sizes.poll(20, TimeUnit.SECONDS)).isEqualTo(900_000);
        } finally {
            informer.close();
        }
    }

    @Test
    void watchResumesFromAResourceVersionWithoutReplayingOlderChanges() throws Exception {
        client.configMaps().resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withName("resume")
                .addToLabels("watch", "resume").endMetadata().addToData("v", "0").build()).create();
        String from = client.configMaps().withLabel("watch", "resume").list().getMetadata().getResourceVersion();
        client.configMaps().withName("resume").edit(c -> {
            c.getData().put("v", "1");
            return c;
        });
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        try (Watch ignored = client.configMaps().withLabel("watch", "resume")
                .watch(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withResourceVersion(from).build(), new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, io.fabric8.kubernetes.api.model.ConfigMap resource) {
                        events.add(action + " " + resource.getData().get("v"));
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                })) {
            assertThat(events.poll(20, TimeUnit.SECONDS)).isEqualTo("MODIFIED 1");
            client.configMaps().withName("resume").edit(c -> {
                c.getData().put("v", "2");
                return c;
            });
            assertThat(events.poll(20, TimeUnit.SECONDS)).isEqualTo("MODIFIED 2");
            assertThat(events).isEmpty();
        }
    }

    @Test
    void leaseLeaderElectionElectsOneLeaderAndStaleLeaseUpdatesConflict() throws Exception {
        CountDownLatch leading = new CountDownLatch(1);
        var elector = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
                .withName("operator").withLeaseDuration(Duration.ofSeconds(15)).withRenewDeadline(Duration.ofSeconds(10))
                .withRetryPeriod(Duration.ofMillis(200))
                .withLock(new LeaseLock("default", "swarmnet-operator", "replica-a"))
                .withLeaderCallbacks(new LeaderCallbacks(leading::countDown, () -> { }, leader -> { }))
                .build()).build();
        CompletableFuture<?> running = elector.start();
        try {
            assertThat(leading.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(client.leases().withName("swarmnet-operator").get().getSpec().getHolderIdentity()).isEqualTo("replica-a");
        } finally {
            running.cancel(true);
        }
        // With the elector stopped nothing else renews the lease: a second writer's stale copy must conflict.
        // A renewal already in flight when it was cancelled may still land, so wait until the lease stays
        // unchanged for more than two retry periods (at most 5 s).
        Lease stale = client.leases().withName("swarmnet-operator").get();
        for (int i = 0; i < 10; i++) {
            Thread.sleep(500);
            Lease now = client.leases().withName("swarmnet-operator").get();
            if (now.getMetadata().getResourceVersion().equals(stale.getMetadata().getResourceVersion())) {
                break;
            }
            stale = now;
        }
        client.leases().withName("swarmnet-operator").edit(l -> new LeaseBuilder(l).editSpec()
                .withRenewTime(ZonedDateTime.now().plusSeconds(1)).endSpec().build());
        Lease takeover = new LeaseBuilder(stale).editSpec().withHolderIdentity("replica-b").endSpec().build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.leases().resource(takeover).update())
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(409));
        assertThat(client.leases().withName("swarmnet-operator").get().getSpec().getHolderIdentity()).isNotEqualTo("replica-b");
    }

    @Test
    void eventsAreStoredAndFoundByTheirInvolvedObject() {
        client.v1().events().resource(new EventBuilder().withNewMetadata().withName("net.1").endMetadata()
                .withNewInvolvedObject().withKind("OverlayNetwork").withName("my-network").withNamespace("default").endInvolvedObject()
                .withReason("SubnetAllocated").withMessage("10.0.9.0/24").withType("Normal").build()).create();
        List<io.fabric8.kubernetes.api.model.Event> found = client.v1().events()
                .withFields(Map.of("involvedObject.kind", "OverlayNetwork", "involvedObject.name", "my-network")).list().getItems();
        assertThat(found).extracting(io.fabric8.kubernetes.api.model.Event::getReason).containsExactly("SubnetAllocated");
        assertThat(client.v1().events().withField("involvedObject.name", "other").list().getItems()).isEmpty();
    }
}

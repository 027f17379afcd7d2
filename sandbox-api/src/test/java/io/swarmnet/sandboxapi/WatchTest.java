package io.swarmnet.sandboxapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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

    /** What client-go's informers ask for since 1.35 (kubectl wait, kubectl delete): a watch list, which ends its initial state with a bookmark. */
    @Test
    void watchListSendsEveryObjectThenABookmarkThenTheChangesAfterIt() throws Exception {
        client.configMaps().resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withName("listed")
                .addToLabels("watch", "list").endMetadata().addToData("v", "0").build()).create();
        String before = client.configMaps().withLabel("watch", "list").list().getMetadata().getResourceVersion();
        HttpRequest request = HttpRequest.newBuilder(URI.create(api.url() + "/api/v1/namespaces/default/configmaps?watch=1"
                + "&labelSelector=watch%3Dlist&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
                + "&resourceVersion=" + before + "&timeoutSeconds=30")).build();
        HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofLines());
        Iterator<String> lines = response.body().iterator();
        try {
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode added = Json.parse(lines.next().getBytes(StandardCharsets.UTF_8));
            assertThat(added.path("type").asText()).isEqualTo("ADDED");
            assertThat(added.at("/object/metadata/name").asText()).isEqualTo("listed");

            JsonNode bookmark = Json.parse(lines.next().getBytes(StandardCharsets.UTF_8));
            assertThat(bookmark.path("type").asText()).isEqualTo("BOOKMARK");
            assertThat(bookmark.at("/object/kind").asText()).isEqualTo("ConfigMap");
            assertThat(bookmark.at("/object/apiVersion").asText()).isEqualTo("v1");
            assertThat(bookmark.at("/object/metadata/annotations/k8s.io~1initial-events-end").asText()).isEqualTo("true");
            assertThat(bookmark.at("/object/metadata/resourceVersion").asLong()).isGreaterThanOrEqualTo(Long.parseLong(before));

            client.configMaps().withName("listed").edit(c -> {
                c.getData().put("v", "1");
                return c;
            });
            JsonNode modified = Json.parse(lines.next().getBytes(StandardCharsets.UTF_8));
            assertThat(modified.path("type").asText()).isEqualTo("MODIFIED");
            assertThat(modified.at("/object/data/v").asText()).isEqualTo("1");
        } finally {
            response.body().close();
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

package io.swarmnet.sandboxapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.swarmnet.api.KubernetesClients;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Lists in pages ({@code limit}, {@code continue}), as the node agent's and the operator's informers
 * ask for them and as kube-apiserver serves them.
 */
class ListPagingTest {

    /** 1,203 pods, every third labelled {@code tier=web}, the others {@code tier=db}. */
    private static final String PAGED = "paged";
    private static final int PAGED_PODS = 1_203;
    private static final String INFORMED = "informed";
    private static final int INFORMED_PODS = 1_000;

    private static SandboxApiServer api;
    private static KubernetesClient client;

    @BeforeAll
    static void start() {
        api = SandboxApiServer.start();
        client = api.client();
        createPods(PAGED, PAGED_PODS, i -> Map.of("tier", i % 3 == 0 ? "web" : "db"));
        createPods(INFORMED, INFORMED_PODS, i -> Map.of());
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void limitPagesThroughEveryPodOnceInNameOrderAtTheFirstPagesResourceVersion() {
        List<PodList> pages = pages(PAGED, new ListOptionsBuilder().withLimit(500L));

        assertThat(pages).extracting(page -> page.getItems().size()).containsExactly(500, 500, 203);
        assertThat(pages).extracting(page -> page.getMetadata().getRemainingItemCount()).containsExactly(703L, 203L, null);
        assertThat(pages).extracting(page -> page.getMetadata().getContinue() != null).containsExactly(true, true, false);
        assertThat(pages).extracting(page -> page.getMetadata().getResourceVersion()).containsOnly(
                pages.get(0).getMetadata().getResourceVersion());
        assertThat(names(pages)).isEqualTo(podNames(IntStream.range(0, PAGED_PODS)));
    }

    @Test
    void aSelectorKeepsSelectingOnContinuedPagesAndHidesTheRemainingCount() {
        List<PodList> web = pages(PAGED, new ListOptionsBuilder().withLimit(150L).withLabelSelector("tier=web"));

        assertThat(web).extracting(page -> page.getItems().size()).containsExactly(150, 150, 101);
        assertThat(web).extracting(page -> page.getMetadata().getRemainingItemCount()).containsOnlyNulls();
        assertThat(web).extracting(page -> page.getMetadata().getContinue() != null).containsExactly(true, true, false);
        assertThat(names(web)).isEqualTo(podNames(IntStream.range(0, PAGED_PODS).filter(i -> i % 3 == 0)));

        List<PodList> byField = pages(PAGED, new ListOptionsBuilder().withLimit(1_000L).withFieldSelector("metadata.namespace=" + PAGED));
        assertThat(byField).extracting(page -> page.getItems().size()).containsExactly(1_000, 203);
        assertThat(byField.get(0).getMetadata().getRemainingItemCount()).isNull();
    }

    @Test
    void aLimitAboveTheCountIsOnePageWithoutContinueAndWithoutCount() {
        List<PodList> pages = pages(INFORMED, new ListOptionsBuilder().withLimit(5_000L));

        assertThat(pages).hasSize(1);
        assertThat(pages.get(0).getItems()).hasSize(INFORMED_PODS);
        assertThat(pages.get(0).getMetadata().getContinue()).isNull();
        assertThat(pages.get(0).getMetadata().getRemainingItemCount()).isNull();
    }

    /** What an informer relies on: the watch it starts from the list's resourceVersion replays what changed while it paged. */
    @Test
    void continuedPagesReportTheFirstResourceVersionAndAWatchFromItSeesWhatChangedMeanwhile() throws Exception {
        createPods("meanwhile", 5, i -> Map.of());
        PodList first = client.pods().inNamespace("meanwhile").list(new ListOptionsBuilder().withLimit(2L).build());
        String listVersion = first.getMetadata().getResourceVersion();

        client.pods().inNamespace("meanwhile").withName("pod-0000").edit(pod -> new PodBuilder(pod).editMetadata()
                .addToAnnotations("touched", "yes").endMetadata().build());
        client.pods().inNamespace("meanwhile").resource(pod("pod-0009", Map.of())).create();
        PodList second = client.pods().inNamespace("meanwhile").list(new ListOptionsBuilder().withLimit(2L)
                .withContinue(first.getMetadata().getContinue()).build());
        PodList third = client.pods().inNamespace("meanwhile").list(new ListOptionsBuilder().withLimit(2L)
                .withContinue(second.getMetadata().getContinue()).build());

        assertThat(List.of(second, third)).extracting(page -> page.getMetadata().getResourceVersion()).containsOnly(listVersion);
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        try (Watch ignored = client.pods().inNamespace("meanwhile").watch(
                new ListOptionsBuilder().withResourceVersion(listVersion).build(), new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, Pod pod) {
                        events.add(action + " " + pod.getMetadata().getName());
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                })) {
            assertThat(events.poll(20, TimeUnit.SECONDS)).isEqualTo("MODIFIED pod-0000");
            assertThat(events.poll(20, TimeUnit.SECONDS)).isEqualTo("ADDED pod-0009");
        }
    }

    @Test
    void aLimitThatIsNotAWholeNumberIsABadRequest() throws Exception {
        JsonNode words = get("/api/v1/namespaces/paged/pods?limit=ten", "application/json");
        assertThat(words.path("code").asInt()).isEqualTo(400);
        assertThat(words.path("reason").asText()).isEqualTo("BadRequest");
        assertThat(words.path("message").asText()).contains("limit \"ten\"");

        JsonNode negative = get("/api/v1/namespaces/paged/pods?limit=-1", "application/json");
        assertThat(negative.path("code").asInt()).isEqualTo(400);
        assertThat(negative.path("message").asText()).contains("limit -1");
    }

    @Test
    void aContinueTokenThisServerDidNotIssueIsABadRequest() throws Exception {
        String fromPaged = client.pods().inNamespace(PAGED).list(new ListOptionsBuilder().withLimit(10L).build())
                .getMetadata().getContinue();
        String forged = Base64.getUrlEncoder().encodeToString("{\"rv\":\"x\",\"after\":\"pod-0001\"}".getBytes(StandardCharsets.UTF_8));

        for (String token : List.of("not a token", forged)) {
            JsonNode status = get("/api/v1/namespaces/paged/pods?limit=10&continue=" + encode(token), "application/json");
            assertThat(status.path("code").asInt()).as(token).isEqualTo(400);
            assertThat(status.path("reason").asText()).isEqualTo("BadRequest");
            assertThat(status.path("message").asText()).startsWith("invalid continue token");
        }
        JsonNode elsewhere = get("/api/v1/namespaces/informed/pods?limit=10&continue=" + encode(fromPaged), "application/json");
        assertThat(elsewhere.path("code").asInt()).isEqualTo(400);
        assertThat(elsewhere.path("message").asText()).contains("namespace paged, not of informed");
        JsonNode withVersion = get("/api/v1/namespaces/paged/pods?limit=10&resourceVersion=5&continue=" + encode(fromPaged),
                "application/json");
        assertThat(withVersion.path("code").asInt()).isEqualTo(400);
        assertThat(withVersion.path("message").asText()).contains("resourceVersion");
    }

    @Test
    void tablesArePagedLikeLists() throws Exception {
        String accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
        JsonNode first = get("/api/v1/namespaces/paged/pods?limit=1000", accept);
        JsonNode last = get("/api/v1/namespaces/paged/pods?limit=1000&continue=" + encode(first.at("/metadata/continue").asText()), accept);

        assertThat(first.path("kind").asText()).isEqualTo("Table");
        assertThat(first.path("rows")).hasSize(1_000);
        assertThat(first.at("/metadata/remainingItemCount").asLong()).isEqualTo(203);
        assertThat(last.path("rows")).hasSize(203);
        assertThat(last.at("/metadata/continue").isMissingNode()).isTrue();
        assertThat(last.at("/metadata/resourceVersion")).isEqualTo(first.at("/metadata/resourceVersion"));
        assertThat(last.at("/rows/202/cells/0").asText()).isEqualTo("pod-1202");
    }

    /** The node agent's and the operator's informers list this way: pages of a fixed size, then a watch. */
    @Test
    void anInformerListingPagesOfAHundredSyncsAThousandPodsThenSeesALaterChange() throws Exception {
        List<URI> lists = new CopyOnWriteArrayList<>();
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(api.url()).withNamespace(INFORMED)
                .withRequestRetryBackoffLimit(0).build();
        try (KubernetesClient counted = KubernetesClients.builder().withConfig(config)
                .withHttpClientBuilderConsumer(builder -> builder.addOrReplaceInterceptor("lists", new Interceptor() {
                    @Override
                    public void before(BasicBuilder basic, HttpRequest request, RequestTags tags) {
                        String query = request.uri().getRawQuery();
                        if (request.method().equals("GET") && (query == null || !query.contains("watch="))) {
                            lists.add(request.uri());
                        }
                    }
                })).build()) {
            Set<String> added = java.util.concurrent.ConcurrentHashMap.newKeySet();
            BlockingQueue<String> later = new LinkedBlockingQueue<>();
            SharedIndexInformer<Pod> informer = counted.pods().withLimit(100L).inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Pod pod) {
                    if (!added.add(pod.getMetadata().getName())) {
                        later.add("added twice " + pod.getMetadata().getName());
                    }
                }

                @Override
                public void onUpdate(Pod before, Pod after) {
                    if (!before.getMetadata().getResourceVersion().equals(after.getMetadata().getResourceVersion())) {
                        later.add("updated " + after.getMetadata().getName() + " " + after.getMetadata().getAnnotations());
                    }
                }

                @Override
                public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
                    later.add("deleted " + pod.getMetadata().getName());
                }
            });
            try {
                assertThat(informer.hasSynced()).isTrue();
                assertThat(informer.getStore().list()).hasSize(INFORMED_PODS);
                // the handler hears of the listed pods after the sync, in order, each once
                Eventually.await("the handler hears of every pod", Duration.ofSeconds(20), () -> added.size() >= INFORMED_PODS);
                assertThat(added).hasSize(INFORMED_PODS);
                assertThat(lists).hasSize(INFORMED_PODS / 100);
                assertThat(lists).allMatch(uri -> uri.getRawQuery().contains("limit=100"));
                assertThat(lists.subList(1, lists.size())).allMatch(uri -> uri.getRawQuery().contains("continue="));

                client.pods().inNamespace(INFORMED).withName("pod-0500").edit(pod -> new PodBuilder(pod).editMetadata()
                        .addToAnnotations("seen", "later").endMetadata().build());
                assertThat(later.poll(20, TimeUnit.SECONDS)).isEqualTo("updated pod-0500 {seen=later}");
                assertThat(later).isEmpty();
            } finally {
                informer.close();
            }
        }
    }

    private static void createPods(String namespace, int count, java.util.function.IntFunction<Map<String, String>> labels) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        for (int i = 0; i < count; i++) {
            client.pods().inNamespace(namespace).resource(pod(podName(i), labels.apply(i))).create();
        }
    }

    private static Pod pod(String name, Map<String, String> labels) {
        return new PodBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("main").withImage("busybox").endContainer().endSpec().build();
    }

    /** Zero-padded, so that name order is creation order. */
    private static String podName(int i) {
        return "pod-%04d".formatted(i);
    }

    private static List<String> podNames(IntStream indexes) {
        return indexes.mapToObj(ListPagingTest::podName).toList();
    }

    /** Every page of a list, following {@code continue} (at most 20 pages, so a token that never ends fails the test). */
    private static List<PodList> pages(String namespace, ListOptionsBuilder options) {
        List<PodList> pages = new ArrayList<>();
        String token = null;
        do {
            ListOptions page = new ListOptionsBuilder(options.build()).withContinue(token).build();
            pages.add(client.pods().inNamespace(namespace).list(page));
            token = pages.get(pages.size() - 1).getMetadata().getContinue();
        } while (token != null && pages.size() < 20);
        return pages;
    }

    /** The names of all pages' pods in the order sent, each once (a duplicate fails). */
    private static List<String> names(List<PodList> pages) {
        List<String> names = pages.stream().flatMap(page -> page.getItems().stream()).map(pod -> pod.getMetadata().getName()).toList();
        assertThat(new HashSet<>(names)).hasSameSizeAs(names);
        return names;
    }

    /** The body of a GET; a {@code Status} body's code is checked against the HTTP status. */
    private static JsonNode get(String path, String accept) throws Exception {
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(URI.create(api.url() + path))
                .header("Accept", accept).build();
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
        JsonNode body = Json.parse(response.body());
        assertThat(body.path("kind").asText().equals("Status") ? body.path("code").asInt() : 200).isEqualTo(response.statusCode());
        return body;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}

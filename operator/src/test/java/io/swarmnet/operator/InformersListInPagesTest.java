package io.swarmnet.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.operator.ipam.AddressOwner;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * How the operator's informers list: task pods and SwarmServices, the largest lists of a cold start, in one answer (no
 * {@code limit}: the API server answers from its watch cache, where it takes a list with a limit page by page from etcd);
 * every other list in pages of {@link KubernetesClients#LIST_PAGE}.
 */
class InformersListInPagesTest {

    /** The kinds the operator's informers list (pods twice: tasks, and pods asking to attach). */
    static final Set<String> LISTED = Set.of("pods", "nodes", "namespaces", "services", "swarmservices", "overlaynetworks");

    @Test
    void taskPodsAndSwarmServicesAreListedInOneAnswerEveryOtherListInPages() {
        List<String> lists = new CopyOnWriteArrayList<>();
        try (SandboxApiServer api = SandboxApiServer.start();
             KubernetesClient client = recording(api, LISTED::contains, lists)) {
            SwarmnetOperator operator = SwarmnetOperator.start(client, OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false));
            operator.close();
        }
        assertThat(lists).extracting(l -> l.substring(0, l.indexOf('?')).replaceAll(".*/", ""))
                .as("kinds listed").contains("pods", "nodes", "namespaces", "swarmservices", "overlaynetworks");
        java.util.function.Predicate<String> oneAnswer = l -> l.contains("/swarmservices?")
                || l.contains("/pods?") && SwarmnetKeys.LABEL_SERVICE.equals(labelSelector(l));
        assertThat(lists.stream().filter(oneAnswer)).as("lists of task pods and SwarmServices").hasSize(2)
                .allSatisfy(l -> assertThat(l).doesNotContain("limit="));
        assertThat(lists.stream().filter(oneAnswer.negate())).as("every other list").isNotEmpty()
                .allSatisfy(l -> assertThat(l).contains("limit=" + KubernetesClients.LIST_PAGE));
    }

    /**
     * The address ledger is loaded from the informers' caches: a cold start lists pods once per pod informer (the tasks, and
     * every other pod for the attachable networks), and SwarmServices once per informer, not once more for the ledger.
     */
    @Test
    void aColdStartListsPodsAndServicesOncePerInformerAndTheLedgerKnowsWhatTheyHold() {
        List<String> lists = new CopyOnWriteArrayList<>();
        try (SandboxApiServer api = SandboxApiServer.start();
             KubernetesClient client = recording(api, Set.of("pods", "swarmservices")::contains, lists)) {
            client.pods().resource(pod("web-1", Map.of(SwarmnetKeys.LABEL_SERVICE, "web"), "10.0.9.2")).create();
            // an attached pod as the operator left it, still naming its network: without the request the attachable-pod
            // worker would detach it (and release its address) right after the start, racing this test's look at the ledger
            client.pods().resource(new PodBuilder(pod("debug", Map.of(SwarmnetKeys.LABEL_ATTACHED_POD, "true"), "10.0.9.3"))
                    .editMetadata().addToAnnotations(SwarmnetKeys.ANNOTATION_POD_NETWORKS, "front").endMetadata().build()).create();
            client.pods().resource(pod("bystander", Map.of("app", "x"), null)).create();
            TestCluster.serviceWithVirtualIp(client, "default", "web", new io.swarmnet.api.service.NetworkAttachment("front"), "front", "10.0.9.100");
            lists.clear();

            SwarmnetOperator operator = SwarmnetOperator.start(client, OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false));
            try {
                assertThat(operator.ledger().isLoaded()).isTrue();
                assertThat(operator.ledger().holdings("default", "front")).containsOnly(
                        Map.entry(IpAddress.parse("10.0.9.2"), AddressOwner.task("web-1")),
                        Map.entry(IpAddress.parse("10.0.9.3"), AddressOwner.attachedPod("debug")),
                        Map.entry(IpAddress.parse("10.0.9.100"), AddressOwner.virtualIps("web")));
            } finally {
                operator.close();
            }
        }
        Map<String, Long> podLists = lists.stream().filter(l -> l.contains("/pods?"))
                .collect(Collectors.groupingBy(InformersListInPagesTest::labelSelector, TreeMap::new, Collectors.counting()));
        assertThat(podLists).as("pod lists by label selector").isEqualTo(Map.of(
                SwarmnetKeys.LABEL_SERVICE, 1L, "!" + SwarmnetKeys.LABEL_SERVICE, 1L));
        assertThat(lists.stream().filter(l -> l.contains("/swarmservices?")))
                .as("SwarmService lists: one, the SwarmService reconciler's (the OverlayNetwork reconciler reads its cache)").hasSize(1);
    }

    private static String labelSelector(String pathAndQuery) {
        String query = pathAndQuery.substring(pathAndQuery.indexOf('?') + 1);
        return java.util.Arrays.stream(query.split("&")).filter(p -> p.startsWith("labelSelector="))
                .map(p -> java.net.URLDecoder.decode(p.substring("labelSelector=".length()), java.nio.charset.StandardCharsets.UTF_8))
                .findFirst().orElse("");
    }

    /** A pod of namespace default, with an address on network front when {@code address} is given. */
    private static Pod pod(String name, Map<String, String> labels, String address) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").withLabels(labels)
                .withAnnotations(address == null ? Map.of() : Map.of(SwarmnetKeys.ANNOTATION_ADDRESSES,
                        new io.swarmnet.api.contract.TaskAddresses(Map.of("front", IpAddress.parse(address))).format())).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build();
    }

    @Test
    void listInPagesFollowsTheContinueTokensToTheLastObject() {
        List<String> lists = new CopyOnWriteArrayList<>();
        try (SandboxApiServer api = SandboxApiServer.start();
             KubernetesClient client = recording(api, "configmaps"::equals, lists)) {
            int objects = 2 * (int) KubernetesClients.LIST_PAGE + 3;
            for (int i = 0; i < objects; i++) {
                client.configMaps().resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata()
                        .withName(String.format("cm-%04d", i)).endMetadata().build()).create();
            }

            List<io.fabric8.kubernetes.api.model.ConfigMap> all = KubernetesClients.listInPages(client.configMaps()::list);

            assertThat(all).extracting(c -> c.getMetadata().getName()).doesNotHaveDuplicates().hasSize(objects);
            assertThat(lists).hasSize(3);
            assertThat(lists.subList(1, 3)).allSatisfy(q -> assertThat(q).contains("continue="));
        }
    }

    /**
     * A client of {@code api} that writes path and query of each list it sends (a GET but no watch) of a kind (the last part of
     * the path: {@code pods}) that {@code kinds} accepts into {@code into}.
     */
    private static KubernetesClient recording(SandboxApiServer api, java.util.function.Predicate<String> kinds, List<String> into) {
        java.util.function.Predicate<HttpRequest> which = request -> {
            String path = request.uri().getPath();
            String query = request.uri().getQuery() == null ? "" : request.uri().getQuery();
            return kinds.test(path.substring(path.lastIndexOf('/') + 1)) && !query.contains("watch=true");
        };
        return KubernetesClients.builder()
                .withConfig(new ConfigBuilder().withMasterUrl(api.url()).withNamespace("default").build())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("lists", new Interceptor() {
                    @Override
                    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                        if (request.method().equals("GET") && which.test(request)) {
                            into.add(request.uri().getPath() + "?" + (request.uri().getQuery() == null ? "" : request.uri().getQuery()));
                        }
                    }
                })).build();
    }
}

package io.swarmnet.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Every informer of the operator lists in pages of {@link KubernetesClients#LIST_PAGE}, as client-go's do: a list of every
 * pod of a large cluster in one answer is read whole before it is parsed.
 */
class InformersListInPagesTest {

    /** The kinds the operator's informers list (pods twice: tasks, and pods asking to attach). */
    static final Set<String> LISTED = Set.of("pods", "nodes", "namespaces", "services", "swarmservices", "overlaynetworks");

    @Test
    void everyListTheOperatorsInformersMakeAsksForOnePage() {
        List<String> lists = new CopyOnWriteArrayList<>();
        try (SandboxApiServer api = SandboxApiServer.start();
             KubernetesClient client = recording(api, request -> {
                 String path = request.uri().getPath();
                 String query = request.uri().getQuery() == null ? "" : request.uri().getQuery();
                 return LISTED.contains(path.substring(path.lastIndexOf('/') + 1)) && !query.contains("watch=true");
             }, lists)) {
            SwarmnetOperator operator = SwarmnetOperator.start(client, OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false));
            operator.close();
        }
        assertThat(lists).extracting(l -> l.substring(0, l.indexOf('?')).replaceAll(".*/", ""))
                .as("kinds listed").contains("pods", "nodes", "namespaces", "swarmservices", "overlaynetworks");
        assertThat(lists).allSatisfy(l -> assertThat(l).contains("limit=" + KubernetesClients.LIST_PAGE));
    }

    @Test
    void listInPagesFollowsTheContinueTokensToTheLastObject() {
        List<String> lists = new CopyOnWriteArrayList<>();
        try (SandboxApiServer api = SandboxApiServer.start();
             KubernetesClient client = recording(api, request -> request.uri().getPath().endsWith("/configmaps"), lists)) {
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

    /** A client of {@code api} that writes path and query of each GET it sends that {@code which} accepts into {@code into}. */
    private static KubernetesClient recording(SandboxApiServer api, java.util.function.Predicate<HttpRequest> which, List<String> into) {
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

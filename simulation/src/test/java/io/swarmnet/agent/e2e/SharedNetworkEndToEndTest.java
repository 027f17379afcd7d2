package io.swarmnet.agent.e2e;

import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.SwarmService;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One overlay network shared by three namespaces, end to end: two simulated nodes with real node agents watching the
 * embedded API (the test plays the operator: networks and services with status, tasks with their addresses). Namespace
 * infra owns the network proxy and runs traefik on it; shop and blog each run a service named web on it (recorded as
 * infra/proxy), and shop also runs db on a network of its own. Across the nodes, traefik reaches shop's task, by address
 * and through its VIP; names resolve on the shared network only, the asker's own namespace has the plain name, and
 * {@code web.<namespace>} tells the two webs apart. When the owner removes spec.shareWith, the other namespaces' tasks
 * are detached from the network.
 */
@Tag("e2e")
class SharedNetworkEndToEndTest {

    private static final String TRAEFIK_VIP = "10.234.0.2";
    private static final String SHOP_VIP = "10.234.0.4";
    private static final String BLOG_VIP = "10.234.0.6";
    private static final String TRAEFIK = "10.234.0.10";
    private static final String SHOP_WEB = "10.234.0.20";
    private static final String BLOG_WEB = "10.234.0.30";
    private static final String SHOP_DB = "10.235.0.10";

    private AgentCluster stage;

    @AfterEach
    void stop() {
        if (stage != null) {
            stage.close();
        }
    }

    @Test
    void servicesOfThreeNamespacesReachAndResolveEachOtherOnTheSharedNetworkOnly() {
        AgentCluster.assumeRootWith("ip", "nft", "busybox");
        stage = AgentCluster.start(2);
        for (String namespace : List.of("infra", "shop", "blog")) {
            stage.namespace(namespace, Map.of("swarmnet.io/proxy", "true"));
        }
        stage.createWithStatus(network("proxy").namespace("infra").allocated("10.234.0.0/24", "10.234.0.1", 4720).shared().build());
        stage.createWithStatus(network("front").namespace("shop").allocated("10.235.0.0/24", "10.235.0.1", 4721).build());
        stage.createWithStatus(withoutUid(service("traefik").namespace("infra").network("proxy").vip("proxy", TRAEFIK_VIP).build()));
        stage.createWithStatus(withoutUid(service("web").namespace("shop").sharedNetwork("infra", "proxy")
                .vip("infra/proxy", SHOP_VIP).build()));
        stage.createWithStatus(withoutUid(service("web").namespace("blog").sharedNetwork("infra", "proxy")
                .vip("infra/proxy", BLOG_VIP).build()));
        stage.createWithStatus(withoutUid(service("db").namespace("shop").network("front").dnsrr().build()));
        stage.runAgents(new DnsSettings(Optional.empty(), Duration.ofSeconds(1)));
        stage.runTask("infra", "traefik-1", "traefik", 1, Map.of("proxy", TRAEFIK));
        stage.runTask("shop", "web-1", "web", 2, Map.of("infra/proxy", SHOP_WEB));
        stage.runTask("blog", "web-2", "web", 2, Map.of("infra/proxy", BLOG_WEB));
        stage.runTask("shop", "db-1", "db", 2, Map.of("front", SHOP_DB));
        stage.awaitAttached("traefik-1", "web-1", "web-2", "db-1");

        stage.awaitReach("infra's task reaches shop's across the nodes", "traefik-1", SHOP_WEB);
        assertThat(stage.ping("web-1", TRAEFIK)).as("and shop's reaches infra's").isTrue();
        assertThat(stage.ping("traefik-1", SHOP_DB)).as("but not shop's task on a network it does not share").isFalse();

        // each namespace's service, and each task once ready, reaches the resolver in its own snapshot round: wait for
        // all of them before the checks
        AgentCluster.await("traefik resolves shop's and blog's web and blog's ready task by namespace",
                () -> resolve("traefik-1", "web.shop").equals(List.of(SHOP_VIP)) && resolve("traefik-1", "web.blog").equals(List.of(BLOG_VIP))
                        && resolve("traefik-1", "tasks.web.blog").equals(List.of(BLOG_WEB)), Duration.ofSeconds(20));
        assertThat(resolve("traefik-1", "web.blog")).as("and blog's").containsExactly(BLOG_VIP);
        assertThat(resolve("traefik-1", "tasks.web.blog")).containsExactly(BLOG_WEB);
        assertThat(resolve("traefik-1", "web")).as("two other namespaces have web: the plain name is not ours")
                .isEmpty();
        assertThat(resolve("traefik-1", "db.shop")).as("db is on shop's own network only").isEmpty();
        // the resolver learns of a ready task before the VIP's backends are programmed in the pod (docs/dns.md)
        AgentCluster.await("traefik reaches shop's web through its VIP", () -> stage.ping("traefik-1", SHOP_VIP), Duration.ofSeconds(20));
        AgentCluster.await("and blog's through its own", () -> stage.ping("traefik-1", BLOG_VIP), Duration.ofSeconds(20));

        assertThat(resolve("web-1", "web")).as("the asker's own namespace has the plain name").containsExactly(SHOP_VIP);
        assertThat(resolve("web-1", "web.blog")).containsExactly(BLOG_VIP);
        assertThat(resolve("web-1", "traefik")).as("infra's service by its plain name").containsExactly(TRAEFIK_VIP);
        assertThat(resolve("web-2", "web")).containsExactly(BLOG_VIP);
        AgentCluster.await("shop's web reaches traefik through its VIP", () -> stage.ping("web-1", TRAEFIK_VIP), Duration.ofSeconds(20));

        // the owner removes spec.shareWith: the agents detach every other namespace's task from the network at once
        stage.client().resources(OverlayNetwork.class).inNamespace("infra").withName("proxy").edit(n -> {
            n.getSpec().setShareWith(null);
            return n;
        });
        AgentCluster.await("shop's task is detached, saying why", () -> stage.attachedCondition("web-1")
                .filter(c -> "False".equals(c.getStatus()) && "NetworkNotShared".equals(c.getReason())).isPresent(),
                Duration.ofSeconds(20));
        AgentCluster.await("infra's task no longer reaches it", () -> !stage.ping("traefik-1", SHOP_WEB), Duration.ofSeconds(20));
        AgentCluster.await("nor resolves it", () -> resolve("traefik-1", "web.shop").isEmpty(), Duration.ofSeconds(20));
        assertThat(stage.attached("traefik-1")).as("infra's own task stays attached").isTrue();
        assertThat(stage.attached("db-1")).as("and shop's task on shop's own network").isTrue();
    }

    private static SwarmService withoutUid(SwarmService service) {
        service.getMetadata().setUid(null);
        service.getSpec().setReplicas(0);
        return service;
    }

    /** The addresses the embedded resolver inside {@code pod} answers for {@code name} (busybox nslookup). */
    private List<String> resolve(String pod, String name) {
        return AgentCluster.addressesIn(stage.nslookup(pod, name));
    }
}

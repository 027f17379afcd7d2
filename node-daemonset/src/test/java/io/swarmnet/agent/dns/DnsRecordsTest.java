package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.dns.ServiceEndpoints.TaskEndpoint;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.EndpointMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DnsRecordsTest {

    static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    /** A small builder: a service on some networks with tasks and VIPs. */
    static final class Svc {
        final String namespace;
        final String name;
        EndpointMode mode = EndpointMode.VIP;
        final Set<String> networks = new java.util.TreeSet<>();
        final Map<String, IpAddress> vips = new HashMap<>();
        final Map<String, List<String>> aliases = new HashMap<>();
        final List<TaskEndpoint> tasks = new ArrayList<>();

        Svc(String namespace, String name) {
            this.namespace = namespace;
            this.name = name;
        }

        static Svc named(String name) {
            return new Svc("default", name);
        }

        Svc dnsrr() {
            mode = EndpointMode.DNSRR;
            return this;
        }

        Svc on(String network, String vip) {
            networks.add(network);
            if (vip != null) {
                vips.put(network, ip(vip));
            }
            return this;
        }

        Svc alias(String network, String alias) {
            aliases.computeIfAbsent(network, n -> new ArrayList<>()).add(alias);
            return this;
        }

        Svc task(String pod, String network, String address) {
            tasks.add(new TaskEndpoint(pod, network, ip(address)));
            return this;
        }

        ServiceEndpoints build() {
            return new ServiceEndpoints(namespace, name, mode, networks, vips, aliases, tasks);
        }
    }

    private final ServiceEndpoints web = Svc.named("my-web").on("my-network", "10.0.9.2")
            .alias("my-network", "web")
            .task("my-web-1-abcde", "my-network", "10.0.9.3")
            .task("my-web-2-fghij", "my-network", "10.0.9.4")
            .task("my-web-3-klmno", "my-network", "10.0.9.5").build();

    @Test
    void serviceNameResolvesToItsVirtualIp() {
        NameTable table = DnsRecords.forPod("default", Set.of("my-network"), List.of(web));
        assertThat(table.lookup("my-web")).contains(List.of(ip("10.0.9.2")));
        assertThat(table.lookup("MY-WEB.")).contains(List.of(ip("10.0.9.2")));
        assertThat(table.lookup("my-web.my-network")).contains(List.of(ip("10.0.9.2")));
        assertThat(table.ttl("my-web")).isEqualTo(DnsRecords.VIP_TTL_SECONDS);
    }

    @Test
    void tasksNameResolvesToEveryReadyTask() {
        NameTable table = DnsRecords.forPod("default", Set.of("my-network"), List.of(web));
        assertThat(table.lookup("tasks.my-web")).contains(List.of(ip("10.0.9.3"), ip("10.0.9.4"), ip("10.0.9.5")));
        assertThat(table.lookup("tasks.my-web.my-network")).contains(List.of(ip("10.0.9.3"), ip("10.0.9.4"), ip("10.0.9.5")));
        assertThat(table.ttl("tasks.my-web")).isEqualTo(DnsRecords.TASK_TTL_SECONDS);
    }

    @Test
    void aliasesResolveLikeTheServiceOnTheirNetwork() {
        NameTable table = DnsRecords.forPod("default", Set.of("my-network"), List.of(web));
        assertThat(table.lookup("web")).contains(List.of(ip("10.0.9.2")));
        assertThat(table.lookup("tasks.web")).contains(List.of(ip("10.0.9.3"), ip("10.0.9.4"), ip("10.0.9.5")));
    }

    @Test
    void taskNamesAndPointerRecords() {
        NameTable table = DnsRecords.forPod("default", Set.of("my-network"), List.of(web));
        assertThat(table.lookup("my-web-2-fghij")).contains(List.of(ip("10.0.9.4")));
        assertThat(table.lookup("my-web-2-fghij.my-network")).contains(List.of(ip("10.0.9.4")));
        assertThat(table.pointer("4.9.0.10.in-addr.arpa.")).contains("my-web-2-fghij.my-network");
        assertThat(table.pointer("2.9.0.10.in-addr.arpa")).contains("my-web.my-network");
    }

    @Test
    void dnsrrServiceNameResolvesToTasksAndRotates() {
        ServiceEndpoints rr = Svc.named("my-dnsrr").dnsrr().on("my-network", null)
                .task("my-dnsrr-1-a", "my-network", "10.0.9.8")
                .task("my-dnsrr-2-b", "my-network", "10.0.9.9").build();
        NameTable table = DnsRecords.forPod("default", Set.of("my-network"), List.of(rr));
        assertThat(table.lookup("my-dnsrr")).contains(List.of(ip("10.0.9.8"), ip("10.0.9.9")));
        assertThat(table.rotating()).contains("my-dnsrr");
        assertThat(table.ttl("my-dnsrr")).isEqualTo(DnsRecords.TASK_TTL_SECONDS);
    }

    @Test
    void serviceWithoutReadyTasksIsStillOursAndAnswersEmpty() {
        ServiceEndpoints rr = Svc.named("idle").dnsrr().on("my-network", null).build();
        NameTable table = DnsRecords.forPod("default", Set.of("my-network"), List.of(rr));
        assertThat(table.owns("idle")).isTrue();
        assertThat(table.lookup("idle")).contains(List.of());
    }

    @Test
    void servicesOnNetworksThePodDoesNotShareAreNotResolved() {
        ServiceEndpoints other = Svc.named("secret").on("net-b", "10.0.1.2").task("secret-1-x", "net-b", "10.0.1.3").build();
        NameTable table = DnsRecords.forPod("default", Set.of("my-network"), List.of(web, other));
        assertThat(table.owns("secret")).isFalse();
        assertThat(table.owns("tasks.secret")).isFalse();
        assertThat(table.owns("secret-1-x")).isFalse();
        assertThat(table.pointer("3.1.0.10.in-addr.arpa")).isEmpty();
    }

    @Test
    void servicesOfAnotherNamespaceAreNotResolvedEvenWithTheSameNetworkName() {
        ServiceEndpoints foreign = new Svc("other", "my-web").on("my-network", "10.0.9.2").build();
        NameTable table = DnsRecords.forPod("default", Set.of("my-network"), List.of(foreign));
        assertThat(table.owns("my-web")).isFalse();
    }

    @Test
    void serviceOnTwoSharedNetworksAnswersBothVirtualIps() {
        ServiceEndpoints multi = Svc.named("api").on("a", "10.0.1.2").on("b", "10.0.2.2")
                .task("api-1-x", "a", "10.0.1.3").task("api-1-x", "b", "10.0.2.3").build();
        NameTable both = DnsRecords.forPod("default", Set.of("a", "b"), List.of(multi));
        assertThat(both.lookup("api")).contains(List.of(ip("10.0.1.2"), ip("10.0.2.2")));
        assertThat(both.lookup("api.b")).contains(List.of(ip("10.0.2.2")));
        NameTable onlyB = DnsRecords.forPod("default", Set.of("b"), List.of(multi));
        assertThat(onlyB.lookup("api")).contains(List.of(ip("10.0.2.2")));
        assertThat(onlyB.lookup("tasks.api")).contains(List.of(ip("10.0.2.3")));
    }

    @Test
    void anAttachedPodResolvesByItsNameAndAliasesOnTheNetworksItShares() {
        PodEndpoint db = new PodEndpoint("default", "db-0", "my-network", ip("10.0.9.20"), List.of("db", "primary.db"));
        PodEndpoint elsewhere = new PodEndpoint("default", "batch-x", "net-b", ip("10.0.1.20"), List.of("batch"));
        PodEndpoint foreign = new PodEndpoint("other", "db-0", "my-network", ip("10.0.9.21"), List.of("spy"));
        NameTable table = DnsRecords.forPod("default", Set.of("my-network"), List.of(web), List.of(db, elsewhere, foreign), List.of());
        for (String name : List.of("db-0", "db-0.my-network", "db", "db.my-network", "primary.db", "primary.db.my-network")) {
            assertThat(table.lookup(name)).as(name).contains(List.of(ip("10.0.9.20")));
        }
        assertThat(table.ttl("db")).isEqualTo(DnsRecords.TASK_TTL_SECONDS);
        assertThat(table.pointer("20.9.0.10.in-addr.arpa")).contains("db-0.my-network");
        assertThat(table.owns("batch")).isFalse();
        assertThat(table.owns("batch-x")).isFalse();
        assertThat(table.owns("spy")).isFalse();
        // the service's names are still there beside them
        assertThat(table.lookup("my-web")).contains(List.of(ip("10.0.9.2")));
    }

    @Test
    void twoPodsWithOneAliasBothAnswerIt() {
        PodEndpoint a = new PodEndpoint("default", "cache-0", "my-network", ip("10.0.9.30"), List.of("cache"));
        PodEndpoint b = new PodEndpoint("default", "cache-1", "my-network", ip("10.0.9.31"), List.of("cache"));
        NameTable table = DnsRecords.forPod("default", Set.of("my-network"), List.of(), List.of(a, b), List.of());
        assertThat(table.lookup("cache")).contains(List.of(ip("10.0.9.30"), ip("10.0.9.31")));
    }

    /** A network of namespace infra shared with shop and blog: each records it as infra/proxy, infra as proxy. */
    private static Svc sharedWeb(String namespace, String vip, String task, String taskAddress) {
        return new Svc(namespace, "web").on("infra/proxy", vip).alias("infra/proxy", namespace + "-web")
                .task(task, "infra/proxy", taskAddress);
    }

    private final ServiceEndpoints traefik = new Svc("infra", "traefik").on("proxy", "10.0.30.2")
            .task("traefik-1-aaaaa", "proxy", "10.0.30.3").build();
    private final ServiceEndpoints shopWeb = sharedWeb("shop", "10.0.30.4", "web-1-bbbbb", "10.0.30.5").build();
    private final ServiceEndpoints blogWeb = sharedWeb("blog", "10.0.30.6", "web-1-ccccc", "10.0.30.7").build();

    @Test
    void aServiceOfAnotherNamespaceOnASharedNetworkResolvesByItsNameAndByNamespace() {
        NameTable infra = DnsRecords.forPod("infra", Set.of("proxy"), List.of(traefik, shopWeb));
        for (String name : List.of("web", "web.proxy", "web.shop", "shop-web", "shop-web.shop")) {
            assertThat(infra.lookup(name)).as(name).contains(List.of(ip("10.0.30.4")));
        }
        assertThat(infra.lookup("tasks.web.shop")).contains(List.of(ip("10.0.30.5")));
        assertThat(infra.lookup("web-1-bbbbb.shop")).contains(List.of(ip("10.0.30.5")));
        // the name that always resolves back
        assertThat(infra.pointer("4.30.0.10.in-addr.arpa")).contains("web.shop");
        assertThat(infra.pointer("2.30.0.10.in-addr.arpa")).contains("traefik.proxy");

        // and the other way round: the shop's task resolves infra's service on the network they share
        NameTable shop = DnsRecords.forPod("shop", Set.of("infra/proxy"), List.of(traefik, shopWeb));
        for (String name : List.of("traefik", "traefik.proxy", "traefik.infra")) {
            assertThat(shop.lookup(name)).as(name).contains(List.of(ip("10.0.30.2")));
        }
        assertThat(shop.lookup("web")).contains(List.of(ip("10.0.30.4")));
        assertThat(shop.pointer("2.30.0.10.in-addr.arpa")).contains("traefik.infra");
        assertThat(shop.pointer("4.30.0.10.in-addr.arpa")).contains("web.proxy");
    }

    @Test
    void theAskersOwnNamespaceHasThePlainNameAndTheOtherIsReachedByNamespace() {
        NameTable shop = DnsRecords.forPod("shop", Set.of("infra/proxy"), List.of(traefik, shopWeb, blogWeb));
        assertThat(shop.lookup("web")).contains(List.of(ip("10.0.30.4")));
        assertThat(shop.lookup("web.proxy")).contains(List.of(ip("10.0.30.4")));
        assertThat(shop.lookup("tasks.web")).contains(List.of(ip("10.0.30.5")));
        assertThat(shop.lookup("web.blog")).contains(List.of(ip("10.0.30.6")));
        assertThat(shop.lookup("tasks.web.blog")).contains(List.of(ip("10.0.30.7")));
        assertThat(shop.lookup("web.shop")).contains(List.of(ip("10.0.30.4")));
        // a name only one namespace has needs no namespace
        assertThat(shop.lookup("blog-web")).contains(List.of(ip("10.0.30.6")));
    }

    @Test
    void aPlainNameSeveralOtherNamespacesClaimIsNotOursButEachQualifiedOneIs() {
        NameTable infra = DnsRecords.forPod("infra", Set.of("proxy"), List.of(traefik, shopWeb, blogWeb));
        for (String ambiguous : List.of("web", "web.proxy", "tasks.web", "tasks.web.proxy")) {
            assertThat(infra.owns(ambiguous)).as(ambiguous).isFalse();
        }
        assertThat(infra.lookup("web.shop")).contains(List.of(ip("10.0.30.4")));
        assertThat(infra.lookup("web.blog")).contains(List.of(ip("10.0.30.6")));
        assertThat(infra.lookup("traefik")).contains(List.of(ip("10.0.30.2")));
    }

    @Test
    void aNetworkOfTheSameNameInAnotherNamespaceIsNotShared() {
        ServiceEndpoints shopsOwnProxy = new Svc("shop", "secret").on("proxy", "10.0.31.2").task("secret-1-x", "proxy", "10.0.31.3")
                .build();
        NameTable infra = DnsRecords.forPod("infra", Set.of("proxy"), List.of(traefik, shopsOwnProxy));
        assertThat(infra.owns("secret")).isFalse();
        assertThat(infra.owns("secret.shop")).isFalse();
        assertThat(infra.owns("secret-1-x")).isFalse();
        // a pod on both its own proxy and infra's sees each service on its own network only
        NameTable both = DnsRecords.forPod("shop", Set.of("proxy", "infra/proxy"), List.of(traefik, shopsOwnProxy));
        assertThat(both.lookup("secret")).contains(List.of(ip("10.0.31.2")));
        assertThat(both.lookup("traefik")).contains(List.of(ip("10.0.30.2")));
    }

    @Test
    void anAttachedPodOfAnotherNamespaceIsResolvedOnTheSharedNetwork() {
        PodEndpoint client = new PodEndpoint("shop", "client-0", "infra/proxy", ip("10.0.30.20"), List.of("shop-client"));
        NameTable infra = DnsRecords.forPod("infra", Set.of("proxy"), List.of(traefik), List.of(client), List.of());
        for (String name : List.of("client-0", "client-0.proxy", "client-0.shop", "shop-client", "shop-client.shop")) {
            assertThat(infra.lookup(name)).as(name).contains(List.of(ip("10.0.30.20")));
        }
        assertThat(infra.pointer("20.30.0.10.in-addr.arpa")).contains("client-0.shop");
        NameTable elsewhere = DnsRecords.forPod("infra", Set.of("other"), List.of(), List.of(client), List.of());
        assertThat(elsewhere.owns("client-0")).isFalse();
    }
}

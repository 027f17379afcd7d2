package io.swarmnet.agent.dns;

import static io.swarmnet.agent.ClusterObjects.attachedPod;
import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.node;
import static io.swarmnet.agent.ClusterObjects.service;
import static io.swarmnet.agent.ClusterObjects.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.cluster.ClusterSnapshot;
import io.swarmnet.agent.desired.DesiredDatapath;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.NodeFacts;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.net.IpAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeNamesTest {

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    private static Map<PodRef, NameTable> namesOnN1(ClusterSnapshot snapshot) {
        NodeDatapath desired = DesiredDatapath.compute(snapshot, new NodeFacts("n1", ip("192.0.2.1"), 1500)).datapath();
        return NodeNames.compute(snapshot, desired);
    }

    private static NameTable tableOf(Map<PodRef, NameTable> tables, String podName) {
        return tables.entrySet().stream().filter(e -> e.getKey().name().equals(podName)).findFirst().orElseThrow().getValue();
    }

    @Test
    void localPodsResolveServicesOfTheirNetworksFromTheSnapshot() {
        ClusterSnapshot snapshot = ClusterSnapshot.of(
                List.of(task("my-web-1-a", "my-web").on("n2").address("my-network", "10.0.9.3").ready().build(),
                        task("my-web-2-b", "my-web").on("n3").address("my-network", "10.0.9.4").runningUnattached().build(),
                        task("my-busybox-1-c", "my-busybox").on("n1").address("my-network", "10.0.9.6").ready().build(),
                        task("other-1-d", "other").on("n1").address("net-b", "10.0.1.3").ready().build()),
                List.of(service("my-web").network("my-network", "web").vip("my-network", "10.0.9.2").build(),
                        service("my-busybox").network("my-network").vip("my-network", "10.0.9.5").build(),
                        service("other").network("net-b").dnsrr().build()),
                List.of(network("my-network").allocated("10.0.9.0/24", "10.0.9.1", 4096).build(),
                        network("net-b").allocated("10.0.1.0/24", "10.0.1.1", 4097).build()),
                List.of(node("n1", "192.0.2.1"), node("n2", "192.0.2.2"), node("n3", "192.0.2.3")));
        Map<PodRef, NameTable> tables = namesOnN1(snapshot);
        assertThat(tables.keySet()).extracting(PodRef::name).containsExactlyInAnyOrder("my-busybox-1-c", "other-1-d");
        NameTable busybox = tableOf(tables, "my-busybox-1-c");
        assertThat(busybox.lookup("my-web")).contains(List.of(ip("10.0.9.2")));
        assertThat(busybox.lookup("web")).contains(List.of(ip("10.0.9.2")));
        // only ready tasks: my-web-2-b is running but not attached yet
        assertThat(busybox.lookup("tasks.my-web")).contains(List.of(ip("10.0.9.3")));
        assertThat(busybox.owns("other")).isFalse();
        NameTable other = tableOf(tables, "other-1-d");
        assertThat(other.owns("my-web")).isFalse();
        assertThat(other.lookup("other")).contains(List.of(ip("10.0.1.3")));
    }

    @Test
    void podsOfOneNamespaceOnTheSameNetworksShareOneTableBuiltOnce() {
        ClusterSnapshot snapshot = ClusterSnapshot.of(
                List.of(task("my-web-1-a", "my-web").on("n1").address("my-network", "10.0.9.3").ready().build(),
                        task("my-web-2-b", "my-web").on("n1").address("my-network", "10.0.9.4").ready().build(),
                        task("my-busybox-1-c", "my-busybox").on("n1").address("my-network", "10.0.9.6").ready().build(),
                        task("other-1-d", "other").on("n1").address("net-b", "10.0.1.3").ready().build()),
                List.of(service("my-web").network("my-network").vip("my-network", "10.0.9.2").build(),
                        service("my-busybox").network("my-network").vip("my-network", "10.0.9.5").build(),
                        service("other").network("net-b").vip("net-b", "10.0.1.2").build()),
                List.of(network("my-network").allocated("10.0.9.0/24", "10.0.9.1", 4096).build(),
                        network("net-b").allocated("10.0.1.0/24", "10.0.1.1", 4097).build()),
                List.of(node("n1", "192.0.2.1")));
        Map<PodRef, NameTable> tables = namesOnN1(snapshot);
        // thousands of local pods would otherwise each hold every name of their networks (issue: 1,000 local pods of
        // 10,000 tasks took gigabytes)
        NameTable web = tableOf(tables, "my-web-1-a");
        assertThat(tableOf(tables, "my-web-2-b")).isSameAs(web);
        assertThat(tableOf(tables, "my-busybox-1-c")).isSameAs(web);
        assertThat(web.lookup("my-busybox")).contains(List.of(ip("10.0.9.5")));
        NameTable other = tableOf(tables, "other-1-d");
        assertThat(other).isNotSameAs(web);
        assertThat(other.lookup("other")).contains(List.of(ip("10.0.1.2")));
        assertThat(other.owns("my-web")).isFalse();
    }

    @Test
    void attachedPodsResolveTheNetworksServicesAndAreResolvedByTheirNameAndAliasesOnceReady() {
        ClusterSnapshot snapshot = ClusterSnapshot.of(
                List.of(task("my-web-1-a", "my-web").on("n2").address("my-network", "10.0.9.3").ready().build(),
                        task("my-busybox-1-c", "my-busybox").on("n1").address("my-network", "10.0.9.6").ready().build(),
                        attachedPod("client-7d9f8-x2k4q").on("n1").address("my-network", "10.0.9.7").build(),
                        attachedPod("db-0").on("n2").address("my-network", "10.0.9.8").aliases("my-network", "db").ready().build(),
                        attachedPod("db-1").on("n3").address("my-network", "10.0.9.9").aliases("my-network", "db")
                                .runningUnattached().build()),
                List.of(service("my-web").network("my-network").vip("my-network", "10.0.9.2").build(),
                        service("my-busybox").network("my-network").vip("my-network", "10.0.9.5").build()),
                List.of(network("my-network").allocated("10.0.9.0/24", "10.0.9.1", 4096).build()),
                List.of(node("n1", "192.0.2.1"), node("n2", "192.0.2.2"), node("n3", "192.0.2.3")));
        Map<PodRef, NameTable> tables = namesOnN1(snapshot);
        assertThat(tables.keySet()).extracting(PodRef::name).containsExactlyInAnyOrder("my-busybox-1-c", "client-7d9f8-x2k4q");
        NameTable client = tableOf(tables, "client-7d9f8-x2k4q");
        assertThat(client.lookup("my-web")).contains(List.of(ip("10.0.9.2")));
        assertThat(client.lookup("tasks.my-web")).contains(List.of(ip("10.0.9.3")));
        assertThat(client.lookup("my-busybox-1-c")).contains(List.of(ip("10.0.9.6")));
        // a task resolves the attached pods: only the ready one, by name and alias
        NameTable busybox = tableOf(tables, "my-busybox-1-c");
        assertThat(busybox.lookup("db-0")).contains(List.of(ip("10.0.9.8")));
        assertThat(busybox.lookup("db")).contains(List.of(ip("10.0.9.8")));
        assertThat(busybox.owns("db-1")).isFalse();
        // the client is not ready yet (not attached): others do not resolve it, nor does it join a service's tasks
        assertThat(busybox.owns("client-7d9f8-x2k4q")).isFalse();
        assertThat(busybox.lookup("tasks.my-busybox")).contains(List.of(ip("10.0.9.6")));
    }

    @Test
    void tasksOfThreeNamespacesOnASharedNetworkResolveEachOtherAndOnlyThere() {
        ClusterSnapshot snapshot = ClusterSnapshot.of(
                List.of(task("traefik-1-a", "traefik").namespace("infra").on("n1").address("proxy", "10.0.30.3").ready().build(),
                        task("web-1-b", "web").namespace("shop").on("n1").address("infra/proxy", "10.0.30.5")
                                .address("front", "10.0.40.3").ready().build(),
                        task("web-1-c", "web").namespace("blog").on("n2").address("infra/proxy", "10.0.30.7").ready().build(),
                        task("db-1-d", "db").namespace("shop").on("n2").address("front", "10.0.40.4").ready().build()),
                List.of(service("traefik").namespace("infra").network("proxy").vip("proxy", "10.0.30.2").build(),
                        service("web").namespace("shop").sharedNetwork("infra", "proxy").network("front")
                                .vip("infra/proxy", "10.0.30.4").vip("front", "10.0.40.2").build(),
                        service("web").namespace("blog").sharedNetwork("infra", "proxy", "blog").vip("infra/proxy", "10.0.30.6").build(),
                        service("db").namespace("shop").network("front").vip("front", "10.0.40.5").build()),
                List.of(network("proxy").namespace("infra").allocated("10.0.30.0/24", "10.0.30.1", 4200).shared().build(),
                        network("front").namespace("shop").allocated("10.0.40.0/24", "10.0.40.1", 4201).build()),
                List.of(node("n1", "192.0.2.1"), node("n2", "192.0.2.2")));
        Map<PodRef, NameTable> tables = namesOnN1(snapshot);
        NameTable traefik = tableOf(tables, "traefik-1-a");
        assertThat(traefik.lookup("web.shop")).contains(List.of(ip("10.0.30.4")));
        assertThat(traefik.lookup("web.blog")).contains(List.of(ip("10.0.30.6")));
        assertThat(traefik.lookup("blog")).as("blog's alias on the shared network").contains(List.of(ip("10.0.30.6")));
        assertThat(traefik.owns("web")).as("two other namespaces have web").isFalse();
        // shop's db is on shop's own network only: nothing of it reaches infra
        assertThat(traefik.owns("db")).isFalse();
        assertThat(traefik.owns("db.shop")).isFalse();
        NameTable shopWeb = tableOf(tables, "web-1-b");
        // on both of its networks, in the order of the networks as shop records them (front, infra/proxy)
        assertThat(shopWeb.lookup("web")).contains(List.of(ip("10.0.40.2"), ip("10.0.30.4")));
        assertThat(shopWeb.lookup("web.proxy")).contains(List.of(ip("10.0.30.4")));
        assertThat(shopWeb.lookup("web.blog")).contains(List.of(ip("10.0.30.6")));
        assertThat(shopWeb.lookup("traefik")).contains(List.of(ip("10.0.30.2")));
        assertThat(shopWeb.lookup("db")).contains(List.of(ip("10.0.40.5")));
    }

    @Test
    void namesOfAnotherNamespaceOnANetworkThatIsNotSharedAreNeverOffered() {
        ClusterSnapshot snapshot = ClusterSnapshot.of(
                List.of(task("traefik-1-a", "traefik").namespace("infra").on("n1").address("proxy", "10.0.30.3").ready().build(),
                        // written by hand: the operator gives no address on a network that is not shared
                        task("web-1-b", "web").namespace("shop").on("n2").address("infra/proxy", "10.0.30.5").ready().build(),
                        attachedPod("spy-0").namespace("shop").on("n2").address("infra/proxy", "10.0.30.9").ready().build()),
                List.of(service("traefik").namespace("infra").network("proxy").vip("proxy", "10.0.30.2").build(),
                        service("web").namespace("shop").sharedNetwork("infra", "proxy").vip("infra/proxy", "10.0.30.4").build()),
                List.of(network("proxy").namespace("infra").allocated("10.0.30.0/24", "10.0.30.1", 4200).build()),
                List.of(node("n1", "192.0.2.1"), node("n2", "192.0.2.2")));
        NameTable traefik = tableOf(namesOnN1(snapshot), "traefik-1-a");
        assertThat(traefik.lookup("traefik")).contains(List.of(ip("10.0.30.2")));
        for (String name : List.of("web", "web.shop", "tasks.web.shop", "web-1-b", "spy-0", "spy-0.shop")) {
            assertThat(traefik.owns(name)).as(name).isFalse();
        }
    }
}

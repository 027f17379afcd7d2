package io.swarmnet.agent.desired;

import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.node;
import static io.swarmnet.agent.ClusterObjects.service;
import static io.swarmnet.agent.ClusterObjects.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.agent.cluster.ClusterSnapshot;
import io.swarmnet.agent.cluster.Problem;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import io.swarmnet.api.net.Vni;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.SwarmService;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class DesiredDatapathTest {

    static final NodeFacts N1 = new NodeFacts("n1", ip("192.0.2.1"), 1500);
    static final NetworkKey NET = new NetworkKey(ClusterObjects.NS, "net");
    static final NetworkKey OTHER = new NetworkKey(ClusterObjects.NS, "other");

    final List<Pod> pods = new ArrayList<>();
    final List<SwarmService> services = new ArrayList<>();
    final List<OverlayNetwork> networks = new ArrayList<>();
    final List<Node> nodes = new ArrayList<>();

    @BeforeEach
    void threeNodesAndTwoNetworks() {
        nodes.add(node("n1", "192.0.2.1"));
        nodes.add(node("n2", "192.0.2.2"));
        nodes.add(node("n3", "192.0.2.3"));
        networks.add(network("net").allocated("10.0.9.0/24", "10.0.9.1", 4097).build());
        networks.add(network("other").allocated("10.0.10.0/24", "10.0.10.1", 4098).build());
    }

    static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    DesiredState compute() {
        return compute(N1);
    }

    DesiredState compute(NodeFacts node) {
        return DesiredDatapath.compute(ClusterSnapshot.of(pods, services, networks, nodes), node);
    }

    NodeDatapath datapath() {
        return compute().datapath();
    }

    PodDatapath pod(NodeDatapath datapath, String name) {
        return datapath.pods().stream().filter(p -> p.pod().name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no pod " + name + " in " + datapath.pods()));
    }

    NetworkDatapath carried(NodeDatapath datapath, NetworkKey key) {
        return datapath.networks().stream().filter(n -> n.key().equals(key)).findFirst()
                .orElseThrow(() -> new AssertionError("no network " + key + " in " + datapath.networks()));
    }

    List<IpAddress> backends(PodDatapath pod, String service) {
        return pod.vips().stream().filter(v -> v.service().equals(service)).findFirst()
                .orElseThrow(() -> new AssertionError("no VIP rule for " + service + " in " + pod.vips())).backends();
    }

    static List<IpAddress> ips(String... texts) {
        return java.util.Arrays.stream(texts).map(IpAddress::parse).toList();
    }

    @Nested
    class NetworkPresence {

        @Test
        void emptyClusterGivesEmptyDatapath() {
            NodeDatapath datapath = datapath();
            assertThat(datapath.node()).isEqualTo(N1);
            assertThat(datapath.networks()).isEmpty();
            assertThat(datapath.pods()).isEmpty();
            assertThat(compute().problems()).isEmpty();
        }

        @Test
        void localPodsWithoutAReportedSandboxAreStarting() {
            services.add(service("web").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());
            pods.add(task("web-2", "web").on("n1").address("net", "10.0.9.4").sandbox("10.244.0.4").build());
            pods.add(task("web-3", "web").on("n2").address("net", "10.0.9.5").build());
            DesiredState state = compute();
            assertThat(state.datapath().pods()).hasSize(2);
            assertThat(state.startingPods()).as("local and without a pod IP").extracting(PodRef::name).containsExactly("web-1");
            assertThat(state.reportsFailuresOf(state.datapath().pods().get(1).pod())).isTrue();
        }

        @Test
        void networkWithTasksOnlyOnOtherNodesIsAbsentHere() {
            services.add(service("web").network("net").build());
            pods.add(task("web-1", "web").on("n2").address("net", "10.0.9.3").ready().build());
            pods.add(task("web-2", "web").on("n3").address("net", "10.0.9.4").ready().build());

            assertThat(datapath().networks()).isEmpty();
            assertThat(datapath().pods()).isEmpty();
        }

        @Test
        void localTaskBringsItsNetworkWithAllocatedSubnetGatewayAndVni() {
            services.add(service("web").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());

            NetworkDatapath net = carried(datapath(), NET);
            assertThat(net.vni()).isEqualTo(new Vni(4097));
            assertThat(net.subnet()).isEqualTo(Cidr.parse("10.0.9.0/24"));
            assertThat(net.gateway()).isEqualTo(ip("10.0.9.1"));
            assertThat(net.encrypted()).isFalse();
            assertThat(net.internal()).isFalse();
            assertThat(datapath().networks()).extracting(NetworkDatapath::key).containsExactly(NET);
        }

        @Test
        void anInternalNetworkIsCarriedAsInternalAndChangesWithItsSpec() {
            networks.add(network("back").allocated("10.0.14.0/24", "10.0.14.1", 4102).internal(true).build());
            services.add(service("db").network("back").build());
            pods.add(task("db-1", "db").on("n1").address("back", "10.0.14.3").build());
            NetworkKey back = new NetworkKey(ClusterObjects.NS, "back");

            assertThat(carried(datapath(), back).internal()).isTrue();

            networks.set(networks.size() - 1, network("back").allocated("10.0.14.0/24", "10.0.14.1", 4102).internal(false).build());
            assertThat(carried(datapath(), back).internal()).isFalse();
        }

        @Test
        void pendingLocalTaskIsAttachedBeforeItsContainersRun() {
            services.add(service("web").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").phase("Pending").build());

            assertThat(datapath().pods()).extracting(p -> p.pod().name()).containsExactly("web-1");
        }

        @Test
        void localTaskBeingDeletedGetsNothingAndItsNetworkLeavesWithIt() {
            services.add(service("web").network("net").vip("net", "10.0.9.2").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").ready().deleting().build());

            assertThat(datapath().pods()).isEmpty();
            assertThat(datapath().networks()).isEmpty();
        }

        @Test
        void networkStaysWhileAnotherLocalTaskRemains() {
            services.add(service("web").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").ready().deleting().build());
            pods.add(task("web-2", "web").on("n1").address("net", "10.0.9.4").ready().build());

            assertThat(datapath().networks()).extracting(NetworkDatapath::key).containsExactly(NET);
            assertThat(datapath().pods()).extracting(p -> p.pod().name()).containsExactly("web-2");
        }

        @Test
        void terminatedLocalTasksGetNothing() {
            services.add(service("web").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").phase("Failed").build());
            pods.add(task("web-2", "web").on("n1").address("net", "10.0.9.4").phase("Succeeded").build());

            assertThat(datapath().pods()).isEmpty();
            assertThat(datapath().networks()).isEmpty();
        }

        @Test
        void unallocatedNetworkIsNeverProgrammed() {
            networks.add(network("fresh").build());
            services.add(service("web").network("fresh").build());
            pods.add(task("web-1", "web").on("n1").address("fresh", "10.0.11.3").build());

            DesiredState state = compute();
            assertThat(state.datapath().networks()).isEmpty();
            assertThat(state.problems()).extracting(Problem::reason).containsExactly("NetworkNotFound");
        }

        @Test
        void sameNetworkNameInTwoNamespacesIsTwoNetworks() {
            networks.add(network("net").namespace("team-b").allocated("10.0.20.0/24", "10.0.20.1", 5000).build());
            services.add(service("web").network("net").build());
            services.add(service("api").namespace("team-b").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());
            pods.add(task("api-1", "api").namespace("team-b").on("n1").address("net", "10.0.20.3").build());
            pods.add(task("api-2", "api").namespace("team-b").on("n2").address("net", "10.0.20.4").build());

            NodeDatapath datapath = datapath();
            assertThat(datapath.networks()).extracting(NetworkDatapath::key)
                    .containsExactly(NET, new NetworkKey("team-b", "net"));
            assertThat(carried(datapath, NET).remoteEndpoints()).isEmpty();
            assertThat(carried(datapath, new NetworkKey("team-b", "net")).remoteEndpoints())
                    .extracting(RemoteEndpoint::address).containsExactly(ip("10.0.20.4"));
        }
    }

    @Nested
    class Attachments {

        @Test
        void localTaskGetsInterfaceWithAddressPrefixDockerMacAndMtu() {
            services.add(service("web").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());

            PodDatapath pod = pod(datapath(), "web-1");
            assertThat(pod.pod()).isEqualTo(new PodRef(ClusterObjects.NS, "web-1", "uid-web-1"));
            assertThat(pod.attachments()).containsExactly(
                    new PodAttachment(NET, "swn0", ip("10.0.9.3"), 24, MacAddress.parse("02:42:0a:00:09:03"), 1450));
        }

        @Test
        void interfacesAreNamedInTheOrderOfTheServicesNetworks() {
            services.add(service("web").network("other").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").address("other", "10.0.10.3").build());

            assertThat(pod(datapath(), "web-1").attachments())
                    .extracting(PodAttachment::interfaceName, PodAttachment::network)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("swn0", OTHER), org.assertj.core.groups.Tuple.tuple("swn1", NET));
        }

        @Test
        void interfaceNameKeepsItsPositionWhenAnEarlierNetworkHasNoAddress() {
            services.add(service("web").network("other").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());

            assertThat(pod(datapath(), "web-1").attachments()).extracting(PodAttachment::interfaceName).containsExactly("swn1");
        }

        @Test
        void networkTheServiceNoLongerListsComesAfterTheListedOnes() {
            services.add(service("web").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").address("other", "10.0.10.3").build());

            assertThat(pod(datapath(), "web-1").attachments())
                    .extracting(PodAttachment::interfaceName, PodAttachment::network)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("swn0", NET), org.assertj.core.groups.Tuple.tuple("swn1", OTHER));
        }

        @Test
        void interfaceNamesFitTheKernelLimitForTheLargestServiceSpec() {
            var svc = service("web");
            for (int i = 0; i < 32; i++) {
                networks.add(network("n" + i).allocated("10.1." + i + ".0/24", "10.1." + i + ".1", 6000 + i).build());
                svc.network("n" + i);
            }
            services.add(svc.build());
            var t = task("web-1", "web").on("n1");
            for (int i = 0; i < 32; i++) {
                t.address("n" + i, "10.1." + i + ".5");
            }
            pods.add(t.build());

            List<PodAttachment> attachments = pod(datapath(), "web-1").attachments();
            assertThat(attachments).hasSize(32);
            assertThat(attachments).extracting(PodAttachment::interfaceName).allMatch(n -> n.length() <= 15);
            assertThat(attachments.get(31).interfaceName()).isEqualTo("swn31");
        }

        @Test
        void podsAreSortedByNamespaceAndName() {
            services.add(service("web").network("net").build());
            pods.add(task("web-c", "web").on("n1").address("net", "10.0.9.5").build());
            pods.add(task("web-a", "web").on("n1").address("net", "10.0.9.3").build());
            pods.add(task("web-b", "web").on("n1").address("net", "10.0.9.4").build());

            assertThat(datapath().pods()).extracting(p -> p.pod().name()).containsExactly("web-a", "web-b", "web-c");
        }
    }

    @Nested
    class Mtu {

        @Test
        void underlayMinusVxlanOverhead() {
            services.add(service("web").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());

            assertThat(carried(datapath(), NET).mtu()).isEqualTo(1450);
            assertThat(carried(compute(new NodeFacts("n1", ip("192.0.2.1"), 9000)).datapath(), NET).mtu()).isEqualTo(8950);
        }

        @Test
        void encryptedNetworksLeaveRoomForEspRoundedDownToFourBytes() {
            networks.add(network("secret").allocated("10.0.12.0/24", "10.0.12.1", 4100).encrypted().build());
            services.add(service("web").network("secret").build());
            pods.add(task("web-1", "web").on("n1").address("secret", "10.0.12.3").build());

            NetworkKey secret = new NetworkKey(ClusterObjects.NS, "secret");
            assertThat(carried(datapath(), secret).mtu()).isEqualTo(1404); // ESP-in-UDP with a 16-byte ICV fits a 1500-byte underlay
            assertThat(carried(datapath(), secret).encrypted()).isTrue();
            // 9001 - 50 - 46 = 8905, rounded down to 8904
            assertThat(carried(compute(new NodeFacts("n1", ip("192.0.2.1"), 9001)).datapath(), secret).mtu()).isEqualTo(8904);
            assertThat(pod(datapath(), "web-1").attachments().get(0).mtu()).isEqualTo(1404);
        }

        @Test
        void networkSpecMtuWinsOverTheUnderlay() {
            networks.add(network("small").allocated("10.0.13.0/24", "10.0.13.1", 4101).mtu(1280).encrypted().build());
            services.add(service("web").network("small").build());
            pods.add(task("web-1", "web").on("n1").address("small", "10.0.13.3").build());

            assertThat(carried(datapath(), new NetworkKey(ClusterObjects.NS, "small")).mtu()).isEqualTo(1280);
            assertThat(pod(datapath(), "web-1").attachments().get(0).mtu()).isEqualTo(1280);
        }

        @Test
        void specMtuOutsideTheSchemaRangeIsIgnoredWithAProblem() {
            networks.add(network("odd").allocated("10.0.14.0/24", "10.0.14.1", 4102).mtu(100).build());
            services.add(service("web").network("odd").build());
            pods.add(task("web-1", "web").on("n1").address("odd", "10.0.14.3").build());

            DesiredState state = compute();
            assertThat(carried(state.datapath(), new NetworkKey(ClusterObjects.NS, "odd")).mtu()).isEqualTo(1450);
            assertThat(state.problems()).singleElement().satisfies(p -> {
                assertThat(p.reason()).isEqualTo("InvalidMtu");
                assertThat(p.message()).contains("default/odd", "spec.mtu", "100", "outside 576..9000");
            });
        }
    }

    @Nested
    class RemoteEndpoints {

        @BeforeEach
        void oneLocalTask() {
            services.add(service("web").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").ready().build());
        }

        @Test
        void remoteTasksBecomeEndpointsTowardsTheirNodesVtepSortedByAddress() {
            pods.add(task("web-3", "web").on("n3").address("net", "10.0.9.20").ready().build());
            pods.add(task("web-2", "web").on("n2").address("net", "10.0.9.4").ready().build());
            pods.add(task("web-4", "web").on("n2").address("net", "10.0.9.5").ready().build());

            NetworkDatapath net = carried(datapath(), NET);
            assertThat(net.remoteEndpoints()).containsExactly(
                    new RemoteEndpoint(ip("10.0.9.4"), MacAddress.parse("02:42:0a:00:09:04"), ip("192.0.2.2")),
                    new RemoteEndpoint(ip("10.0.9.5"), MacAddress.parse("02:42:0a:00:09:05"), ip("192.0.2.2")),
                    new RemoteEndpoint(ip("10.0.9.20"), MacAddress.parse("02:42:0a:00:09:14"), ip("192.0.2.3")));
            assertThat(net.peerVteps()).containsExactlyInAnyOrder(ip("192.0.2.2"), ip("192.0.2.3"));
        }

        @Test
        void localTasksAreNotRemoteEndpoints() {
            pods.add(task("web-2", "web").on("n1").address("net", "10.0.9.4").build());

            assertThat(carried(datapath(), NET).remoteEndpoints()).isEmpty();
            assertThat(carried(datapath(), NET).peerVteps()).isEmpty();
        }

        @Test
        void remoteTasksCountBeforeTheyAreReady() {
            pods.add(task("web-2", "web").on("n2").address("net", "10.0.9.4").phase("Pending").build());
            pods.add(task("web-3", "web").on("n3").address("net", "10.0.9.5").runningUnattached().build());
            pods.add(task("web-4", "web").on("n3").address("net", "10.0.9.6").build()); // no status at all yet

            assertThat(carried(datapath(), NET).remoteEndpoints()).extracting(RemoteEndpoint::address)
                    .containsExactly(ip("10.0.9.4"), ip("10.0.9.5"), ip("10.0.9.6"));
        }

        @Test
        void deletedFailedUnscheduledAndAddresslessRemoteTasksAreExcluded() {
            pods.add(task("gone", "web").on("n2").address("net", "10.0.9.4").ready().deleting().build());
            pods.add(task("failed", "web").on("n2").address("net", "10.0.9.5").phase("Failed").build());
            pods.add(task("done", "web").on("n2").address("net", "10.0.9.6").phase("Succeeded").build());
            pods.add(task("unscheduled", "web").address("net", "10.0.9.7").build());
            pods.add(task("elsewhere", "web").on("n2").address("other", "10.0.10.8").build());
            pods.add(task("kept", "web").on("n3").address("net", "10.0.9.9").ready().build());

            NetworkDatapath net = carried(datapath(), NET);
            assertThat(net.remoteEndpoints()).extracting(RemoteEndpoint::address).containsExactly(ip("10.0.9.9"));
            assertThat(net.peerVteps()).containsExactly(ip("192.0.2.3"));
        }

        @Test
        void remoteTaskOnNodeWithoutInternalIpIsSkippedAndTheNodeReported() {
            nodes.add(node("n4", null));
            pods.add(task("web-4", "web").on("n4").address("net", "10.0.9.4").ready().build());
            pods.add(task("web-2", "web").on("n2").address("net", "10.0.9.5").ready().build());

            DesiredState state = compute();
            assertThat(carried(state.datapath(), NET).remoteEndpoints()).extracting(RemoteEndpoint::address)
                    .containsExactly(ip("10.0.9.5"));
            assertThat(state.problems()).singleElement().satisfies(p -> {
                assertThat(p.reason()).isEqualTo("NodeAddressMissing");
                assertThat(p.subject().kind()).isEqualTo("Node");
                assertThat(p.subject().name()).isEqualTo("n4");
                assertThat(p.message()).contains("InternalIP");
            });
        }

        @Test
        void remoteTaskOnUnknownNodeIsSkipped() {
            pods.add(task("web-9", "web").on("ghost").address("net", "10.0.9.4").ready().build());

            assertThat(carried(datapath(), NET).remoteEndpoints()).isEmpty();
        }

        @Test
        void remoteNodeClaimingOurUnderlayAddressIsNotAPeer() {
            nodes.add(node("twin", "192.0.2.1"));
            pods.add(task("web-9", "web").on("twin").address("net", "10.0.9.4").ready().build());

            assertThat(carried(datapath(), NET).remoteEndpoints()).isEmpty();
            assertThat(carried(datapath(), NET).peerVteps()).isEmpty();
        }

        @Test
        void remoteTasksOfOtherServicesOnTheNetworkAreEndpointsToo() {
            services.add(service("db").network("net").build());
            pods.add(task("db-1", "db").on("n2").address("net", "10.0.9.30").ready().build());

            assertThat(carried(datapath(), NET).remoteEndpoints()).extracting(RemoteEndpoint::address)
                    .containsExactly(ip("10.0.9.30"));
        }
    }

    @Nested
    class VipRules {

        @BeforeEach
        void webServiceWithVip() {
            services.add(service("web").network("net").vip("net", "10.0.9.2").build());
        }

        @Test
        void localPodGetsRuleForEveryVipServiceOnItsNetworksWithReadyBackendsSorted() {
            services.add(service("client").network("net").vip("net", "10.0.9.100").build());
            pods.add(task("client-1", "client").on("n1").address("net", "10.0.9.101").ready().build());
            pods.add(task("web-3", "web").on("n3").address("net", "10.0.9.30").ready().build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.10").ready().build());
            pods.add(task("web-2", "web").on("n2").address("net", "10.0.9.4").ready().build());

            PodDatapath client = pod(datapath(), "client-1");
            assertThat(client.vips()).containsExactly(
                    new VipRule("client", NET, ip("10.0.9.100"), ips("10.0.9.101")),
                    new VipRule("web", NET, ip("10.0.9.2"), ips("10.0.9.4", "10.0.9.10", "10.0.9.30")));
        }

        @Test
        void everyLocalPodOnTheNetworkGetsTheSameRules() {
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").ready().build());
            pods.add(task("web-2", "web").on("n1").address("net", "10.0.9.4").ready().build());

            NodeDatapath datapath = datapath();
            assertThat(pod(datapath, "web-1").vips()).isEqualTo(pod(datapath, "web-2").vips())
                    .containsExactly(new VipRule("web", NET, ip("10.0.9.2"), ips("10.0.9.3", "10.0.9.4")));
        }

        @Test
        void unchangedVipRulesAreSharedWithThePreviousResult() {
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").ready().build());
            pods.add(task("web-2", "web").on("n1").address("net", "10.0.9.4").ready().build());

            DesiredState first = compute();
            DesiredState second = DesiredDatapath.compute(ClusterSnapshot.of(pods, services, networks, nodes), N1, first.datapath());

            assertThat(second.datapath()).isEqualTo(first.datapath());
            assertThat(pod(second.datapath(), "web-2").vips()).isSameAs(pod(first.datapath(), "web-1").vips());
        }

        @Test
        void tasksThatAreNotReadyAreNotBackends() {
            pods.add(task("client", "web").on("n1").address("net", "10.0.9.3").build());
            pods.add(task("pending", "web").on("n2").address("net", "10.0.9.4").phase("Pending").containersReady(true).attached(true).build());
            pods.add(task("unready", "web").on("n2").address("net", "10.0.9.5").ready().containersReady(false).build());
            pods.add(task("unattached", "web").on("n2").address("net", "10.0.9.6").runningUnattached().build());
            pods.add(task("deleting", "web").on("n2").address("net", "10.0.9.7").ready().deleting().build());
            pods.add(task("failed", "web").on("n2").address("net", "10.0.9.8").phase("Failed").build());
            pods.add(task("unscheduled", "web").address("net", "10.0.9.9").ready().build());
            pods.add(task("ready", "web").on("n3").address("net", "10.0.9.10").ready().build());

            assertThat(backends(pod(datapath(), "client"), "web")).containsExactly(ip("10.0.9.10"));
        }

        @Test
        void containersReadyFallsBackToContainerStatusesWhenTheConditionIsAbsent() {
            Pod pod = task("web-2", "web").on("n2").address("net", "10.0.9.4").ready().build();
            pod.getStatus().getConditions().removeIf(c -> c.getType().equals("ContainersReady"));
            pod.getStatus().setContainerStatuses(List.of(new io.fabric8.kubernetes.api.model.ContainerStatusBuilder()
                    .withName("main").withReady(true).build()));
            pods.add(pod);
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());

            assertThat(backends(pod(datapath(), "web-1"), "web")).containsExactly(ip("10.0.9.4"));
        }

        @Test
        void vipWithoutReadyTasksGetsAnEmptyRuleSoConnectionsAreRefused() {
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").phase("Pending").build());

            assertThat(pod(datapath(), "web-1").vips()).containsExactly(new VipRule("web", NET, ip("10.0.9.2"), List.of()));
        }

        @Test
        void dnsrrServicesGetNoRule() {
            services.add(service("dns-only").network("net").dnsrr().build());
            pods.add(task("dns-only-1", "dns-only").on("n1").address("net", "10.0.9.3").ready().build());

            assertThat(pod(datapath(), "dns-only-1").vips()).extracting(VipRule::service).containsExactly("web");
        }

        @Test
        void dnsrrServiceWithAStrayVirtualIpStillGetsNoRule() {
            services.add(service("dns-only").network("net").dnsrr().vip("net", "10.0.9.50").build());
            pods.add(task("dns-only-1", "dns-only").on("n1").address("net", "10.0.9.3").ready().build());

            assertThat(pod(datapath(), "dns-only-1").vips()).extracting(VipRule::service).containsExactly("web");
        }

        @Test
        void servicesOnNetworksThePodDoesNotShareGetNoRule() {
            services.add(service("db").network("other").vip("other", "10.0.10.2").build());
            services.add(service("client").network("other").build());
            pods.add(task("db-1", "db").on("n2").address("other", "10.0.10.3").ready().build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").ready().build());
            pods.add(task("client-1", "client").on("n1").address("other", "10.0.10.4").ready().build());

            NodeDatapath datapath = datapath();
            assertThat(pod(datapath, "web-1").vips()).extracting(VipRule::service).containsExactly("web");
            assertThat(pod(datapath, "client-1").vips()).extracting(VipRule::service).containsExactly("db");
        }

        @Test
        void backendsAreTheTasksAddressesOnTheVipsNetwork() {
            services.add(service("db").network("net").network("other").vip("net", "10.0.9.60").vip("other", "10.0.10.60").build());
            services.add(service("client").network("net").network("other").build());
            pods.add(task("db-1", "db").on("n2").address("net", "10.0.9.61").address("other", "10.0.10.61").ready().build());
            pods.add(task("client-1", "client").on("n1").address("net", "10.0.9.3").address("other", "10.0.10.3").build());

            assertThat(pod(datapath(), "client-1").vips()).containsExactly(
                    new VipRule("db", NET, ip("10.0.9.60"), ips("10.0.9.61")),
                    new VipRule("web", NET, ip("10.0.9.2"), List.of()),
                    new VipRule("db", OTHER, ip("10.0.10.60"), ips("10.0.10.61")));
        }

        @Test
        void servicesInOtherNamespacesAreNeverReachable() {
            networks.add(network("net").namespace("team-b").allocated("10.0.9.0/24", "10.0.9.1", 5000).build());
            services.add(service("web").namespace("team-b").network("net").vip("net", "10.0.9.200").build());
            pods.add(task("web-b", "web").namespace("team-b").on("n2").address("net", "10.0.9.201").ready().build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").ready().build());

            assertThat(pod(datapath(), "web-1").vips()).containsExactly(new VipRule("web", NET, ip("10.0.9.2"), ips("10.0.9.3")));
        }

        @Test
        void serviceWithoutVirtualIpYetGetsNoRule() {
            services.add(service("new").network("net").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").build());

            assertThat(pod(datapath(), "web-1").vips()).extracting(VipRule::service).containsExactly("web");
        }
    }

    @Nested
    class MalformedInput {

        @BeforeEach
        void webService() {
            services.add(service("web").network("net").vip("net", "10.0.9.2").build());
            pods.add(task("good", "web").on("n1").address("net", "10.0.9.3").ready().build());
            pods.add(task("remote", "web").on("n2").address("net", "10.0.9.4").ready().build());
        }

        void assertOthersUndisturbed(NodeDatapath datapath) {
            assertThat(datapath.pods()).extracting(p -> p.pod().name()).containsExactly("good");
            assertThat(pod(datapath, "good").attachments()).hasSize(1);
            assertThat(carried(datapath, NET).remoteEndpoints()).extracting(RemoteEndpoint::address).containsExactly(ip("10.0.9.4"));
            assertThat(backends(pod(datapath, "good"), "web")).containsExactly(ip("10.0.9.3"), ip("10.0.9.4"));
        }

        Problem onlyProblem(DesiredState state) {
            assertThat(state.problems()).hasSize(1);
            return state.problems().get(0);
        }

        @Test
        void unreadableAddressAnnotationSkipsThePodAndNamesIt() {
            pods.add(task("bad", "web").on("n1").annotation("{not json").build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            Problem problem = onlyProblem(state);
            assertThat(problem.reason()).isEqualTo("InvalidAddresses");
            assertThat(problem.subject().kind()).isEqualTo("Pod");
            assertThat(problem.subject().name()).isEqualTo("bad");
            assertThat(problem.message()).contains("default/bad", "swarmnet.io/addresses", "{not json");
            assertThat(problem.node()).isEqualTo("n1");
        }

        @Test
        void invalidAddressValueSkipsThePod() {
            pods.add(task("bad", "web").on("n1").annotation("{\"net\":\"10.0.9.300\"}").build());
            pods.add(task("null", "web").on("n1").annotation("{\"net\":null}").build());
            pods.add(task("array", "web").on("n1").annotation("[\"net\"]").build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            assertThat(state.problems()).extracting(p -> p.subject().name()).containsExactly("array", "bad", "null");
            assertThat(state.problems()).extracting(Problem::reason).containsOnly("InvalidAddresses");
        }

        @Test
        void problemsOfPodsOnOtherNodesAreLeftToTheirAgents() {
            pods.add(task("bad", "web").on("n2").annotation("garbage").build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            assertThat(state.problems()).isEmpty();
            assertThat(compute(new NodeFacts("n2", ip("192.0.2.2"), 1500)).problems()).extracting(Problem::reason)
                    .containsExactly("InvalidAddresses");
        }

        @Test
        void localPodWithoutAddressesIsNotAttachedAndReported() {
            pods.add(task("bare", "web").on("n1").build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            assertThat(onlyProblem(state).reason()).isEqualTo("NoAddresses");
        }

        @Test
        void localPodOfMissingServiceIsNotAttachedAndReported() {
            pods.add(task("orphan", "ghost").on("n1").address("net", "10.0.9.50").build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            Problem problem = onlyProblem(state);
            assertThat(problem.reason()).isEqualTo("ServiceNotFound");
            assertThat(problem.message()).contains("default/orphan", "ghost");
        }

        @Test
        void localPodOnUnknownNetworkIsNotAttachedAtAll() {
            pods.add(task("lost", "web").on("n1").address("net", "10.0.9.50").address("nowhere", "10.9.9.9").build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            Problem problem = onlyProblem(state);
            assertThat(problem.reason()).isEqualTo("NetworkNotFound");
            assertThat(problem.message()).contains("default/lost", "nowhere");
        }

        @Test
        void addressOutsideTheSubnetIsRejected() {
            pods.add(task("outside", "web").on("n1").address("net", "10.0.99.3").build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            assertThat(onlyProblem(state).message()).contains("default/outside", "10.0.99.3", "outside", "10.0.9.0/24");
        }

        @Test
        void gatewayNetworkAndBroadcastAddressesAreRejected() {
            pods.add(task("gw", "web").on("n1").address("net", "10.0.9.1").build());
            pods.add(task("zero", "web").on("n1").address("net", "10.0.9.0").build());
            pods.add(task("bcast", "web").on("n1").address("net", "10.0.9.255").build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            assertThat(state.problems()).extracting(p -> p.subject().name()).containsExactly("bcast", "gw", "zero");
            assertThat(state.problems()).extracting(Problem::reason).containsOnly("AddressConflict");
        }

        @Test
        void addressClashExcludesEveryHolderAndNamesBoth() {
            pods.add(task("twin-local", "web").on("n1").address("net", "10.0.9.77").ready().build());
            pods.add(task("twin-remote", "web").on("n3").address("net", "10.0.9.77").ready().build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            Problem problem = onlyProblem(state);
            assertThat(problem.subject().name()).isEqualTo("twin-local");
            assertThat(problem.message()).contains("10.0.9.77", "default/twin-local", "default/twin-remote");
        }

        @Test
        void taskAddressEqualToAVirtualIpIsRejected() {
            pods.add(task("thief", "web").on("n1").address("net", "10.0.9.2").build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            assertThat(onlyProblem(state).message()).contains("virtual IP of service default/web");
        }

        @Test
        void deletedTaskNoLongerHoldsItsAddress() {
            pods.add(task("old", "web").on("n2").address("net", "10.0.9.5").deleting().build());
            pods.add(task("new", "web").on("n1").address("net", "10.0.9.5").build());

            DesiredState state = compute();
            assertThat(state.problems()).isEmpty();
            assertThat(state.datapath().pods()).extracting(p -> p.pod().name()).containsExactly("good", "new");
        }

        @Test
        void invalidNetworkStatusSkipsTheNetworkAndItsTasks() {
            networks.add(network("broken").allocated("10.0.50.7/24", "10.0.50.1", 4200).build());
            networks.add(network("gw-out").allocated("10.0.51.0/24", "10.0.52.1", 4201).build());
            networks.add(network("vni-zero").allocated("10.0.53.0/24", "10.0.53.1", 0).build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            assertThat(state.problems()).extracting(p -> p.subject().name()).containsExactly("broken", "gw-out", "vni-zero");
            assertThat(state.problems()).extracting(Problem::reason).containsOnly("InvalidNetworkStatus");
            assertThat(state.problems().get(0).message()).contains("status.subnet", "10.0.50.7/24");
            assertThat(state.problems().get(1).message()).contains("status.gateway", "10.0.52.1");
            assertThat(state.problems().get(2).message()).contains("status.vxlanId", "0");
        }

        @Test
        void vxlanIdClashKeepsTheOlderNetworkAndReportsTheOther() {
            networks.clear();
            networks.add(network("net").allocated("10.0.9.0/24", "10.0.9.1", 4097).created("2026-11-25T10:00:00Z").build());
            networks.add(network("copy").allocated("10.0.60.0/24", "10.0.60.1", 4097).created("2026-11-25T11:00:00Z").build());
            services.add(service("c").network("copy").build());
            pods.add(task("c-1", "c").on("n1").address("copy", "10.0.60.3").build());

            DesiredState state = compute();
            assertThat(state.datapath().networks()).extracting(NetworkDatapath::key).containsExactly(NET);
            assertThat(state.problems()).extracting(Problem::reason).containsExactly("VxlanIdClash", "NetworkNotFound");
        }

        @Test
        void twoServicesClaimingOneVirtualIpLoseItBothAndAreReported() {
            services.add(service("api").network("net").vip("net", "10.0.9.2").build());

            DesiredState state = compute();
            assertThat(pod(state.datapath(), "good").vips()).isEmpty();
            assertThat(state.problems()).extracting(p -> p.subject().name()).containsExactly("api", "web");
            assertThat(state.problems().get(0).message()).contains("10.0.9.2", "default/api", "default/web");
        }

        @Test
        void virtualIpOnTheGatewayIsDropped() {
            services.add(service("api").network("net").vip("net", "10.0.9.1").build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            assertThat(onlyProblem(state).message()).contains("gateway");
        }

        @Test
        void unreadableVirtualIpDropsOnlyThatVip() {
            services.add(service("api").network("net").vip("net", "ten.zero").build());

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            Problem problem = onlyProblem(state);
            assertThat(problem.reason()).isEqualTo("InvalidVirtualIP");
            assertThat(problem.subject().kind()).isEqualTo("SwarmService");
            assertThat(problem.message()).contains("default/api", "status.virtualIPs", "ten.zero");
            assertThat(problem.node()).isNull();
        }

        @Test
        void serviceWithoutSpecIsReported() {
            SwarmService broken = service("broken").build();
            broken.setSpec(null);
            services.add(broken);

            DesiredState state = compute();
            assertOthersUndisturbed(state.datapath());
            assertThat(onlyProblem(state).reason()).isEqualTo("InvalidService");
        }

        @Test
        void problemOfUnscheduledPodIsSharedByAllAgents() {
            pods.add(task("floating", "web").annotation("nope").build());

            Problem problem = onlyProblem(compute());
            assertThat(problem.node()).isNull();
        }
    }

    @Nested
    class Determinism {

        @Test
        void inputOrderDoesNotChangeTheResult() {
            services.add(service("web").network("net").network("other").vip("net", "10.0.9.2").vip("other", "10.0.10.2").build());
            services.add(service("db").network("net").vip("net", "10.0.9.200").build());
            for (int i = 0; i < 30; i++) {
                pods.add(task("web-" + i, "web").on("n" + (1 + i % 3)).address("net", "10.0.9." + (10 + i))
                        .address("other", "10.0.10." + (10 + i)).ready().build());
                pods.add(task("db-" + i, "db").on("n" + (1 + (i + 1) % 3)).address("net", "10.0.9." + (100 + i)).ready().build());
            }
            pods.add(task("bad", "web").on("n1").annotation("{").build());
            NodeDatapath first = datapath();
            List<Problem> firstProblems = compute().problems();

            Random random = new Random(42);
            for (int round = 0; round < 5; round++) {
                Collections.shuffle(pods, random);
                Collections.shuffle(services, random);
                Collections.shuffle(networks, random);
                Collections.shuffle(nodes, random);
                assertThat(datapath()).isEqualTo(first);
                assertThat(compute().problems()).isEqualTo(firstProblems);
            }
            assertThat(first.pods()).hasSize(20);
            assertThat(first.networks()).extracting(NetworkDatapath::key).containsExactly(NET, OTHER);
        }

        @Test
        void aResultComputedWithThePreviousOneSharesWhatDidNotChange() {
            services.add(service("web").network("net").vip("net", "10.0.9.2").build());
            services.add(service("db").network("net").vip("net", "10.0.9.200").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.10").ready().build());
            pods.add(task("web-2", "web").on("n2").address("net", "10.0.9.11").ready().build());
            pods.add(task("db-1", "db").on("n2").address("net", "10.0.9.100").ready().build());
            pods.add(task("db-2", "db").on("n3").address("net", "10.0.9.101").ready().build());
            NodeDatapath before = datapath();

            // db-2 is no longer ready: one rule changes, the remote tasks stay
            pods.removeIf(p -> p.getMetadata().getName().equals("db-2"));
            pods.add(task("db-2", "db").on("n3").address("net", "10.0.9.101").build());
            NodeDatapath after = DesiredDatapath.compute(ClusterSnapshot.of(pods, services, networks, nodes), N1, before).datapath();

            assertThat(after).as("equal to a result computed afresh").isEqualTo(datapath());
            assertThat(backends(pod(after, "web-1"), "db")).isEqualTo(ips("10.0.9.100"));
            assertThat(rule(after, "web")).as("the unchanged rule is the previous object").isSameAs(rule(before, "web"));
            assertThat(rule(after, "db")).isNotEqualTo(rule(before, "db"));
            assertThat(carried(after, NET).remoteEndpoints()).as("the unchanged remote tasks are the previous list")
                    .isSameAs(carried(before, NET).remoteEndpoints());
        }

        private VipRule rule(NodeDatapath datapath, String service) {
            return pod(datapath, "web-1").vips().stream().filter(v -> v.service().equals(service)).findFirst().orElseThrow();
        }
    }

    /** Pods that are no task, joined to attachable networks (annotation swarmnet.io/networks, addresses from the operator). */
    @Nested
    class AttachedPods {

        @Test
        void aLocalAttachedPodGetsItsInterfacesInTheOrderItAskedAndEveryVipOfItsNetworks() {
            services.add(service("web").network("net").vip("net", "10.0.9.2").build());
            services.add(service("db").network("other").vip("other", "10.0.10.2").build());
            pods.add(task("web-1", "web").on("n2").address("net", "10.0.9.3").ready().build());
            pods.add(task("db-1", "db").on("n3").address("other", "10.0.10.3").ready().build());
            // asked for "other" first: the addresses annotation alone is sorted by name, the recorded request is not
            pods.add(ClusterObjects.attachedPod("client-7d9f8-x2k4q").on("n1").address("other", "10.0.10.7")
                    .address("net", "10.0.9.7").build());

            PodDatapath client = pod(datapath(), "client-7d9f8-x2k4q");
            assertThat(client.attachments()).extracting(PodAttachment::interfaceName, PodAttachment::network, PodAttachment::address)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("swn0", OTHER, ip("10.0.10.7")),
                            org.assertj.core.groups.Tuple.tuple("swn1", NET, ip("10.0.9.7")));
            assertThat(client.attachments()).extracting(PodAttachment::mac).containsExactly(MacAddress.forTask(ip("10.0.10.7")),
                    MacAddress.forTask(ip("10.0.9.7")));
            assertThat(backends(client, "web")).containsExactly(ip("10.0.9.3"));
            assertThat(backends(client, "db")).containsExactly(ip("10.0.10.3"));
            assertThat(carried(datapath(), NET).remoteEndpoints()).extracting(RemoteEndpoint::address).containsExactly(ip("10.0.9.3"));
            assertThat(compute().problems()).isEmpty();
        }

        @Test
        void aRemoteAttachedPodIsAPeerOfLocalTasksButNeverAVipBackend() {
            services.add(service("web").network("net").vip("net", "10.0.9.2").build());
            pods.add(task("web-1", "web").on("n1").address("net", "10.0.9.3").ready().build());
            pods.add(ClusterObjects.attachedPod("batch-5hq7w").on("n2").address("net", "10.0.9.9").ready().build());

            NodeDatapath datapath = datapath();
            assertThat(carried(datapath, NET).remoteEndpoints()).singleElement().satisfies(r -> {
                assertThat(r.address()).isEqualTo(ip("10.0.9.9"));
                assertThat(r.vtep()).isEqualTo(ip("192.0.2.2"));
            });
            assertThat(backends(pod(datapath, "web-1"), "web")).containsExactly(ip("10.0.9.3"));
        }

        @Test
        void anAttachedPodWhoseAddressClashesIsNotAttachedAndSaysWhy() {
            services.add(service("web").network("net").vip("net", "10.0.9.2").build());
            pods.add(ClusterObjects.attachedPod("cache-0").on("n1").address("net", "10.0.9.2").build());

            DesiredState state = compute();
            assertThat(state.datapath().pods()).isEmpty();
            assertThat(state.problems()).singleElement().satisfies(p -> {
                assertThat(p.reason()).isEqualTo("AddressConflict");
                assertThat(p.message()).contains("cache-0", "is the virtual IP of service");
            });
        }

        @Test
        void anAttachedPodWithAnUnreadableRecordOfItsNetworksIsNotAttachedAndSaysWhy() {
            Pod pod = ClusterObjects.attachedPod("cache-0").on("n1").address("net", "10.0.9.5").build();
            pod.getMetadata().getAnnotations().put(io.swarmnet.api.contract.SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS, "[{");
            pods.add(pod);

            DesiredState state = compute();
            assertThat(state.datapath().pods()).isEmpty();
            assertThat(state.problems()).singleElement().satisfies(p -> {
                assertThat(p.reason()).isEqualTo("InvalidAttachedNetworks");
                assertThat(p.message()).contains("default/cache-0", "swarmnet.io/attached-networks");
            });
        }
    }

    /**
     * A network of namespace infra that shares itself with shop and blog (the operator decides who may; the agent takes the
     * addresses it wrote): services of three namespaces on it, two of them named web.
     */
    @Nested
    class SharedAcrossNamespaces {

        final NetworkKey proxy = new NetworkKey("infra", "proxy");

        @BeforeEach
        void proxyNetworkWithServicesOfThreeNamespaces() {
            networks.add(network("proxy").namespace("infra").allocated("10.0.30.0/24", "10.0.30.1", 4200).shared().build());
            services.add(service("traefik").namespace("infra").network("proxy").vip("proxy", "10.0.30.2").build());
            services.add(service("web").namespace("shop").sharedNetwork("infra", "proxy").vip("infra/proxy", "10.0.30.4").build());
            services.add(service("web").namespace("blog").sharedNetwork("infra", "proxy").vip("infra/proxy", "10.0.30.6").build());
            pods.add(task("traefik-1-aaaaa", "traefik").namespace("infra").on("n1").address("proxy", "10.0.30.3").ready().build());
            pods.add(task("web-1-bbbbb", "web").namespace("shop").on("n2").address("infra/proxy", "10.0.30.5").ready().build());
            pods.add(task("web-1-ccccc", "web").namespace("blog").on("n1").address("infra/proxy", "10.0.30.7").ready().build());
        }

        @Test
        void tasksOfEveryNamespaceAttachToTheOneNetwork() {
            NodeDatapath datapath = datapath();
            assertThat(datapath.networks()).extracting(NetworkDatapath::key).containsExactly(proxy);
            assertThat(pod(datapath, "traefik-1-aaaaa").attachments()).extracting(PodAttachment::network).containsExactly(proxy);
            assertThat(pod(datapath, "web-1-ccccc").attachments()).extracting(PodAttachment::network, PodAttachment::address)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(proxy, ip("10.0.30.7")));
            assertThat(carried(datapath, proxy).remoteEndpoints()).extracting(RemoteEndpoint::address, RemoteEndpoint::vtep)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(ip("10.0.30.5"), ip("192.0.2.2")));
            assertThat(compute().problems()).isEmpty();
        }

        @Test
        void servicesOfOneNameInTwoNamespacesKeepTheirOwnVipAndBackends() {
            PodDatapath traefik = pod(datapath(), "traefik-1-aaaaa");
            assertThat(traefik.vips()).containsExactly(
                    new VipRule("blog/web", proxy, ip("10.0.30.6"), ips("10.0.30.7")),
                    new VipRule("shop/web", proxy, ip("10.0.30.4"), ips("10.0.30.5")),
                    new VipRule("traefik", proxy, ip("10.0.30.2"), ips("10.0.30.3")));
            assertThat(pod(datapath(), "web-1-ccccc").vips()).isEqualTo(traefik.vips());
        }

        @Test
        void aNetworkOfTheOwnNamespaceWithTheSameNameIsAnotherNetwork() {
            networks.add(network("proxy").namespace("shop").allocated("10.0.31.0/24", "10.0.31.1", 4201).build());
            services.add(service("api").namespace("shop").network("proxy").sharedNetwork("infra", "proxy")
                    .vip("proxy", "10.0.31.2").vip("infra/proxy", "10.0.30.8").build());
            pods.add(task("api-1-ddddd", "api").namespace("shop").on("n1").address("proxy", "10.0.31.3")
                    .address("infra/proxy", "10.0.30.9").ready().build());

            NodeDatapath datapath = datapath();
            NetworkKey shopProxy = new NetworkKey("shop", "proxy");
            assertThat(datapath.networks()).extracting(NetworkDatapath::key).containsExactly(proxy, shopProxy);
            assertThat(pod(datapath, "api-1-ddddd").attachments()).extracting(PodAttachment::interfaceName, PodAttachment::network,
                    PodAttachment::address).containsExactly(
                            org.assertj.core.groups.Tuple.tuple("swn0", shopProxy, ip("10.0.31.3")),
                            org.assertj.core.groups.Tuple.tuple("swn1", proxy, ip("10.0.30.9")));
            // the shared network's rules in the api task name it by namespace; its own network's by name
            assertThat(pod(datapath, "api-1-ddddd").vips()).extracting(VipRule::service, VipRule::vip).contains(
                    org.assertj.core.groups.Tuple.tuple("shop/api", ip("10.0.30.8")), org.assertj.core.groups.Tuple.tuple("api", ip("10.0.31.2")));
            // traefik, on the shared network only, gets no rule for the api's VIP on shop's own network
            assertThat(pod(datapath, "traefik-1-aaaaa").vips()).extracting(VipRule::vip).doesNotContain(ip("10.0.31.2"))
                    .contains(ip("10.0.30.8"));
            assertThat(compute().problems()).isEmpty();
        }

        @Test
        void anAddressOfAnotherNamespacesTaskOrVipOnTheSharedNetworkIsAClash() {
            pods.add(task("web-2-eeeee", "web").namespace("shop").on("n1").address("infra/proxy", "10.0.30.2").ready().build());
            assertThat(datapath().pods()).extracting(p -> p.pod().name()).doesNotContain("web-2-eeeee");
            assertThat(compute().problems()).anySatisfy(p -> {
                assertThat(p.reason()).isEqualTo("AddressConflict");
                assertThat(p.message()).contains("shop/web-2-eeeee", "10.0.30.2", "infra/proxy", "the virtual IP of service infra/traefik");
            });
        }

        @Test
        void aNetworkThatIsNotSharedTakesNothingOfAnotherNamespaceWhateverItsAnnotationsSay() {
            // spec.shareWith removed (or never there): the operator writes no such address, one written by hand joins nothing
            networks.set(networks.size() - 1, network("proxy").namespace("infra").allocated("10.0.30.0/24", "10.0.30.1", 4200).build());
            NodeDatapath datapath = datapath();
            assertThat(datapath.pods()).extracting(p -> p.pod().name()).containsExactly("traefik-1-aaaaa");
            assertThat(compute().problems()).anySatisfy(p -> {
                assertThat(p.reason()).isEqualTo("NetworkNotShared");
                assertThat(p.message()).contains("blog/web-1-ccccc", "infra/proxy", "spec.shareWith");
            });
            assertThat(carried(datapath, proxy).remoteEndpoints()).as("shop's task on n2 is no peer").isEmpty();
            assertThat(pod(datapath, "traefik-1-aaaaa").vips()).containsExactly(
                    new VipRule("traefik", proxy, ip("10.0.30.2"), ips("10.0.30.3")));
        }

        @Test
        void anAttachedPodOfAnotherNamespaceJoinsTheSharedNetwork() {
            pods.add(ClusterObjects.attachedPod("client-0").namespace("shop").on("n1").address("infra/proxy", "10.0.30.20")
                    .aliases("infra/proxy", "shop-client").build());
            PodDatapath client = pod(datapath(), "client-0");
            assertThat(client.attachments()).extracting(PodAttachment::interfaceName, PodAttachment::network)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("swn0", proxy));
            assertThat(client.vips()).extracting(VipRule::service).containsExactly("blog/web", "shop/web", "traefik");
        }
    }
}

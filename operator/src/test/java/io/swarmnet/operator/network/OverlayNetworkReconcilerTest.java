package io.swarmnet.operator.network;

import static io.swarmnet.operator.TestCluster.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.api.contract.NodeNetworkStates;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkSpec;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceSpec;
import io.swarmnet.operator.Conditions;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OverlayNetworkReconcilerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String NS = "default";

    private final OperatorConfig config = OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false)
            .withPools(List.of(Cidr.parse("10.0.0.0/8")), 24, List.of(Cidr.parse("10.0.0.0/16")));

    private OperatorOnTestCluster cluster;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        cluster = OperatorOnTestCluster.start(config);
        client = cluster.client();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private OverlayNetwork create(String name, Consumer<OverlayNetworkSpec> spec) {
        return cluster.create(name, spec);
    }

    private OverlayNetwork get(String name) {
        return cluster.get(name);
    }

    private Condition condition(String name, String type) {
        return cluster.condition(name, type);
    }

    private OverlayNetwork awaitReady(String name, String status) {
        eventually(WAIT, name + " has Ready=" + status, () -> {
            Condition c = condition(name, "Ready");
            return c != null && status.equals(c.getStatus());
        });
        return get(name);
    }

    private SwarmService service(String name, String... networks) {
        SwarmService s = new SwarmService();
        s.setMetadata(new ObjectMetaBuilder().withNamespace(NS).withName(name).build());
        SwarmServiceSpec spec = s.getSpec();
        spec.setReplicas(0);
        spec.setTemplate(new PodTemplateSpecBuilder().withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer()
                .endSpec().build());
        List<NetworkAttachment> attachments = new ArrayList<>();
        for (String n : networks) {
            attachments.add(new NetworkAttachment(n));
        }
        spec.setNetworks(attachments);
        return client.resource(s).create();
    }

    @Test
    void autoNetworksGetDistinctSubnetsGatewaysAndVnisAndTurnReady() {
        create("a", s -> { });
        create("b", s -> { });
        OverlayNetwork a = awaitReady("a", "True");
        OverlayNetwork b = awaitReady("b", "True");
        Cidr sa = Cidr.parse(a.getStatus().getSubnet());
        Cidr sb = Cidr.parse(b.getStatus().getSubnet());
        assertThat(sa.overlaps(sb)).isFalse();
        assertThat(sa.prefixLength()).isEqualTo(24);
        assertThat(a.getStatus().getGateway()).isEqualTo(sa.first().plus(1).toString());
        assertThat(a.getStatus().getVxlanId()).isNotEqualTo(b.getStatus().getVxlanId());
        assertThat(List.of(a.getStatus().getVxlanId(), b.getStatus().getVxlanId())).containsExactlyInAnyOrder(1_048_576, 1_048_577); // the default range
        assertThat(a.getStatus().getObservedGeneration()).isEqualTo(a.getMetadata().getGeneration());
        assertThat(a.getMetadata().getFinalizers()).contains(SwarmnetKeys.FINALIZER_NETWORK);
        Condition ready = Conditions.find(a.getStatus().getConditions(), "Ready");
        assertThat(ready.getReason()).isEqualTo("Allocated");
        assertThat(ready.getLastTransitionTime()).isNotBlank();
        assertThat(ready.getObservedGeneration()).isEqualTo(a.getMetadata().getGeneration());
        assertThat(AllocatableNetwork.of(a).subnet()).isEqualTo(sa);
        assertThat(a.getStatus().getAddressUsage()).isEqualTo("0/253 (0%)");
        assertThat(Conditions.find(a.getStatus().getConditions(), "Encrypted").getReason()).isEqualTo("NotRequested");
        eventually(WAIT, "an Allocated event is recorded", () -> client.v1().events().inNamespace(NS).list().getItems().stream()
                .anyMatch(e -> "Allocated".equals(e.getReason()) && "a".equals(e.getInvolvedObject().getName())));
    }

    @Test
    void excludedRangesAndNodeRangesAreNeverUsed() {
        // the configured exclusion is 10.0.0.0/16; a node's pod CIDR and address are excluded too
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-1").endMetadata()
                .withNewSpec().withPodCIDR("10.1.0.0/24").endSpec()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress("10.1.1.7").endAddress().endStatus().build()).create();
        create("a", s -> { });
        OverlayNetwork a = awaitReady("a", "True");
        Cidr subnet = Cidr.parse(a.getStatus().getSubnet());
        assertThat(subnet.overlaps(Cidr.parse("10.0.0.0/16"))).isFalse();
        assertThat(subnet.overlaps(Cidr.parse("10.1.0.0/23"))).isFalse();
        assertThat(subnet).isEqualTo(Cidr.parse("10.1.2.0/24"));

        create("explicit", s -> s.setSubnet("10.0.5.0/24"));
        Condition c = awaitReady("explicit", "False").getStatus().getConditions().stream()
                .filter(x -> x.getType().equals("Ready")).findFirst().orElseThrow();
        assertThat(c.getReason()).isEqualTo("SubnetExcluded");
        assertThat(c.getMessage()).contains("spec.subnet 10.0.5.0/24 overlaps 10.0.0.0/16 from SWARMNET_EXCLUDED_CIDRS");
    }

    @Test
    void overlappingExplicitSubnetIsRejectedAndTheOtherNetworkUntouched() {
        create("my-network", s -> s.setSubnet("10.9.0.0/24"));
        OverlayNetwork first = awaitReady("my-network", "True");
        create("intruder", s -> s.setSubnet("10.9.0.128/25"));
        OverlayNetwork intruder = awaitReady("intruder", "False");
        Condition c = Conditions.find(intruder.getStatus().getConditions(), "Ready");
        assertThat(c.getReason()).isEqualTo("SubnetOverlap");
        assertThat(c.getMessage()).contains("spec.subnet 10.9.0.128/25", "10.9.0.0/24", "default/my-network");
        assertThat(intruder.getStatus().getSubnet()).isNull();
        assertThat(intruder.getStatus().getVxlanId()).isNull();
        OverlayNetwork after = get("my-network");
        assertThat(after.getMetadata().getResourceVersion()).isEqualTo(first.getMetadata().getResourceVersion());
        assertThat(after.getStatus().getSubnet()).isEqualTo("10.9.0.0/24");
        eventually(WAIT, "a SubnetOverlap warning event", () -> client.v1().events().inNamespace(NS).list().getItems().stream()
                .anyMatch(e -> "SubnetOverlap".equals(e.getReason()) && "Warning".equals(e.getType())));

        // once the holder is gone the refused network gets its subnet, without being touched by the user
        client.resource(after).delete();
        eventually(WAIT, "my-network is gone", () -> get("my-network") == null);
        assertThat(awaitReady("intruder", "True").getStatus().getSubnet()).isEqualTo("10.9.0.128/25");
    }

    @Test
    void explicitVxlanIdConflictIsRejected() {
        create("a", s -> s.setVxlanId(5000));
        assertThat(awaitReady("a", "True").getStatus().getVxlanId()).isEqualTo(5000);
        create("b", s -> s.setVxlanId(5000));
        Condition c = Conditions.find(awaitReady("b", "False").getStatus().getConditions(), "Ready");
        assertThat(c.getReason()).isEqualTo("VxlanIdInUse");
        assertThat(c.getMessage()).contains("spec.vxlanId 5000", "default/a");
        assertThat(get("a").getStatus().getVxlanId()).isEqualTo(5000);
    }

    @Test
    void restartKeepsEveryAllocation() {
        for (int i = 0; i < 6; i++) {
            create("n" + i, s -> { });
        }
        create("fixed", s -> {
            s.setSubnet("192.168.50.0/24");
            s.setGateway("192.168.50.254");
            s.setIpRange("192.168.50.128/25");
        });
        List<String> before = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            OverlayNetwork n = awaitReady("n" + i, "True");
            before.add(n.getStatus().getSubnet() + " " + n.getStatus().getVxlanId());
        }
        OverlayNetwork fixed = awaitReady("fixed", "True");
        String readySince = Conditions.find(fixed.getStatus().getConditions(), "Ready").getLastTransitionTime();
        cluster.stopOperator();
        client.resource(get("n2")).delete();

        cluster.startOperator();
        eventually(WAIT, "n2 is gone", () -> get("n2") == null);
        create("late", s -> { });
        OverlayNetwork late = awaitReady("late", "True");
        for (int i = 0; i < 6; i++) {
            if (i == 2) {
                continue;
            }
            OverlayNetwork n = get("n" + i);
            assertThat(n.getStatus().getSubnet() + " " + n.getStatus().getVxlanId()).isEqualTo(before.get(i));
            assertThat(Cidr.parse(n.getStatus().getSubnet()).overlaps(Cidr.parse(late.getStatus().getSubnet()))).isFalse();
            assertThat(n.getStatus().getVxlanId()).isNotEqualTo(late.getStatus().getVxlanId());
        }
        // the freed subnet of n2 is the lowest free one again
        assertThat(late.getStatus().getSubnet() + " " + late.getStatus().getVxlanId()).isEqualTo(before.get(2));
        OverlayNetwork fixedAfter = get("fixed");
        assertThat(fixedAfter.getStatus().getGateway()).isEqualTo("192.168.50.254");
        assertThat(fixedAfter.getStatus().getIpRange()).isEqualTo("192.168.50.128/25");
        assertThat(Conditions.find(fixedAfter.getStatus().getConditions(), "Ready").getLastTransitionTime()).isEqualTo(readySince);
    }

    @Test
    void finalizerHoldsANetworkInUseAndReleasesItWhenUnused() {
        create("my-network", s -> { });
        awaitReady("my-network", "True");
        service("my-web", "my-network");
        eventually(WAIT, "status lists my-web", () -> get("my-network").getStatus().getAttachedServices().contains("my-web"));

        client.resource(get("my-network")).delete();
        eventually(WAIT, "deletion waits, naming my-web", () -> {
            Condition c = condition("my-network", "Terminating");
            return c != null && "True".equals(c.getStatus()) && c.getMessage().contains("my-web");
        });
        OverlayNetwork held = get("my-network");
        assertThat(held.getMetadata().getDeletionTimestamp()).isNotNull();
        assertThat(held.getMetadata().getFinalizers()).contains(SwarmnetKeys.FINALIZER_NETWORK);
        assertThat(Conditions.find(held.getStatus().getConditions(), "Terminating").getReason()).isEqualTo("NetworkInUse");

        client.resources(SwarmService.class).inNamespace(NS).withName("my-web").delete();
        eventually(WAIT, "my-network is gone once no service uses it", () -> get("my-network") == null);
        assertThat(cluster.operator().networkAllocations().of(NS, "my-network")).isEmpty();
    }

    @Test
    void manyNetworksCreatedConcurrentlyGetDistinctSubnetsAndVnis() throws Exception {
        int count = 40;
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = t * (count / 4);
            Thread thread = new Thread(() -> {
                for (int i = base; i < base + count / 4; i++) {
                    create("c" + i, s -> { });
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        eventually(Duration.ofSeconds(60), "all networks are Ready", () -> client.resources(OverlayNetwork.class).inNamespace(NS).list()
                .getItems().stream().filter(n -> n.getStatus() != null && Conditions.isTrue(n.getStatus().getConditions(), "Ready"))
                .count() == count);
        List<OverlayNetwork> all = client.resources(OverlayNetwork.class).inNamespace(NS).list().getItems();
        assertThat(all.stream().map(n -> n.getStatus().getVxlanId())).doesNotHaveDuplicates();
        List<Cidr> subnets = all.stream().map(n -> Cidr.parse(n.getStatus().getSubnet())).toList();
        for (int i = 0; i < subnets.size(); i++) {
            for (int j = i + 1; j < subnets.size(); j++) {
                assertThat(subnets.get(i).overlaps(subnets.get(j))).as(subnets.get(i) + " vs " + subnets.get(j)).isFalse();
            }
        }
    }

    @Test
    void aggregatesNodeReportsAndEncryption() {
        create("secure", s -> s.setEncrypted(true));
        awaitReady("secure", "True");
        assertThat(condition("secure", "Encrypted").getStatus()).isEqualTo("Unknown");
        String key = NodeNetworkStates.key(NS, "secure");
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-a").withAnnotations(Map.of(
                SwarmnetKeys.ANNOTATION_NODE_NETWORKS, new NodeNetworkStates(Map.of(key,
                        new NodeNetworkState(4096, 2, 1, NodeNetworkState.Encryption.Established, NodeNetworkState.EncryptionMode.Kernel, null))).format())).endMetadata().build()).create();
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-b").withAnnotations(Map.of(
                SwarmnetKeys.ANNOTATION_NODE_NETWORKS, new NodeNetworkStates(Map.of(key,
                        new NodeNetworkState(4096, 1, 1, NodeNetworkState.Encryption.Failed, null, "kernel has no ESP support"))).format()))
                .endMetadata().build()).create();
        eventually(WAIT, "two nodes reported, Encrypted=False naming node-b", () -> {
            Condition c = condition("secure", "Encrypted");
            return get("secure").getStatus().getNodeCount() == 2 && c != null && "False".equals(c.getStatus())
                    && c.getMessage().contains("node-b") && c.getMessage().contains("kernel has no ESP support");
        });
        assertThat(get("secure").getStatus().getNodes()).extracting(n -> n.getName() + ":" + n.getLocalTasks() + ":" + n.getEncryption())
                .containsExactly("node-a:2:Established", "node-b:1:Failed");

        // node-b's kernel has no ESP, so it carries the network over its userspace ESP datapath instead
        client.nodes().withName("node-b").edit(n -> {
            n.getMetadata().getAnnotations().put(SwarmnetKeys.ANNOTATION_NODE_NETWORKS, new NodeNetworkStates(Map.of(key,
                    new NodeNetworkState(4096, 1, 1, NodeNetworkState.Encryption.Established, NodeNetworkState.EncryptionMode.Userspace, null))).format());
            return n;
        });
        eventually(WAIT, "Encrypted=True once every node says Established", () -> "True".equals(condition("secure", "Encrypted").getStatus()));
        assertThat(condition("secure", "Encrypted").getMessage())
                .isEqualTo("ESP is established on all 2 nodes carrying the network (kernel ESP: node-a; userspace ESP over TUN: node-b)");
        assertThat(get("secure").getStatus().getNodes()).extracting(n -> n.getName() + ":" + n.getEncryption() + ":" + n.getEncryptionMode())
                .containsExactly("node-a:Established:Kernel", "node-b:Established:Userspace");

        // a node that stops carrying the network leaves the status
        client.nodes().withName("node-a").edit(n -> {
            n.getMetadata().getAnnotations().put(SwarmnetKeys.ANNOTATION_NODE_NETWORKS, new NodeNetworkStates(Map.of()).format());
            return n;
        });
        eventually(WAIT, "node-a is no longer listed", () -> get("secure").getStatus().getNodeCount() == 1);
    }

    @Test
    void warnsBeforeTheAddressRangeIsExhausted() throws Exception {
        create("small", s -> s.setSubnet("192.168.9.0/28"));
        awaitReady("small", "True");
        assertThat(condition("small", "Degraded").getStatus()).isEqualTo("False");
        // a /28 has 13 usable addresses besides the gateway; one VIP and 11 task pods hold 12 of them. Real tasks,
        // not planted ledger entries: the operator rightly reclaims addresses whose owners do not exist.
        service("touch", "small");
        client.resources(SwarmService.class).inNamespace(NS).withName("touch").patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\":{\"replicas\":11}}");
        eventually(WAIT, "Degraded=True with AddressPoolNearlyExhausted at 12/13", () -> {
            Condition c = condition("small", "Degraded");
            return "True".equals(c.getStatus()) && "AddressPoolNearlyExhausted".equals(c.getReason())
                    && "12/13 (92%)".equals(get("small").getStatus().getAddressUsage());
        });
        assertThat(condition("small", "Ready").getStatus()).isEqualTo("True");
    }

    @Test
    void attachedServicesFollowTheServicesSpecAcrossNetworks() {
        create("front", s -> { });
        create("back", s -> { });
        awaitReady("front", "True");
        awaitReady("back", "True");
        service("api", "front");
        eventually(WAIT, "front lists api", () -> get("front").getStatus().getAttachedServices().equals(List.of("api")));
        // as `kubectl patch` would: a merge patch carries no resourceVersion, so the operator's own writes to the
        // service (finalizer, status) cannot make it fail with a conflict
        client.resources(SwarmService.class).inNamespace(NS).withName("api").patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\":{\"networks\":[{\"name\":\"back\"}]}}");
        // front is woken although the service no longer names it: its own status says the service was attached
        eventually(WAIT, "api moved from front to back", () -> get("front").getStatus().getAttachedServices().isEmpty()
                && get("back").getStatus().getAttachedServices().equals(List.of("api")));
    }

    @Test
    void subnetsMustNotOverlapAcrossNamespaces() {
        client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName("team-b")
                .endMetadata().build()).create();
        create("shared", s -> s.setSubnet("10.30.0.0/24"));
        awaitReady("shared", "True");
        OverlayNetwork other = new OverlayNetwork();
        other.setMetadata(new ObjectMetaBuilder().withNamespace("team-b").withName("shared").build());
        other.getSpec().setSubnet("10.30.0.0/24");
        client.resource(other).create();
        eventually(WAIT, "team-b/shared is refused, naming default/shared", () -> {
            OverlayNetwork n = client.resources(OverlayNetwork.class).inNamespace("team-b").withName("shared").get();
            Condition c = n.getStatus() == null ? null : Conditions.find(n.getStatus().getConditions(), "Ready");
            return c != null && "SubnetOverlap".equals(c.getReason()) && c.getMessage().contains("default/shared");
        });
    }
}

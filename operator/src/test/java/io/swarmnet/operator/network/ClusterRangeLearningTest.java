package io.swarmnet.operator.network;

import static io.swarmnet.operator.TestCluster.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.network.OverlayNetworkSpec;
import io.swarmnet.operator.OperatorConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operator against the embedded API server, with each source of the cluster's own ranges:
 * an automatic network created after the source appears lands outside it, an explicit subnet inside
 * it is refused naming the source, and where a range cannot be known the network says so.
 */
class ClusterRangeLearningTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String NS = OperatorOnTestCluster.NS;
    /** The range every source below claims: the lowest /16 of the pool, where automatic subnets would start. */
    private static final Cidr CLAIMED = Cidr.parse("10.0.0.0/16");

    private OperatorOnTestCluster cluster;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        cluster = OperatorOnTestCluster.start(OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false)
                .withPools(List.of(Cidr.parse("10.0.0.0/8")), 24, List.of(Cidr.parse("10.96.0.0/12"))));
        client = cluster.client();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private void create(String name, Consumer<OverlayNetworkSpec> spec) {
        cluster.create(name, spec);
    }

    private Condition awaitCondition(String name, String type, String status) {
        eventually(WAIT, name + " has " + type + "=" + status, () -> {
            Condition c = condition(name, type);
            return c != null && status.equals(c.getStatus());
        });
        return condition(name, type);
    }

    private Condition condition(String name, String type) {
        return cluster.condition(name, type);
    }

    private Cidr subnet(String name) {
        return Cidr.parse(cluster.get(name).getStatus().getSubnet());
    }

    /** An automatic network lands outside the claimed range, and an explicit one inside it is refused naming the source. */
    private void assertRangeAvoided(String source) {
        create("auto", s -> { });
        awaitCondition("auto", "Ready", "True");
        assertThat(subnet("auto").overlaps(CLAIMED)).as("automatic subnet %s", subnet("auto")).isFalse();
        assertThat(subnet("auto")).isEqualTo(Cidr.parse("10.1.0.0/24"));

        create("explicit", s -> s.setSubnet("10.0.7.0/24"));
        Condition refused = awaitCondition("explicit", "Ready", "False");
        assertThat(refused.getReason()).isEqualTo("SubnetExcluded");
        assertThat(refused.getMessage()).contains("spec.subnet 10.0.7.0/24 overlaps " + CLAIMED + " from " + source);
    }

    private void installCrd(String group, String version, String plural, String kind) {
        client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName(plural + "." + group).endMetadata()
                .withNewSpec().withGroup(group).withScope("Cluster")
                .withNewNames().withPlural(plural).withKind(kind).withSingular(kind.toLowerCase()).endNames()
                .addNewVersion().withName(version).withServed(true).withStorage(true)
                .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true)
                .endOpenAPIV3Schema().endSchema().endVersion()
                .endSpec().build()).create();
        eventually(WAIT, plural + "." + group + " is served", () -> client.getApiResources(group + "/" + version) != null);
    }

    private void createClusterObject(String apiVersion, String kind, String name, Map<String, Object> spec) {
        GenericKubernetesResource object = new GenericKubernetesResourceBuilder().withApiVersion(apiVersion).withKind(kind)
                .withNewMetadata().withName(name).endMetadata().build();
        object.setAdditionalProperty("spec", spec);
        client.resource(object).create();
    }

    private void kubernetesService(String clusterIp) {
        client.services().inNamespace(NS).resource(new ServiceBuilder().withNewMetadata().withName("kubernetes").endMetadata()
                .withNewSpec().withClusterIP(clusterIp).addNewPort().withPort(443).endPort().endSpec().build()).create();
    }

    @Test
    void serviceCidrObjectsAreAvoided() {
        createClusterObject("networking.k8s.io/v1", "ServiceCIDR", "kubernetes", Map.of("cidrs", List.of(CLAIMED.toString())));
        assertRangeAvoided("ServiceCIDR kubernetes");
    }

    @Test
    void apiServerFlagIsAvoided() {
        client.pods().inNamespace("kube-system").resource(new PodBuilder().withNewMetadata().withName("kube-apiserver-cp")
                .withLabels(Map.of("component", "kube-apiserver")).endMetadata()
                .withNewSpec().addNewContainer().withName("kube-apiserver").withImage("registry.k8s.io/kube-apiserver")
                .withCommand("kube-apiserver", "--secure-port=6443", "--service-cluster-ip-range=" + CLAIMED).endContainer()
                .withHostNetwork(true).endSpec().build()).create();
        assertRangeAvoided("kube-apiserver pod kube-system/kube-apiserver-cp --service-cluster-ip-range");
    }

    @Test
    void kubernetesServiceInsideAnExcludedRangeLeavesNoServiceRangeUnknown() {
        kubernetesService("10.96.0.1");
        create("a", s -> { });
        awaitCondition("a", "Ready", "True");
        eventually(WAIT, "the Service range is not reported unknown", () -> {
            Condition c = condition("a", "OutsideClusterRanges");
            return c != null && !c.getMessage().contains("Service range is unknown");
        });
    }

    @Test
    void kubernetesServiceOutsideEveryExcludedRangeIsReportedAsAnUnknownServiceRange() {
        kubernetesService("172.30.0.1");
        create("a", s -> { });
        awaitCondition("a", "Ready", "True");
        Condition c = awaitCondition("a", "OutsideClusterRanges", "Unknown");
        assertThat(c.getReason()).isEqualTo("ServiceRangeUnknown");
        assertThat(c.getMessage()).contains("172.30.0.1 (the kubernetes Service's ClusterIP) lies outside", "network.excludedCidrs");
    }

    @Test
    void nodePodCidrsAreAvoided() {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-1").endMetadata()
                .withNewSpec().withPodCIDRs(CLAIMED.toString()).endSpec().build()).create();
        assertRangeAvoided("Node node-1 podCIDR");
    }

    @Test
    void nodeAddressesAreAvoided() {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-1").endMetadata()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress("10.0.0.9").endAddress().endStatus().build()).create();
        create("explicit", s -> s.setSubnet("10.0.0.0/24"));
        Condition refused = awaitCondition("explicit", "Ready", "False");
        assertThat(refused.getMessage()).contains("overlaps 10.0.0.9/32 from Node node-1 InternalIP");
        create("auto", s -> { });
        awaitCondition("auto", "Ready", "True");
        assertThat(subnet("auto")).isEqualTo(Cidr.parse("10.0.1.0/24"));
    }

    @Test
    void calicoIpPoolsAreAvoided() {
        installCrd("crd.projectcalico.org", "v1", "ippools", "IPPool");
        createClusterObject("crd.projectcalico.org/v1", "IPPool", "default-ipv4-ippool",
                Map.of("cidr", CLAIMED.toString(), "blockSize", 26, "natOutgoing", true));
        assertRangeAvoided("Calico IPPool default-ipv4-ippool");
    }

    @Test
    void ciliumPodIpPoolsAreAvoided() {
        installCrd("cilium.io", "v2alpha1", "ciliumpodippools", "CiliumPodIPPool");
        createClusterObject("cilium.io/v2alpha1", "CiliumPodIPPool", "default",
                Map.of("ipv4", Map.of("cidrs", List.of(CLAIMED.toString()), "maskSize", 24)));
        assertRangeAvoided("CiliumPodIPPool default");
    }

    @Test
    void ciliumClusterPoolIsAvoided() {
        installCrd("cilium.io", "v2", "ciliumnodes", "CiliumNode");
        client.configMaps().inNamespace("kube-system").resource(new ConfigMapBuilder().withNewMetadata().withName("cilium-config")
                .endMetadata().withData(Map.of("ipam", "cluster-pool", "cluster-pool-ipv4-cidr", CLAIMED.toString(),
                        "cluster-pool-ipv4-mask-size", "24")).build()).create();
        assertRangeAvoided("Cilium cluster-pool (ConfigMap kube-system/cilium-config cluster-pool-ipv4-cidr)");
    }

    @Test
    void podAddressOutsideEveryKnownRangeIsReportedAsAnUnknownPodRange() {
        kubernetesService("10.96.0.1");
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("web-1").endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer().endSpec()
                .withNewStatus().withPodIP("100.64.3.9").addNewPodIP("100.64.3.9").endStatus().build()).create();
        client.pods().inNamespace(NS).withName("web-1").editStatus(p -> {
            p.getStatus().setPodIP("100.64.3.9");
            return p;
        });
        create("a", s -> { });
        Condition c = awaitCondition("a", "OutsideClusterRanges", "Unknown");
        assertThat(c.getReason()).isEqualTo("PodRangeUnknown");
        assertThat(c.getMessage()).contains("100.64.3.9 (pod default/web-1) lies outside");
    }
}

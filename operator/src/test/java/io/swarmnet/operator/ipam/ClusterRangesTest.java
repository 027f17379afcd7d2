package io.swarmnet.operator.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.operator.ipam.ClusterRangeSources.Holds;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterRangesTest {

    private static final List<Cidr> KUBEADM = List.of(Cidr.parse("10.96.0.0/12"), Cidr.parse("10.244.0.0/16"));

    private static Cidr c(String text) {
        return Cidr.parse(text);
    }

    /** A cluster whose pod range is known, so that tests of the Service range see only that. */
    private static ClusterRangeSources.Builder withPods() {
        return ClusterRangeSources.builder().range(Holds.PODS, "Calico IPPool default", "192.168.0.0/16");
    }

    @Test
    void serviceCidrObjectsMakeTheServiceRangeKnown() {
        ClusterRanges r = ClusterRanges.learn(withPods().range(Holds.SERVICES, "ServiceCIDR kubernetes", "10.0.0.0/16")
                .inUse(Holds.SERVICES, "the kubernetes Service's ClusterIP", "10.0.0.1").build(), List.of());
        assertThat(r.learnt()).contains(new ClusterRange(c("10.0.0.0/16"), "ServiceCIDR kubernetes"));
        assertThat(r.unknown()).isEmpty();
        assertThat(r.overlapping(c("10.0.5.0/24"))).contains(new ClusterRange(c("10.0.0.0/16"), "ServiceCIDR kubernetes"));
    }

    @Test
    void kubernetesServiceInsideAnExcludedRangeIsEnoughWithoutServiceCidrs() {
        ClusterRanges r = ClusterRanges.learn(withPods().inUse(Holds.SERVICES, "the kubernetes Service's ClusterIP", "10.96.0.1").build(),
                KUBEADM);
        assertThat(r.unknown()).isEmpty();
    }

    @Test
    void kubernetesServiceOutsideEveryRangeMakesTheServiceRangeUnknownWithoutGuessingItsSize() {
        ClusterRanges r = ClusterRanges.learn(withPods().inUse(Holds.SERVICES, "the kubernetes Service's ClusterIP", "10.0.0.1").build(),
                KUBEADM);
        assertThat(r.unknown()).singleElement().satisfies(u -> {
            assertThat(u.reason()).isEqualTo("ServiceRangeUnknown");
            assertThat(u.message()).contains("10.0.0.1 (the kubernetes Service's ClusterIP) lies outside", "network.excludedCidrs",
                    "--service-cluster-ip-range");
        });
        // only the address itself is known for certain: no range around it is made up
        assertThat(r.learnt()).containsExactlyInAnyOrder(new ClusterRange(c("192.168.0.0/16"), "Calico IPPool default"),
                new ClusterRange(c("10.0.0.1/32"), "the kubernetes Service's ClusterIP"));
    }

    @Test
    void noServiceSourceAndNoServiceAddressIsUnknownToo() {
        ClusterRanges r = ClusterRanges.learn(withPods().build(), KUBEADM);
        assertThat(r.unknown()).extracting(ClusterRanges.Unknown::reason).containsExactly("ServiceRangeUnknown");
    }

    @Test
    void apiServerFlagGivesTheServiceRange() {
        ClusterRanges r = ClusterRanges.learn(withPods()
                .range(Holds.SERVICES, "kube-apiserver pod kube-system/kube-apiserver-cp --service-cluster-ip-range", "10.0.0.0/16")
                .inUse(Holds.SERVICES, "the kubernetes Service's ClusterIP", "10.0.0.1").build(), List.of());
        assertThat(r.unknown()).isEmpty();
        assertThat(r.overlapping(c("10.0.200.0/24")).orElseThrow().source()).contains("--service-cluster-ip-range");
    }

    @Test
    void nodePodCidrsAndAddressesAreLearntFromNodes() {
        ClusterRangeSources sources = ClusterRangeSources.none().withNodes(List.of(new NodeBuilder().withNewMetadata().withName("n1")
                .endMetadata().withNewSpec().withPodCIDR("10.1.0.0/24").withPodCIDRs("10.1.0.0/24", "fd00::/64").endSpec()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress("10.2.0.7").endAddress()
                .addNewAddress().withType("Hostname").withAddress("n1").endAddress().endStatus().build()));
        ClusterRanges r = ClusterRanges.learn(sources, List.of());
        assertThat(r.learnt()).containsExactly(new ClusterRange(c("10.1.0.0/24"), "Node n1 podCIDR"),
                new ClusterRange(c("10.2.0.7/32"), "Node n1 InternalIP"));
        assertThat(r.unknown()).extracting(ClusterRanges.Unknown::reason).containsExactly("ServiceRangeUnknown");
    }

    @Test
    void podAddressOutsideEveryKnownRangeMakesThePodRangeUnknown() {
        ClusterRanges r = ClusterRanges.learn(ClusterRangeSources.builder()
                .range(Holds.SERVICES, "ServiceCIDR kubernetes", "10.96.0.0/12")
                .range(Holds.PODS, "Node n1 podCIDR", "10.244.1.0/24")
                .inUse(Holds.PODS, "pod kube-system/coredns-1", "10.244.1.5")
                .inUse(Holds.PODS, "pod default/web-1", "100.64.3.9").build(), List.of());
        assertThat(r.unknown()).singleElement().satisfies(u -> {
            assertThat(u.reason()).isEqualTo("PodRangeUnknown");
            assertThat(u.message()).contains("100.64.3.9 (pod default/web-1) lies outside").doesNotContain("coredns");
        });
    }

    @Test
    void podAddressesInsideConfiguredRangesAreEnoughWithoutAPodSource() {
        ClusterRanges r = ClusterRanges.learn(ClusterRangeSources.builder().range(Holds.SERVICES, "ServiceCIDR kubernetes", "10.96.0.0/12")
                .inUse(Holds.PODS, "pod kube-system/coredns-1", "10.244.3.5").build(), KUBEADM);
        assertThat(r.unknown()).isEmpty();
    }

    @Test
    void unreadableSourcesAndMalformedValuesAreSaidNotSkipped() {
        ClusterRanges r = ClusterRanges.learn(withPods().range(Holds.SERVICES, "ServiceCIDR kubernetes", "10.96.0.0/12")
                .range(Holds.PODS, "Calico IPPool broken", "10.5.0.0/33")
                .range(Holds.PODS, "Calico IPPool v6", "fd00:10::/64")
                .unreadable("ippools.crd.projectcalico.org/v1", "forbidden (HTTP 403)").build(), List.of());
        assertThat(r.unknown()).singleElement().satisfies(u -> {
            assertThat(u.reason()).isEqualTo("ClusterRangeUnreadable");
            assertThat(u.message()).contains("ippools.crd.projectcalico.org/v1: forbidden", "Calico IPPool broken: '10.5.0.0/33'")
                    .doesNotContain("fd00");
        });
    }

    @Test
    void summaryCountsNodeRangesAndListsTheOthers() {
        ClusterRanges r = ClusterRanges.learn(ClusterRangeSources.builder()
                .range(Holds.SERVICES, "ServiceCIDR kubernetes", "10.96.0.0/12")
                .range(Holds.PODS, "Node a podCIDR", "10.244.0.0/24").range(Holds.PODS, "Node b podCIDR", "10.244.1.0/24")
                .range(Holds.NODES, "Node a InternalIP", "172.18.0.2").build(), List.of(c("10.42.0.0/16")));
        assertThat(r.summary()).isEqualTo("ServiceCIDR kubernetes 10.96.0.0/12; 2 Node podCIDRs; 1 Node addresses; "
                + "SWARMNET_EXCLUDED_CIDRS 10.42.0.0/16");
    }
}

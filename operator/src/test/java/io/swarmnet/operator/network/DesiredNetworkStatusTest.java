package io.swarmnet.operator.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import io.swarmnet.api.network.NetworkNodeStatus;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkStatus;
import io.swarmnet.operator.Conditions;
import io.swarmnet.operator.ipam.ClusterRange;
import io.swarmnet.operator.ipam.ClusterRanges;
import io.swarmnet.operator.ipam.NetworkAllocation;
import io.swarmnet.operator.ipam.NetworkDecision;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DesiredNetworkStatusTest {

    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    private static final NetworkAllocation ALLOCATION = new NetworkAllocation("default", "net", Cidr.parse("10.0.9.0/28"),
            IpAddress.parse("10.0.9.1"), Cidr.parse("10.0.9.0/28"), new Vni(4096));
    private static final ClusterRanges NO_RANGES = new ClusterRanges(List.of(), List.of(), List.of());

    private static OverlayNetwork network() {
        OverlayNetwork n = new OverlayNetwork();
        n.setMetadata(new ObjectMetaBuilder().withNamespace("default").withName("net").withGeneration(4L).build());
        return n;
    }

    private static DesiredNetworkStatus.Observed observed(int inUse, String... services) {
        return new DesiredNetworkStatus.Observed(List.of(services), new NodeReports(List.of()), inUse, 90, NO_RANGES);
    }

    @Test
    void allocatedNetworkIsReadyWithItsNumbers() {
        OverlayNetworkStatus s = DesiredNetworkStatus.of(network(), new NetworkDecision.Allocated(ALLOCATION, true), observed(3, "web"), NOW);
        assertThat(s.getSubnet()).isEqualTo("10.0.9.0/28");
        assertThat(s.getGateway()).isEqualTo("10.0.9.1");
        assertThat(s.getVxlanId()).isEqualTo(4096);
        assertThat(s.getIpRange()).isEqualTo("10.0.9.0/28");
        assertThat(s.getAddressUsage()).isEqualTo("3/13 (23%)");
        assertThat(s.getAttachedServices()).containsExactly("web");
        assertThat(s.getObservedGeneration()).isEqualTo(4L);
        assertThat(s.getNodeCount()).isZero();
        assertThat(Conditions.find(s.getConditions(), "Ready").getStatus()).isEqualTo("True");
        assertThat(Conditions.find(s.getConditions(), "Degraded").getStatus()).isEqualTo("False");
        assertThat(Conditions.find(s.getConditions(), "Encrypted").getReason()).isEqualTo("NotRequested");
    }

    @Test
    void degradedAtTheWarningLevelAndWhenFull() {
        OverlayNetworkStatus nearly = DesiredNetworkStatus.of(network(), new NetworkDecision.Allocated(ALLOCATION, false), observed(12), NOW);
        assertThat(Conditions.find(nearly.getConditions(), "Degraded").getReason()).isEqualTo("AddressPoolNearlyExhausted");
        assertThat(Conditions.find(nearly.getConditions(), "Degraded").getMessage()).contains("12 of the 13", "90%", "larger spec.subnet");
        OverlayNetworkStatus full = DesiredNetworkStatus.of(network(), new NetworkDecision.Allocated(ALLOCATION, false), observed(13), NOW);
        assertThat(Conditions.find(full.getConditions(), "Degraded").getReason()).isEqualTo("AddressPoolExhausted");
        assertThat(Conditions.find(full.getConditions(), "Ready").getStatus()).isEqualTo("True");
    }

    @Test
    void aFailureANodeReportsIsCarriedByTheDegradedCondition() {
        String why = "network default/net: VXLAN id 4096 on UDP port 4789 is already held on this node by device vxlan.calico";
        NodeReports nodes = new NodeReports(List.of(new NetworkNodeStatus("node-a", 1, 1, "NotRequested", null, null),
                new NetworkNodeStatus("node-b", 0, 1, "NotRequested", null, why)));
        OverlayNetworkStatus s = DesiredNetworkStatus.of(network(), new NetworkDecision.Allocated(ALLOCATION, false),
                new DesiredNetworkStatus.Observed(List.of(), nodes, 2, 90, NO_RANGES), NOW);
        Condition degraded = Conditions.find(s.getConditions(), "Degraded");
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo("FailedOnNodes");
        assertThat(degraded.getMessage()).contains("1 of the 2 nodes", "node node-b: " + why, "2 of the 13").doesNotContain("node-a");
        assertThat(Conditions.find(s.getConditions(), "Ready").getStatus()).isEqualTo("True");
    }

    @Test
    void rejectedNetworkHasNoNumbersUnlessItHeldSome() {
        OverlayNetworkStatus fresh = DesiredNetworkStatus.of(network(), new NetworkDecision.Rejected("SubnetOverlap", "msg", null), observed(0), NOW);
        assertThat(fresh.getSubnet()).isNull();
        assertThat(fresh.getVxlanId()).isNull();
        assertThat(Conditions.find(fresh.getConditions(), "Ready").getReason()).isEqualTo("SubnetOverlap");
        assertThat(Conditions.find(fresh.getConditions(), "Degraded")).isNull();

        OverlayNetworkStatus held = DesiredNetworkStatus.of(network(), new NetworkDecision.Rejected("ImmutableFieldChanged", "msg", ALLOCATION),
                observed(0), NOW);
        assertThat(held.getSubnet()).isEqualTo("10.0.9.0/28");
        assertThat(Conditions.find(held.getConditions(), "Ready").getStatus()).isEqualTo("False");
    }

    @Test
    void terminatingNamesTheServicesHoldingTheNetwork() {
        OverlayNetwork n = network();
        n.setStatus(DesiredNetworkStatus.of(n, new NetworkDecision.Allocated(ALLOCATION, false), observed(2, "api", "web"), NOW));
        OverlayNetworkStatus s = DesiredNetworkStatus.terminating(n, List.of("api", "web"), NOW);
        assertThat(Conditions.find(s.getConditions(), "Terminating").getMessage()).contains("api, web", "spec.networks");
        assertThat(Conditions.find(s.getConditions(), "Ready").getStatus()).isEqualTo("True");
        assertThat(s.getSubnet()).isEqualTo("10.0.9.0/28");
        // once allocated again (deletion cancelled is impossible, but a fresh reconcile) the Terminating condition goes
        n.setStatus(s);
        assertThat(Conditions.find(DesiredNetworkStatus.of(n, new NetworkDecision.Allocated(ALLOCATION, false), observed(0), NOW)
                .getConditions(), "Terminating")).isNull();
    }

    private static Condition outsideClusterRanges(ClusterRanges ranges) {
        OverlayNetworkStatus s = DesiredNetworkStatus.of(network(), new NetworkDecision.Allocated(ALLOCATION, false),
                new DesiredNetworkStatus.Observed(List.of(), new NodeReports(List.of()), 0, 90, ranges), NOW);
        return Conditions.find(s.getConditions(), "OutsideClusterRanges");
    }

    @Test
    void aSubnetOverlappingARangeThatAppearedLaterIsReportedWithItsSource() {
        ClusterRange calico = new ClusterRange(Cidr.parse("10.0.0.0/16"), "Calico IPPool default-ipv4-ippool");
        Condition c = outsideClusterRanges(new ClusterRanges(List.of(), List.of(calico), List.of()));
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("OverlapsClusterRange");
        assertThat(c.getMessage()).contains("subnet 10.0.9.0/28 overlaps 10.0.0.0/16 from Calico IPPool default-ipv4-ippool");
    }

    @Test
    void anUnknownRangeMakesTheConditionUnknownWithWhatToDo() {
        ClusterRanges ranges = new ClusterRanges(List.of(), List.of(), List.of(new ClusterRanges.Unknown("ServiceRangeUnknown",
                "the Service range is unknown: add it to network.excludedCidrs")));
        Condition c = outsideClusterRanges(ranges);
        assertThat(c.getStatus()).isEqualTo("Unknown");
        assertThat(c.getReason()).isEqualTo("ServiceRangeUnknown");
        assertThat(c.getMessage()).contains("network.excludedCidrs");
    }

    @Test
    void aNetworkClearOfEveryKnownRangeSaysWhichRangesWereLearnt() {
        ClusterRange service = new ClusterRange(Cidr.parse("10.96.0.0/12"), "ServiceCIDR kubernetes");
        Condition c = outsideClusterRanges(new ClusterRanges(List.of(), List.of(service), List.of()));
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getReason()).isEqualTo("ClusterRangesKnown");
        assertThat(c.getMessage()).contains("ServiceCIDR kubernetes 10.96.0.0/12");
    }
}

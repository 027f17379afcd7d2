package io.swarmnet.operator.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import io.swarmnet.operator.ipam.SubnetAllocator.TakenSubnet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NetworkPlannerTest {

    private final NetworkPlanner planner = new NetworkPlanner(
            new SubnetAllocator(List.of(Cidr.parse("10.0.0.0/8")), 24, List.of(Cidr.parse("10.96.0.0/12"))), VniRange.DEFAULT);

    private static NetworkRequest request(String subnet, String gateway, String ipRange, Integer vxlanId) {
        return new NetworkRequest("default", "my-network", subnet, gateway, ipRange, vxlanId);
    }

    private NetworkDecision plan(NetworkRequest r) {
        return planner.plan(r, null, List.of(new TakenSubnet("default/other", Cidr.parse("10.0.0.0/24"))),
                Map.of(new Vni(1_048_576), "default/other", new Vni(7000), "team/vx"), List.of());
    }

    private static NetworkAllocation allocated(NetworkDecision d) {
        assertThat(d).isInstanceOf(NetworkDecision.Allocated.class);
        return ((NetworkDecision.Allocated) d).allocation();
    }

    private static NetworkDecision.Rejected rejected(NetworkDecision d) {
        assertThat(d).isInstanceOf(NetworkDecision.Rejected.class);
        return (NetworkDecision.Rejected) d;
    }

    @Test
    void emptySpecGetsFreeSubnetFirstUsableGatewayAndFreeVni() {
        NetworkAllocation a = allocated(plan(request(null, null, null, null)));
        assertThat(a.subnet()).isEqualTo(Cidr.parse("10.0.1.0/24"));
        assertThat(a.gateway()).isEqualTo(IpAddress.parse("10.0.1.1"));
        assertThat(a.range()).isEqualTo(a.subnet());
        assertThat(a.vni()).isEqualTo(new Vni(1_048_577));
    }

    @Test
    void explicitValuesAreKept() {
        NetworkAllocation a = allocated(plan(request("10.0.9.0/24", "10.0.9.254", "10.0.9.128/25", 5000)));
        assertThat(a.subnet()).isEqualTo(Cidr.parse("10.0.9.0/24"));
        assertThat(a.gateway()).isEqualTo(IpAddress.parse("10.0.9.254"));
        assertThat(a.range()).isEqualTo(Cidr.parse("10.0.9.128/25"));
        assertThat(a.vni()).isEqualTo(new Vni(5000));
    }

    @Test
    void anExplicitVxlanIdOutsideTheAutomaticRangeIsAllowed() {
        assertThat(allocated(plan(request(null, null, null, 4096))).vni()).isEqualTo(new Vni(4096));
    }

    @Test
    void aFullAutomaticRangeNamesTheSettingAndWhatToDo() {
        NetworkPlanner narrow = new NetworkPlanner(new SubnetAllocator(List.of(Cidr.parse("10.0.0.0/8")), 24, List.of()),
                VniRange.parse("5000-5001"));
        NetworkDecision.Rejected r = rejected(narrow.plan(request(null, null, null, null), null, List.of(),
                Map.of(new Vni(5000), "a/one", new Vni(5001), "a/two"), List.of()));
        assertThat(r.reason()).isEqualTo("VxlanIdsExhausted");
        assertThat(r.message()).contains("default/my-network", "5000-5001", "SWARMNET_VXLAN_ID_RANGE", "spec.vxlanId");
        // an explicit id still works when the range is full
        assertThat(allocated(narrow.plan(request(null, null, null, 42), null, List.of(), Map.of(new Vni(5000), "a/one",
                new Vni(5001), "a/two"), List.of())).vni()).isEqualTo(new Vni(42));
    }

    @Test
    void overlappingExplicitSubnetNamesTheOtherNetworkAndWhatToDo() {
        NetworkDecision.Rejected r = rejected(plan(request("10.0.0.0/23", null, null, null)));
        assertThat(r.reason()).isEqualTo("SubnetOverlap");
        assertThat(r.message()).contains("default/my-network", "spec.subnet 10.0.0.0/23", "10.0.0.0/24", "default/other",
                "leave spec.subnet out");
        assertThat(r.held()).isNull();
    }

    @Test
    void excludedRangeIsRefused() {
        NetworkDecision.Rejected r = rejected(plan(request("10.100.0.0/24", null, null, null)));
        assertThat(r.reason()).isEqualTo("SubnetExcluded");
        assertThat(r.message()).contains("10.96.0.0/12", "SWARMNET_EXCLUDED_CIDRS");
    }

    @Test
    void vxlanIdInUseNamesTheHolder() {
        NetworkDecision.Rejected r = rejected(plan(request(null, null, null, 7000)));
        assertThat(r.reason()).isEqualTo("VxlanIdInUse");
        assertThat(r.message()).contains("spec.vxlanId 7000", "team/vx", "leave spec.vxlanId out", "1048576-16777215");
    }

    @Test
    void schemaRulesAreCheckedToo() {
        assertThat(rejected(plan(request("10.0.9.1/24", null, null, null))).reason()).isEqualTo("InvalidSubnet");
        assertThat(rejected(plan(request("10.0.9.0/30", null, null, null))).message()).contains("/29");
        assertThat(rejected(plan(request(null, "10.0.9.1", null, null))).message()).contains("without spec.subnet");
        assertThat(rejected(plan(request("10.0.9.0/24", "10.0.8.1", null, null))).reason()).isEqualTo("InvalidGateway");
        assertThat(rejected(plan(request("10.0.9.0/24", "10.0.9.0", null, null))).reason()).isEqualTo("InvalidGateway");
        assertThat(rejected(plan(request("10.0.9.0/24", null, "10.0.8.0/25", null))).reason()).isEqualTo("InvalidIpRange");
        assertThat(rejected(plan(request(null, null, "10.0.8.0/25", null))).reason()).isEqualTo("InvalidIpRange");
        assertThat(rejected(plan(request(null, null, null, 0))).reason()).isEqualTo("InvalidVxlanId");
    }

    @Test
    void poolExhaustionSaysWhatToDo() {
        NetworkPlanner tiny = new NetworkPlanner(new SubnetAllocator(List.of(Cidr.parse("10.0.0.0/24")), 24, List.of()), VniRange.DEFAULT);
        NetworkDecision.Rejected r = rejected(tiny.plan(request(null, null, null, null), null,
                List.of(new TakenSubnet("default/other", Cidr.parse("10.0.0.0/24"))), Map.of(), List.of()));
        assertThat(r.reason()).isEqualTo("PoolExhausted");
        assertThat(r.message()).contains("10.0.0.0/24", "SWARMNET_ADDRESS_POOLS", "spec.subnet");
    }

    /** 4100 was an automatic id before the range moved to 1048576 up: a network keeps it (no renumbering). */
    @Test
    void heldAllocationIsKeptEvenIfItNowLooksTaken() {
        NetworkAllocation held = new NetworkAllocation("default", "my-network", Cidr.parse("10.0.5.0/24"), IpAddress.parse("10.0.5.1"),
                Cidr.parse("10.0.5.0/24"), new Vni(4100));
        NetworkDecision d = planner.plan(request("10.0.5.0/24", null, "10.0.5.0/26", null), held, List.of(), Map.of(), List.of());
        assertThat(d).isEqualTo(new NetworkDecision.Allocated(new NetworkAllocation("default", "my-network", Cidr.parse("10.0.5.0/24"),
                IpAddress.parse("10.0.5.1"), Cidr.parse("10.0.5.0/26"), new Vni(4100)), false));
    }

    @Test
    void changingAFixedFieldIsRefusedButTheAllocationIsKept() {
        NetworkAllocation held = new NetworkAllocation("default", "my-network", Cidr.parse("10.0.5.0/24"), IpAddress.parse("10.0.5.1"),
                Cidr.parse("10.0.5.0/24"), new Vni(4100));
        NetworkDecision.Rejected r = rejected(planner.plan(request("10.0.6.0/24", null, null, null), held, List.of(), Map.of(), List.of()));
        assertThat(r.reason()).isEqualTo("ImmutableFieldChanged");
        assertThat(r.message()).contains("spec.subnet", "10.0.5.0/24", "10.0.6.0/24");
        assertThat(r.held()).isEqualTo(held);
    }
}

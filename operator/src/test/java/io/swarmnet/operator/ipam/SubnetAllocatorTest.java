package io.swarmnet.operator.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.operator.ipam.SubnetAllocator.TakenSubnet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SubnetAllocatorTest {

    private static Cidr c(String s) {
        return Cidr.parse(s);
    }

    private static TakenSubnet taken(String name, String cidr) {
        return new TakenSubnet("default/" + name, c(cidr));
    }

    private final SubnetAllocator swarmDefault = new SubnetAllocator(List.of(c("10.0.0.0/8")), 24, List.of());

    @Test
    void firstAutomaticSubnetIsTheLowestOfThePool() {
        assertThat(swarmDefault.next(List.of(), List.of())).contains(c("10.0.0.0/24"));
    }

    @Test
    void skipsTakenSubnetsOfAnySize() {
        assertThat(swarmDefault.next(List.of(taken("a", "10.0.0.0/24")), List.of())).contains(c("10.0.1.0/24"));
        // a smaller explicit subnet still blocks the /24 around it
        assertThat(swarmDefault.next(List.of(taken("a", "10.0.0.128/25")), List.of())).contains(c("10.0.1.0/24"));
        // a larger one blocks every /24 inside it
        assertThat(swarmDefault.next(List.of(taken("a", "10.0.0.0/16")), List.of())).contains(c("10.1.0.0/24"));
    }

    @Test
    void fillsHolesLeftByDeletedNetworks() {
        List<TakenSubnet> held = List.of(taken("a", "10.0.0.0/24"), taken("c", "10.0.2.0/24"));
        assertThat(swarmDefault.next(held, List.of())).contains(c("10.0.1.0/24"));
    }

    @Test
    void neverUsesExcludedRanges() {
        SubnetAllocator a = new SubnetAllocator(List.of(c("10.0.0.0/8")), 24, List.of(c("10.0.0.0/9"), c("10.128.0.5/32")));
        assertThat(a.next(List.of(), List.of())).contains(c("10.128.1.0/24"));
        assertThat(a.next(List.of(), List.of(new ClusterRange(c("10.128.0.0/23"), "Node n podCIDR")))).contains(c("10.128.2.0/24"));
    }

    @Test
    void automaticSubnetsFromManyAllocationsNeverOverlap() {
        SubnetAllocator a = new SubnetAllocator(List.of(c("10.0.0.0/16")), 26,
                List.of(c("10.0.3.0/24"), c("10.0.40.7/32")));
        List<TakenSubnet> held = new ArrayList<>();
        held.add(taken("explicit", "10.0.10.0/23"));
        for (int i = 0; i < 500; i++) {
            Cidr next = a.next(held, List.of()).orElseThrow();
            assertThat(held).noneMatch(t -> t.subnet().overlaps(next));
            assertThat(next.overlaps(c("10.0.3.0/24"))).isFalse();
            assertThat(next.contains(c("10.0.40.7/32"))).isFalse();
            held.add(taken("n" + i, next.toString()));
        }
    }

    @Test
    void movesToTheNextPoolWhenOneIsFull() {
        SubnetAllocator a = new SubnetAllocator(List.of(c("10.10.0.0/23"), c("172.20.0.0/16")), 24, List.of());
        List<TakenSubnet> held = List.of(taken("a", "10.10.0.0/24"), taken("b", "10.10.1.0/24"));
        assertThat(a.next(held, List.of())).contains(c("172.20.0.0/24"));
    }

    @Test
    void exhaustedPoolsGiveNothing() {
        SubnetAllocator a = new SubnetAllocator(List.of(c("10.10.0.0/23")), 24, List.of(c("10.10.1.0/24")));
        assertThat(a.next(List.of(taken("a", "10.10.0.0/24")), List.of())).isEmpty();
    }

    @Test
    void explicitSubnetOverlappingANetworkNamesIt() {
        Optional<SubnetAllocator.Collision> collision = swarmDefault.check(c("10.0.9.0/24"),
                List.of(taken("other", "10.0.9.128/25"), taken("far", "10.1.0.0/24")), List.of());
        assertThat(collision).contains(new SubnetAllocator.NetworkCollision("default/other", c("10.0.9.128/25")));
    }

    @Test
    void explicitSubnetOverlappingAnExcludedRangeIsRefused() {
        SubnetAllocator a = new SubnetAllocator(List.of(c("10.0.0.0/8")), 24, List.of(c("10.96.0.0/12")));
        assertThat(a.check(c("10.100.0.0/24"), List.of(), List.of()))
                .contains(new SubnetAllocator.ExcludedCollision(new ClusterRange(c("10.96.0.0/12"), "SWARMNET_EXCLUDED_CIDRS")));
        ClusterRange nodeAddress = new ClusterRange(c("192.168.5.10/32"), "Node n InternalIP");
        assertThat(a.check(c("192.168.5.0/24"), List.of(), List.of(nodeAddress))).contains(new SubnetAllocator.ExcludedCollision(nodeAddress));
    }

    @Test
    void explicitSubnetOutsideThePoolsIsFineWhenFree() {
        assertThat(swarmDefault.check(c("192.168.77.0/24"), List.of(taken("a", "10.0.0.0/24")), List.of())).isEmpty();
    }

    @Test
    void poolSmallerThanTheSubnetSizeIsRefused() {
        assertThatThrownBy(() -> new SubnetAllocator(List.of(c("10.0.0.0/25")), 24, List.of()))
                .hasMessageContaining("10.0.0.0/25");
    }

    @Test
    void scalesToThousandsOfNetworks() {
        List<TakenSubnet> held = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            held.add(new TakenSubnet("n" + i, swarmDefault.next(held, List.of()).orElseThrow()));
        }
        assertThat(held.get(999).subnet()).isEqualTo(c("10.3.231.0/24"));
    }
}

package io.swarmnet.operator.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NetworkAllocationsTest {

    private static NetworkPlanner planner() {
        return new NetworkPlanner(new SubnetAllocator(List.of(Cidr.parse("10.0.0.0/8")), 24, List.of()), VniRange.DEFAULT);
    }

    private static NetworkRequest auto(String name) {
        return new NetworkRequest("default", name, null, null, null, null);
    }

    @Test
    void concurrentDecisionsNeverShareASubnetOrVni() throws Exception {
        NetworkAllocations allocations = new NetworkAllocations(planner());
        ConcurrentLinkedQueue<NetworkAllocation> results = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        for (int i = 0; i < 400; i++) {
            String name = "n" + i;
            pool.submit(() -> results.add(((NetworkDecision.Allocated) allocations.decide(auto(name), List.of())).allocation()));
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(results).hasSize(400);
        assertThat(results.stream().map(NetworkAllocation::subnet)).doesNotHaveDuplicates();
        assertThat(results.stream().map(NetworkAllocation::vni)).doesNotHaveDuplicates();
    }

    @Test
    void decidingAgainReturnsTheSameAllocation() {
        NetworkAllocations allocations = new NetworkAllocations(planner());
        NetworkDecision.Allocated first = (NetworkDecision.Allocated) allocations.decide(auto("a"), List.of());
        NetworkDecision.Allocated again = (NetworkDecision.Allocated) allocations.decide(auto("a"), List.of());
        assertThat(first.fresh()).isTrue();
        assertThat(again.fresh()).isFalse();
        assertThat(again.allocation()).isEqualTo(first.allocation());
    }

    @Test
    void rebuiltFromStatusesNothingIsRenumbered() {
        NetworkAllocations before = new NetworkAllocations(planner());
        List<OverlayNetwork> networks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            NetworkAllocation a = ((NetworkDecision.Allocated) before.decide(auto("n" + i), List.of())).allocation();
            networks.add(withStatus("n" + i, a));
        }
        before.release("default", "n1");
        networks.remove(1);
        NetworkAllocations after = NetworkAllocations.fromNetworks(planner(), networks);
        for (OverlayNetwork n : networks) {
            NetworkDecision.Allocated d = (NetworkDecision.Allocated) after.decide(auto(n.getMetadata().getName()), List.of());
            assertThat(d.allocation()).isEqualTo(before.of("default", n.getMetadata().getName()).orElseThrow());
            assertThat(d.fresh()).isFalse();
        }
        // the hole left by n1 is reused, never a held one
        NetworkAllocation fresh = ((NetworkDecision.Allocated) after.decide(auto("new"), List.of())).allocation();
        assertThat(after.all()).filteredOn(a -> !a.name().equals("new")).noneMatch(a -> a.subnet().overlaps(fresh.subnet()));
    }

    @Test
    void forgetsNetworksThatNoLongerExist() {
        NetworkAllocations allocations = new NetworkAllocations(planner());
        allocations.decide(auto("a"), List.of());
        allocations.decide(auto("b"), List.of());
        allocations.retainOnly(Set.of("default/b")::contains);
        assertThat(allocations.of("default", "a")).isEmpty();
        assertThat(allocations.of("default", "b")).isPresent();
    }

    private static OverlayNetwork withStatus(String name, NetworkAllocation a) {
        OverlayNetwork n = new OverlayNetwork();
        n.setMetadata(new ObjectMetaBuilder().withNamespace("default").withName(name).build());
        OverlayNetworkStatus s = new OverlayNetworkStatus();
        s.setSubnet(a.subnet().toString());
        s.setGateway(a.gateway().toString());
        s.setIpRange(a.range().toString());
        s.setVxlanId(a.vni().value());
        n.setStatus(s);
        return n;
    }
}

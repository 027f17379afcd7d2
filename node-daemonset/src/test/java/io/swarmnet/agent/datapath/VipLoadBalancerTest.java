package io.swarmnet.agent.datapath;

import static io.swarmnet.agent.datapath.DatapathPlannerTest.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.net.IpAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The VIP table transactions: one service's change stays a few lines whatever the number of services. */
class VipLoadBalancerTest {

    private final VipLoadBalancer lb = new VipLoadBalancer(new KernelNames("swn"));
    private static final IpAddress VIP = ip("10.0.9.2");

    @Test
    void aBackendSwapWithTheSameCountRewritesOnlyThatServicesMap() {
        VipTable actual = table(Map.of(VIP, List.of(ip("10.0.9.3"), ip("10.0.9.4")), ip("10.0.9.100"), List.of(ip("10.0.9.7"))));

        List<String> tx = lb.transaction(Map.of(VIP, List.of(ip("10.0.9.3"), ip("10.0.9.5")), ip("10.0.9.100"), List.of(ip("10.0.9.7"))), actual);

        assertThat(tx).containsExactly("flush map ip swn_vip b_10_0_9_2",
                "add element ip swn_vip b_10_0_9_2 { 0 : 10.0.9.3, 1 : 10.0.9.5 }");
    }

    @Test
    void aBackendCountChangeAlsoReplacesTheNumgenRule() {
        VipTable actual = table(Map.of(VIP, List.of(ip("10.0.9.3"), ip("10.0.9.4"))));

        List<String> tx = lb.transaction(Map.of(VIP, List.of(ip("10.0.9.3"))), actual);

        // the map is refilled, not declared again: its declaration only names the key's type
        assertThat(tx).containsExactly("flush chain ip swn_vip v_10_0_9_2", "flush map ip swn_vip b_10_0_9_2",
                "add element ip swn_vip b_10_0_9_2 { 0 : 10.0.9.3 }",
                "add rule ip swn_vip v_10_0_9_2 dnat to numgen inc mod 1 map @b_10_0_9_2");
    }

    @Test
    void aServiceLosingItsLastBackendIsRefusedInsteadOfBalanced() {
        VipTable actual = table(Map.of(VIP, List.of(ip("10.0.9.3"))));

        List<String> tx = lb.transaction(Map.of(VIP, List.of()), actual);

        assertThat(tx).containsExactly("delete element ip swn_vip vips { 10.0.9.2 }", "flush chain ip swn_vip v_10_0_9_2",
                "delete chain ip swn_vip v_10_0_9_2", "delete map ip swn_vip b_10_0_9_2", "add element ip swn_vip refused { 10.0.9.2 }");
    }

    @Test
    void aServiceGoneFromThePodIsRemovedAndNothingElse() {
        VipTable actual = table(Map.of(VIP, List.of(ip("10.0.9.3")), ip("10.0.9.100"), List.of(ip("10.0.9.7"))));

        List<String> tx = lb.transaction(Map.of(ip("10.0.9.100"), List.of(ip("10.0.9.7"))), actual);

        assertThat(tx).containsExactly("delete element ip swn_vip vips { 10.0.9.2 }", "flush chain ip swn_vip v_10_0_9_2",
                "delete chain ip swn_vip v_10_0_9_2", "delete map ip swn_vip b_10_0_9_2");
    }

    @Test
    void noVipsLeftKeepsTheTableWithItsIsolateChainForAsLongAsThePodIsAttached() {
        assertThat(lb.transaction(Map.of(), table(Map.of(VIP, List.of(ip("10.0.9.3")))))).containsExactly(
                "delete element ip swn_vip vips { 10.0.9.2 }", "flush chain ip swn_vip v_10_0_9_2",
                "delete chain ip swn_vip v_10_0_9_2", "delete map ip swn_vip b_10_0_9_2");
        assertThat(lb.transaction(Map.of(), table(Map.of()))).isEmpty();
        assertThat(lb.expected(Map.of())).isEqualTo(table(Map.of()));
    }

    @Test
    void anAttachedPodWithoutVipsGetsTheSkeletonWithTheIsolateChain() {
        List<String> tx = lb.transaction(Map.of(), VipTable.ABSENT);

        assertThat(tx).contains("add table ip swn_vip",
                "add chain ip swn_vip isolate { type filter hook forward priority 0; }",
                "add rule ip swn_vip isolate meta iifgroup " + KernelNames.INTERNAL_GROUP + " drop",
                "add rule ip swn_vip isolate meta oifgroup " + KernelNames.INTERNAL_GROUP + " drop");
        assertThat(tx).noneMatch(l -> l.contains("jump"));
    }

    @Test
    void aPodThatLeftLosesTheWholeTable() {
        assertThat(lb.removal(table(Map.of(VIP, List.of(ip("10.0.9.3")))))).containsExactly("delete table ip swn_vip");
        assertThat(lb.removal(VipTable.ABSENT)).isEmpty();
    }

    @Test
    void aTamperedSkeletonIsRebuiltInOneTransaction() {
        VipTable broken = new VipTable(true, false, Map.of(), Map.of(), Set.of(), Set.of(), Set.of());

        List<String> tx = lb.transaction(Map.of(VIP, List.of(ip("10.0.9.3"))), broken);

        assertThat(tx.get(0)).isEqualTo("delete table ip swn_vip");
        assertThat(tx).contains("add table ip swn_vip", "add element ip swn_vip vips { 10.0.9.2 : jump v_10_0_9_2 }");
    }

    @Test
    void aMatchingTableNeedsNoTransaction() {
        Map<IpAddress, List<IpAddress>> vips = Map.of(VIP, List.of(ip("10.0.9.3"), ip("10.0.9.4")));
        assertThat(lb.transaction(vips, table(vips))).isEmpty();
    }

    private static VipTable table(Map<IpAddress, List<IpAddress>> balanced) {
        Map<IpAddress, Integer> modulus = new java.util.HashMap<>();
        Set<String> chains = new java.util.HashSet<>();
        Set<String> maps = new java.util.HashSet<>();
        KernelNames names = new KernelNames("swn");
        balanced.forEach((vip, b) -> {
            modulus.put(vip, b.size());
            chains.add(names.vipChain(vip));
            maps.add(names.backendMap(vip));
        });
        return new VipTable(true, true, balanced, modulus, Set.of(), chains, maps);
    }
}

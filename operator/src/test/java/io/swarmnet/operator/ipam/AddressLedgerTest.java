package io.swarmnet.operator.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AddressLedgerTest {

    private static AllocatableNetwork network(String subnet) {
        Cidr cidr = Cidr.parse(subnet);
        return new AllocatableNetwork("default", "net", cidr, cidr, cidr.first().plus(1));
    }

    @Test
    void neverHandsOutNetworkBroadcastOrGateway() throws Exception {
        AllocatableNetwork net = network("10.0.9.0/29");
        AddressLedger ledger = AddressLedger.empty();
        Set<IpAddress> handed = new HashSet<>();
        for (int i = 0; i < net.capacity(); i++) {
            handed.add(ledger.allocate(net, AddressOwner.task("t" + i)));
        }
        assertThat(handed).hasSize(5)
                .doesNotContain(IpAddress.parse("10.0.9.0"), IpAddress.parse("10.0.9.1"), IpAddress.parse("10.0.9.7"));
        assertThat(ledger.inUse("default", "net")).isEqualTo(5);
    }

    @Test
    void sameOwnerGetsSameAddressBack() throws Exception {
        AllocatableNetwork net = network("10.0.9.0/24");
        AddressLedger ledger = AddressLedger.empty();
        IpAddress first = ledger.allocate(net, AddressOwner.virtualIps("web"));
        assertThat(ledger.allocate(net, AddressOwner.virtualIps("web"))).isEqualTo(first);
        assertThat(ledger.addressOf("default", "net", AddressOwner.virtualIps("web"))).contains(first);
        assertThat(ledger.inUse("default", "net")).isEqualTo(1);
    }

    @Test
    void exhaustionNamesNetworkRangeAndWhatToDo() throws Exception {
        AllocatableNetwork net = network("10.0.9.0/29");
        AddressLedger ledger = AddressLedger.empty();
        for (int i = 0; i < 5; i++) {
            ledger.allocate(net, AddressOwner.task("t" + i));
        }
        assertThatThrownBy(() -> ledger.allocate(net, AddressOwner.task("one-too-many")))
                .isInstanceOf(AddressPoolExhaustedException.class)
                .hasMessageContaining("default/net")
                .hasMessageContaining("10.0.9.0/29")
                .hasMessageContaining("5 are in use")
                .hasMessageContaining("larger spec.subnet or spec.ipRange");
    }

    @Test
    void aFullNetworkIsSearchedOnceNotOncePerCallerUntilAnAddressIsGivenBack() throws Exception {
        AllocatableNetwork net = network("10.0.0.0/20");
        AddressLedger ledger = AddressLedger.empty();
        for (int i = 0; i < net.capacity(); i++) {
            ledger.allocate(net, AddressOwner.task("t" + i));
        }
        long before = ledger.candidatesExamined();
        for (int i = 0; i < 50; i++) {
            String late = "late-" + i;
            assertThatThrownBy(() -> ledger.allocate(net, AddressOwner.task(late))).isInstanceOf(AddressPoolExhaustedException.class)
                    .hasMessageContaining(net.capacity() + " are in use");
        }
        assertThat(ledger.candidatesExamined() - before).as("one search of the whole range for 50 refusals").isEqualTo(net.range().size());

        IpAddress freed = ledger.addressOf("default", "net", AddressOwner.task("t7")).orElseThrow();
        ledger.release("default", "net", AddressOwner.task("t7"));
        assertThat(ledger.allocate(net, AddressOwner.task("late-0"))).as("a released address is found again").isEqualTo(freed);
        assertThatThrownBy(() -> ledger.allocate(net, AddressOwner.task("late-1"))).isInstanceOf(AddressPoolExhaustedException.class);

        // the same network grown (a larger subnet, as after an edit of spec.subnet on a new network) is searched anew
        AllocatableNetwork grown = network("10.0.0.0/19");
        assertThat(grown.range().contains(ledger.allocate(grown, AddressOwner.task("late-1")))).isTrue();
        // an address left for another (a task recorded at a new address) makes room too
        assertThatThrownBy(() -> ledger.allocate(net, AddressOwner.task("late-2"))).isInstanceOf(AddressPoolExhaustedException.class);
        IpAddress moved = ledger.addressOf("default", "net", AddressOwner.task("t9")).orElseThrow();
        ledger.record("default", "net", AddressOwner.task("t9"), IpAddress.parse("10.0.16.9"));
        assertThat(ledger.allocate(net, AddressOwner.task("late-2"))).isEqualTo(moved);
    }

    @Test
    void allocatesOnlyInsideTheIpRange() throws Exception {
        Cidr subnet = Cidr.parse("10.0.9.0/24");
        Cidr range = Cidr.parse("10.0.9.128/28");
        AllocatableNetwork net = new AllocatableNetwork("default", "net", subnet, range, IpAddress.parse("10.0.9.1"));
        AddressLedger ledger = AddressLedger.empty();
        for (int i = 0; i < 16; i++) {
            assertThat(range.contains(ledger.allocate(net, AddressOwner.task("t" + i)))).isTrue();
        }
        assertThatThrownBy(() -> ledger.allocate(net, AddressOwner.task("x"))).isInstanceOf(AddressPoolExhaustedException.class);
    }

    @Test
    void gatewayInsideRangeIsSkipped() throws Exception {
        Cidr subnet = Cidr.parse("10.0.9.0/24");
        Cidr range = Cidr.parse("10.0.9.8/29");
        AllocatableNetwork net = new AllocatableNetwork("default", "net", subnet, range, IpAddress.parse("10.0.9.10"));
        assertThat(net.capacity()).isEqualTo(7);
        AddressLedger ledger = AddressLedger.empty();
        List<IpAddress> all = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            all.add(ledger.allocate(net, AddressOwner.task("t" + i)));
        }
        assertThat(all).doesNotContain(IpAddress.parse("10.0.9.10")).doesNotHaveDuplicates();
    }

    @Test
    void releasedAddressIsNotReusedAtOnce() throws Exception {
        AllocatableNetwork net = network("10.0.9.0/24");
        AddressLedger ledger = AddressLedger.empty();
        IpAddress a = ledger.allocate(net, AddressOwner.task("a"));
        ledger.release("default", "net", AddressOwner.task("a"));
        assertThat(ledger.addressOf("default", "net", AddressOwner.task("a"))).isEmpty();
        assertThat(ledger.allocate(net, AddressOwner.task("b"))).isNotEqualTo(a);
        assertThat(ledger.inUse("default", "net")).isEqualTo(1);
    }

    @Test
    void releasedAddressIsReusedOnceTheRangeWrapsAround() throws Exception {
        AllocatableNetwork net = network("10.0.9.0/29");
        AddressLedger ledger = AddressLedger.empty();
        for (int i = 0; i < 5; i++) {
            ledger.allocate(net, AddressOwner.task("t" + i));
        }
        IpAddress freed = ledger.addressOf("default", "net", AddressOwner.task("t2")).orElseThrow();
        ledger.release("default", "net", AddressOwner.task("t2"));
        assertThat(ledger.allocate(net, AddressOwner.task("new"))).isEqualTo(freed);
    }

    @Test
    void recordedAddressesAreNeverHandedOut() throws Exception {
        AllocatableNetwork net = network("10.0.9.0/28");
        AddressLedger ledger = AddressLedger.empty();
        ledger.record("default", "net", AddressOwner.task("old"), IpAddress.parse("10.0.9.2"));
        ledger.record("default", "net", AddressOwner.virtualIps("web"), IpAddress.parse("10.0.9.5"));
        Set<IpAddress> handed = new HashSet<>();
        for (int i = 0; i < 11; i++) {
            handed.add(ledger.allocate(net, AddressOwner.task("n" + i)));
        }
        assertThat(handed).hasSize(11).doesNotContain(IpAddress.parse("10.0.9.2"), IpAddress.parse("10.0.9.5"));
        assertThat(ledger.allocate(net, AddressOwner.virtualIps("web"))).isEqualTo(IpAddress.parse("10.0.9.5"));
    }

    @Test
    void conflictingClaimKeepsFirstHolder() {
        AddressLedger ledger = AddressLedger.empty();
        ledger.record("default", "net", AddressOwner.task("a"), IpAddress.parse("10.0.9.2"));
        ledger.record("default", "net", AddressOwner.task("b"), IpAddress.parse("10.0.9.2"));
        assertThat(ledger.addressOf("default", "net", AddressOwner.task("a"))).contains(IpAddress.parse("10.0.9.2"));
        assertThat(ledger.addressOf("default", "net", AddressOwner.task("b"))).isEmpty();
        assertThat(ledger.inUse("default", "net")).isEqualTo(1);
    }

    @Test
    void networksAreIndependentBySameNameInOtherNamespace() throws Exception {
        Cidr a = Cidr.parse("10.0.9.0/24");
        AddressLedger ledger = AddressLedger.empty();
        ledger.allocate(new AllocatableNetwork("ns1", "net", a, a, a.first().plus(1)), AddressOwner.task("x"));
        assertThat(ledger.inUse("ns1", "net")).isEqualTo(1);
        assertThat(ledger.inUse("ns2", "net")).isZero();
    }

    @Test
    void aSharedNetworkHasOneSetOfHoldingsWhicheverNamespaceAsks() throws Exception {
        Cidr subnet = Cidr.parse("10.0.9.0/29");
        IpAddress gateway = IpAddress.parse("10.0.9.1");
        AllocatableNetwork fromInfra = new AllocatableNetwork("infra", "proxy", subnet, subnet, gateway);
        AllocatableNetwork fromShop = new AllocatableNetwork("shop", "infra/proxy", subnet, subnet, gateway);
        AddressLedger ledger = AddressLedger.empty();
        Set<IpAddress> handed = new HashSet<>();
        // one pod name in both namespaces: two owners, two addresses
        handed.add(ledger.allocate(fromInfra, AddressOwner.task("web-1-abcde")));
        handed.add(ledger.allocate(fromShop, AddressOwner.task("web-1-abcde")));
        handed.add(ledger.allocate(fromShop, AddressOwner.virtualIps("web")));
        handed.add(ledger.allocate(fromInfra, AddressOwner.virtualIps("web")));
        handed.add(ledger.allocate(fromShop, AddressOwner.attachedPod("client")));
        assertThat(handed).hasSize(5);
        assertThatThrownBy(() -> ledger.allocate(fromShop, AddressOwner.task("web-2-fghij"))).isInstanceOf(AddressPoolExhaustedException.class)
                .hasMessageContaining("OverlayNetwork infra/proxy has no free address");
        assertThat(ledger.inUse("infra", "proxy")).isEqualTo(5);
        assertThat(ledger.inUse("shop", "infra/proxy")).isEqualTo(5);
        assertThat(ledger.usageByNetwork()).containsOnlyKeys("infra/proxy");

        // each namespace sees and releases only its own owners
        assertThat(ledger.holdings("shop", "infra/proxy").values()).containsExactlyInAnyOrder(AddressOwner.task("web-1-abcde"), AddressOwner.virtualIps("web"), AddressOwner.attachedPod("client"));
        assertThat(ledger.holdings("infra", "proxy").values()).containsExactlyInAnyOrder(AddressOwner.task("web-1-abcde"), AddressOwner.virtualIps("web"));
        assertThat(ledger.owners("shop", "infra/proxy")).containsExactlyInAnyOrder(AddressOwner.task("web-1-abcde"), AddressOwner.virtualIps("web"), AddressOwner.attachedPod("client"));
        assertThat(ledger.owners("infra", "proxy")).containsExactlyInAnyOrder(AddressOwner.task("web-1-abcde"), AddressOwner.virtualIps("web"));
        assertThat(ledger.holders("infra", "proxy").values()).extracting(AddressLedger.Holder::toString).containsExactlyInAnyOrder(
                "infra/task:web-1-abcde", "infra/vip:web", "shop/task:web-1-abcde", "shop/vip:web", "shop/pod:client");
        IpAddress infraTask = ledger.addressOf("infra", "proxy", AddressOwner.task("web-1-abcde")).orElseThrow();
        ledger.release("shop", "infra/proxy", AddressOwner.task("web-1-abcde"));
        assertThat(ledger.addressOf("infra", "proxy", AddressOwner.task("web-1-abcde"))).contains(infraTask);
        assertThat(ledger.addressOf("shop", "infra/proxy", AddressOwner.task("web-1-abcde"))).isEmpty();
        assertThat(ledger.inUse("infra", "proxy")).isEqualTo(4);
    }

    @Test
    void recordsASharedNetworkAsTheOwnersNamespaceNamesIt() {
        AddressLedger ledger = AddressLedger.empty();
        ledger.record("shop", "infra/proxy", AddressOwner.task("a"), IpAddress.parse("10.0.9.2"));
        ledger.record("infra", "proxy", AddressOwner.task("a"), IpAddress.parse("10.0.9.2"));
        assertThat(ledger.holders("infra", "proxy")).hasSize(1);
        assertThat(ledger.addressOf("shop", "infra/proxy", AddressOwner.task("a"))).contains(IpAddress.parse("10.0.9.2"));
        assertThat(ledger.addressOf("infra", "proxy", AddressOwner.task("a"))).as("the address stays with its first claimant").isEmpty();
        // a name that is no network finds nothing and breaks nothing
        assertThat(ledger.holdings("shop", "a/b/c")).isEmpty();
        ledger.release("shop", "Not/A/Network", AddressOwner.task("a"));
        assertThatThrownBy(() -> ledger.record("shop", "a/b/c", AddressOwner.task("a"), IpAddress.parse("10.0.9.3")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentAllocationsAreDistinct() throws Exception {
        AllocatableNetwork net = network("10.0.0.0/20");
        AddressLedger ledger = AddressLedger.empty();
        ConcurrentLinkedQueue<IpAddress> handed = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        for (int t = 0; t < 8; t++) {
            int thread = t;
            pool.submit(() -> {
                for (int i = 0; i < 500; i++) {
                    try {
                        handed.add(ledger.allocate(net, AddressOwner.task(thread + "-" + i)));
                    } catch (AddressPoolExhaustedException e) {
                        throw new AssertionError(e);
                    }
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(handed).hasSize(4000).doesNotHaveDuplicates();
        assertThat(ledger.inUse("default", "net")).isEqualTo(4000);
    }
}

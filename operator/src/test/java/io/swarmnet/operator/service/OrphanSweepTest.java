package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.ipam.AddressOwner;
import io.swarmnet.operator.ipam.AddressPoolExhaustedException;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OrphanSweepTest {

    private final AddressLedger ledger = AddressLedger.empty();
    private final AtomicLong clock = new AtomicLong();
    private final OrphanSweep sweep = new OrphanSweep(ledger, clock::get);

    private static AllocatableNetwork network(String name) {
        Cidr subnet = Cidr.parse("10.0.9.0/24");
        return new AllocatableNetwork("default", name, subnet, subnet, subnet.first().plus(1));
    }

    private void hold(String network, AddressOwner owner) throws AddressPoolExhaustedException {
        ledger.allocate(network(network), owner);
    }

    private Set<AddressOwner> heldOn(String network) {
        return Set.copyOf(ledger.holdings("default", network).values());
    }

    private void sweepFront(boolean now) {
        sweep.sweep("default", List.of("front"), now, pod -> pod.startsWith("gone-"), service -> service.startsWith("gone-"));
    }

    @Test
    void releasesTheAddressesOfGoneTaskPodsAndTheVipsOfGoneServicesOnly() throws Exception {
        hold("front", AddressOwner.task("gone-1-abcde"));
        hold("front", AddressOwner.task("web-1-abcde"));
        hold("front", AddressOwner.virtualIps("gone-api"));
        hold("front", AddressOwner.virtualIps("web"));

        sweepFront(false);

        assertThat(heldOn("front")).containsExactlyInAnyOrder(AddressOwner.task("web-1-abcde"), AddressOwner.virtualIps("web"));
    }

    @Test
    void neverReleasesAnAttachedPodsAddressNorAsksAboutIt() throws Exception {
        hold("front", AddressOwner.attachedPod("gone-cache-0"));
        List<String> asked = new ArrayList<>();

        sweep.sweep("default", List.of("front"), true, pod -> asked.add(pod), service -> asked.add(service));

        assertThat(heldOn("front")).containsExactly(AddressOwner.attachedPod("gone-cache-0"));
        assertThat(asked).isEmpty();
    }

    @Test
    void decidesOnEachOwnerByItsKindNotItsName() {
        Set<AddressOwner> held = Set.of(AddressOwner.task("web"), AddressOwner.virtualIps("web"), AddressOwner.attachedPod("web"));

        assertThat(OrphanSweep.orphans(held, pod -> true, service -> false)).containsExactly(AddressOwner.task("web"));
        assertThat(OrphanSweep.orphans(held, pod -> false, service -> true)).containsExactly(AddressOwner.virtualIps("web"));
    }

    @Test
    void sweepsEachNetworkAtMostOncePerIntervalUnlessAskedToSweepNow() throws Exception {
        hold("front", AddressOwner.task("gone-1"));
        sweepFront(false);
        assertThat(heldOn("front")).isEmpty();

        hold("front", AddressOwner.task("gone-2"));
        clock.addAndGet(OrphanSweep.INTERVAL.minusSeconds(1).toNanos());
        sweepFront(false);
        assertThat(heldOn("front")).as("swept less than an interval ago").containsExactly(AddressOwner.task("gone-2"));

        // a service's deletion sweeps at once
        sweepFront(true);
        assertThat(heldOn("front")).isEmpty();

        // the interval counts from that sweep
        hold("front", AddressOwner.task("gone-3"));
        clock.addAndGet(OrphanSweep.INTERVAL.minus(Duration.ofMillis(1)).toNanos());
        sweepFront(false);
        assertThat(heldOn("front")).containsExactly(AddressOwner.task("gone-3"));
        clock.addAndGet(Duration.ofMillis(1).toNanos());
        sweepFront(false);
        assertThat(heldOn("front")).isEmpty();
    }

    @Test
    void afterTheLedgerIsLoadedFromTheCachesTheFirstSweepWaitsAnIntervalUnlessNow() throws Exception {
        clock.set(5_000);
        sweep.countAllSwept();
        hold("front", AddressOwner.task("gone-1"));
        hold("back", AddressOwner.task("gone-2"));

        clock.addAndGet(OrphanSweep.INTERVAL.minus(Duration.ofMillis(1)).toNanos());
        sweepFront(false);
        assertThat(heldOn("front")).as("loaded less than an interval ago").containsExactly(AddressOwner.task("gone-1"));

        // a service's deletion still sweeps at once
        sweep.sweep("default", List.of("back"), true, pod -> true, service -> true);
        assertThat(heldOn("back")).isEmpty();

        clock.addAndGet(Duration.ofMillis(1).toNanos());
        sweepFront(false);
        assertThat(heldOn("front")).isEmpty();
    }

    @Test
    void aNetworkNotSweptYetIsSweptAtOnceWhateverTheOthers() throws Exception {
        hold("front", AddressOwner.task("gone-1"));
        sweepFront(false);
        hold("back", AddressOwner.task("gone-2"));

        sweep.sweep("default", List.of("front", "back"), false, pod -> true, service -> true);

        assertThat(heldOn("back")).isEmpty();
    }
}

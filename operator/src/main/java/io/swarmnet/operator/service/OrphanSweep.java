package io.swarmnet.operator.service;

import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.ipam.AddressOwner;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives back addresses on a service's networks whose owner no longer exists — a task pod or a
 * service that is gone — whatever path lost track of it (a crash between allocation and creation,
 * a missed delete), so nothing leaks an address for long. The per-service bookkeeping of
 * {@link TaskAddressBook} cannot see such addresses; this scan can. Shared by all reconcile threads.
 */
final class OrphanSweep {

    /**
     * How often a whole network is scanned for addresses whose owner is gone. Rare on purpose: the
     * scan copies the network's owners (unordered: every other caller of the ledger waits meanwhile) and looks each up.
     */
    static final Duration INTERVAL = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(OrphanSweep.class);

    private final AddressLedger ledger;
    private final LongSupplier nanoClock;
    /** When each network ({@code namespace/network}) was last swept. */
    private final Map<String, Long> lastSweep = new ConcurrentHashMap<>();
    /** When a network not swept yet counts as swept ({@link #countAllSwept}); null: it is swept at its first call. */
    private volatile Long allSwept;

    OrphanSweep(AddressLedger ledger, LongSupplier nanoClock) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /**
     * Counts every network as swept now. The operator calls this as it loads the ledger from its informers' caches: an
     * address found there has an owner there, so a sweep right after would copy every network's owners (110,000 at
     * 10,000 services × 10 tasks, under the ledger's lock) to find nothing. The first sweeps come an interval later, or
     * at once for a service's deletion.
     */
    void countAllSwept() {
        allSwept = nanoClock.getAsLong();
    }

    /**
     * Sweeps these networks of the namespace, each at most every {@link #INTERVAL} unless {@code now}.
     *
     * @param podGone     whether the task pod of this name no longer exists (may ask the API server)
     * @param serviceGone whether the service of this name no longer exists
     */
    void sweep(String namespace, Collection<String> networkNames, boolean now, Predicate<String> podGone,
               Predicate<String> serviceGone) {
        long tick = nanoClock.getAsLong();
        for (String network : networkNames) {
            String key = namespace + "/" + network;
            Long last = lastSweep.getOrDefault(key, allSwept);
            if (!now && last != null && tick - last < INTERVAL.toNanos()) {
                continue;
            }
            lastSweep.put(key, tick);
            for (AddressOwner owner : orphans(ledger.owners(namespace, network), podGone, serviceGone)) {
                if (owner.kind() == AddressOwner.Kind.TASK) {
                    LOG.info("network {}/{}: releasing the address of {}, whose pod no longer exists", namespace, network, owner);
                } else {
                    LOG.info("network {}/{}: releasing the virtual IP of service {}, which no longer exists", namespace, network,
                            owner.name());
                }
                ledger.release(namespace, network, owner);
            }
        }
    }

    /**
     * The owners among {@code held} whose task pod or service is gone. The addresses of attached pods
     * are never among them: {@code AttachablePods} follows those pods and releases their addresses.
     */
    static Set<AddressOwner> orphans(Collection<AddressOwner> held, Predicate<String> podGone, Predicate<String> serviceGone) {
        Set<AddressOwner> orphans = new LinkedHashSet<>();
        for (AddressOwner owner : held) {
            boolean gone = switch (owner.kind()) {
                case TASK -> podGone.test(owner.name());
                case VIRTUAL_IPS -> serviceGone.test(owner.name());
                case ATTACHED_POD -> false;
            };
            if (gone) {
                orphans.add(owner);
            }
        }
        return orphans;
    }
}

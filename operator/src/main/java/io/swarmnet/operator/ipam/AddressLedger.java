package io.swarmnet.operator.ipam;

import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.contract.NetworkReference;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.VirtualIP;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every address handed out on every network, for the whole operator process. Thread-safe; never
 * hands one address out twice.
 *
 * <p>Each address has an {@link AddressOwner}: a task, a service's virtual IPs, or a pod that is no
 * task but joined an attachable network. The ledger is the in-memory index of what
 * the cluster already records (pod annotations and service statuses); it is rebuilt from there on
 * start ({@link #load}, from the operator's informer caches), so a restart never re-numbers anything.
 *
 * <p>Callers speak for one namespace: they pass the namespace of the owner and the network as that namespace records it
 * ({@link NetworkReference#relativeTo(String)}: {@code my-network}, or {@code infra/proxy} for a network shared with it from
 * another namespace). A network has one set of holdings whatever namespace asks, so a task of {@code shop} and a task of
 * {@code infra} on {@code infra/proxy} never get one address; owners are kept with their namespace, so two pods of one name
 * in two namespaces are two owners, and {@link #holdings} shows each namespace only its own.
 *
 * <p>Addresses are handed out "next fit" from a per-network cursor rather than lowest-free, so a
 * freshly released address is not reused at once while clients may still cache it in DNS.
 */
public final class AddressLedger {

    private static final Logger LOG = LoggerFactory.getLogger(AddressLedger.class);

    /** Who holds an address: an owner in its namespace. */
    public record Holder(String namespace, AddressOwner owner) {
        @Override
        public String toString() {
            return namespace + "/" + owner;
        }
    }

    /** Holdings of one network. */
    private static final class Holdings {
        final Map<Holder, IpAddress> byOwner = new HashMap<>();
        final Map<IpAddress, Holder> byAddress = new HashMap<>();
        /** Where the next search starts: one past the last address handed out. */
        long cursor = -1;
        /** Counts the addresses given back (released, or left for another): only then can a full network have room again. */
        long freed;
        /** The network (range, gateway) a whole search last found full, and {@link #freed} then; null while none did. */
        AllocatableNetwork fullAs;
        long fullAtFreed;

        void free(IpAddress address) {
            if (byAddress.remove(address) != null) {
                freed++;
            }
        }

        /** True when a search of this very network found it full and nothing was given back since: no need to search again. */
        boolean knownFull(AllocatableNetwork network) {
            return fullAs != null && fullAtFreed == freed && fullAs.range().equals(network.range())
                    && fullAs.subnet().equals(network.subnet()) && fullAs.gateway().equals(network.gateway());
        }
    }

    /** How long a caller waits for {@link #load} at most. */
    static final Duration LOAD_WAIT = Duration.ofMinutes(10);

    /** By network, {@code namespace/name} of the network itself. */
    private final Map<String, Holdings> networks = new HashMap<>();
    private final AtomicLong allocationsMade = new AtomicLong();
    /** Candidates looked at by the searches of {@link #allocate}, for tests. */
    private long examined;
    /** Counted down by {@link #load}; null for a ledger that needs no loading. */
    private volatile CountDownLatch loaded;

    private AddressLedger() {
    }

    public static AddressLedger empty() {
        return new AddressLedger();
    }

    /**
     * A ledger still to be {@linkplain #load loaded}: until then every caller of its lookups and allocations waits (an
     * operator's reconciles may begin before the last informer has synced; none may hand out or judge an address before
     * the ledger knows every address the cluster holds). {@link #usageByNetwork()} and {@link #allocationsMade()} answer
     * at once, with what is there.
     */
    public static AddressLedger loading() {
        AddressLedger ledger = new AddressLedger();
        ledger.loaded = new CountDownLatch(1);
        return ledger;
    }

    /**
     * Records what the cluster holds, then lets the waiting callers in: task pods' {@code swarmnet.io/addresses}
     * annotations (owner {@code task:<podName>}: pods labelled {@value SwarmnetKeys#LABEL_SERVICE}), those of pods on
     * attachable networks (owner {@code pod:<podName>}: labelled {@value SwarmnetKeys#LABEL_ATTACHED_POD}; other pods
     * are passed over) and SwarmService {@code status.virtualIPs} (owner {@code vip:<serviceName>}). The operator passes
     * the contents of its informers' caches once they have synced, so a cold start lists every pod once, not once more
     * for the ledger.
     */
    public void load(Stream<Pod> pods, Stream<SwarmService> services) {
        int[] tasks = {0};
        pods.forEach(pod -> tasks[0] += recordPod(pod));
        int[] vips = {0};
        services.forEach(service -> vips[0] += recordVirtualIps(service));
        LOG.info("address ledger loaded from the cluster: {} task and pod addresses, {} virtual IPs", tasks[0], vips[0]);
        CountDownLatch latch = loaded;
        if (latch != null) {
            latch.countDown();
        }
    }

    /** True once {@link #load} has run (or for a ledger made {@link #empty()}). */
    public boolean isLoaded() {
        CountDownLatch latch = loaded;
        return latch == null || latch.getCount() == 0;
    }

    /**
     * Waits until the ledger is loaded; throws (a reconcile fails and is retried) if that takes longer than {@link #LOAD_WAIT}.
     * The operator loads it once every informer has synced: a reader of another controller's cache waits here too.
     */
    public void awaitLoaded() {
        CountDownLatch latch = loaded;
        if (latch == null || latch.getCount() == 0) {
            return;
        }
        try {
            if (!latch.await(LOAD_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the address ledger is not loaded after " + LOAD_WAIT
                        + ": the operator's informers have not synced");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the address ledger to be loaded", e);
        }
    }

    /** The addresses of one pod's annotation, if it is a task or an attached pod; how many were recorded. */
    private int recordPod(Pod pod) {
        var labels = pod.getMetadata().getLabels();
        boolean task = labels != null && labels.containsKey(SwarmnetKeys.LABEL_SERVICE);
        if (!task && (labels == null || !labels.containsKey(SwarmnetKeys.LABEL_ATTACHED_POD))) {
            return 0;
        }
        var annotations = pod.getMetadata().getAnnotations();
        String raw = annotations == null ? null : annotations.get(SwarmnetKeys.ANNOTATION_ADDRESSES);
        if (raw == null) {
            return 0;
        }
        TaskAddresses addresses;
        try {
            addresses = TaskAddresses.parse(raw);
        } catch (IllegalArgumentException e) {
            LOG.warn("pod {}/{}: ignoring unreadable {} annotation: {}", pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName(), SwarmnetKeys.ANNOTATION_ADDRESSES, e.getMessage());
            return 0;
        }
        AddressOwner owner = task ? AddressOwner.task(pod.getMetadata().getName()) : AddressOwner.attachedPod(pod.getMetadata().getName());
        int recorded = 0;
        for (var entry : addresses.byNetwork().entrySet()) {
            if (recordFromCluster("pod " + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(),
                    pod.getMetadata().getNamespace(), entry.getKey(), owner, entry.getValue())) {
                recorded++;
            }
        }
        return recorded;
    }

    private int recordVirtualIps(SwarmService service) {
        if (service.getStatus() == null || service.getStatus().getVirtualIPs() == null) {
            return 0;
        }
        int recorded = 0;
        for (VirtualIP vip : service.getStatus().getVirtualIPs()) {
            if (vip.getNetwork() == null || !IpAddress.isValid(vip.getAddress())) {
                continue;
            }
            if (recordFromCluster("SwarmService " + service.getMetadata().getNamespace() + "/" + service.getMetadata().getName(),
                    service.getMetadata().getNamespace(), vip.getNetwork(), AddressOwner.virtualIps(service.getMetadata().getName()),
                    IpAddress.parse(vip.getAddress()))) {
                recorded++;
            }
        }
        return recorded;
    }

    private boolean recordFromCluster(String what, String namespace, String network, AddressOwner owner, IpAddress address) {
        try {
            recordLoaded(namespace, network, owner, address);
            return true;
        } catch (IllegalArgumentException e) {
            LOG.warn("{}: ignoring its address {} on network '{}', which names no network: {}", what, address, network, e.getMessage());
            return false;
        }
    }

    /**
     * Records an address that the cluster says is held. If two owners claim one address (which
     * only a corrupted cluster state can produce) the first keeps it and the second is logged:
     * the address stays held either way, so it is never handed out a third time.
     *
     * @param namespace the owner's namespace
     * @param network   the network as that namespace records it
     */
    public void record(String namespace, String network, AddressOwner owner, IpAddress address) {
        awaitLoaded();
        recordLoaded(namespace, network, owner, address);
    }

    private synchronized void recordLoaded(String namespace, String network, AddressOwner owner, IpAddress address) {
        String key = NetworkReference.parse(network, namespace).toString();
        Holder holder = new Holder(namespace, owner);
        Holdings holdings = networks.computeIfAbsent(key, k -> new Holdings());
        Holder current = holdings.byAddress.get(address);
        if (current != null && !current.equals(holder)) {
            LOG.warn("network {}: address {} is claimed by both {} and {}; keeping it for {}", key, address, current, holder, current);
            return;
        }
        IpAddress previous = holdings.byOwner.put(holder, address);
        if (previous != null && !previous.equals(address)) {
            holdings.free(previous);
        }
        holdings.byAddress.put(address, holder);
    }

    /**
     * Idempotent: an owner that already holds an address on the network gets the same one back.
     * Never the network address, broadcast, or gateway; only inside range. A network a search found full is not searched
     * again until an address on it is given back: a full network costs one search, not one per caller.
     *
     * @param network the network as seen from the owner's namespace ({@link AllocatableNetwork#namespace()})
     */
    public IpAddress allocate(AllocatableNetwork network, AddressOwner owner) throws AddressPoolExhaustedException {
        awaitLoaded();
        synchronized (this) {
            Holder holder = new Holder(network.namespace(), owner);
            Holdings holdings = networks.computeIfAbsent(key(network.namespace(), network.name()), k -> new Holdings());
            IpAddress held = holdings.byOwner.get(holder);
            if (held != null && network.isAssignable(held)) {
                return held;
            }
            if (holdings.knownFull(network)) {
                throw new AddressPoolExhaustedException(network, holdings.byOwner.size());
            }
            long first = network.range().first().value();
            long size = network.range().size();
            long start = holdings.cursor >= first && holdings.cursor < first + size ? holdings.cursor - first : 0;
            for (long i = 0; i < size; i++) {
                examined++;
                IpAddress candidate = new IpAddress(first + (start + i) % size);
                if (network.isAssignable(candidate) && !holdings.byAddress.containsKey(candidate)) {
                    if (held != null) {
                        // the owner's old address no longer fits the network (its range changed): move it
                        holdings.free(held);
                    }
                    holdings.byOwner.put(holder, candidate);
                    holdings.byAddress.put(candidate, holder);
                    holdings.cursor = candidate.value() + 1;
                    allocationsMade.incrementAndGet();
                    return candidate;
                }
            }
            holdings.fullAs = network;
            holdings.fullAtFreed = holdings.freed;
            throw new AddressPoolExhaustedException(network, holdings.byOwner.size());
        }
    }

    /** Gives back what {@code owner} of {@code namespace} holds on the network (as that namespace records it), if anything. */
    public void release(String namespace, String network, AddressOwner owner) {
        awaitLoaded();
        synchronized (this) {
            Holdings holdings = networks.get(key(namespace, network));
            if (holdings == null) {
                return;
            }
            Holder holder = new Holder(namespace, owner);
            IpAddress address = holdings.byOwner.remove(holder);
            if (address != null && holder.equals(holdings.byAddress.get(address))) {
                holdings.free(address);
            }
        }
    }

    public Optional<IpAddress> addressOf(String namespace, String network, AddressOwner owner) {
        awaitLoaded();
        synchronized (this) {
            Holdings holdings = networks.get(key(namespace, network));
            return holdings == null ? Optional.empty() : Optional.ofNullable(holdings.byOwner.get(new Holder(namespace, owner)));
        }
    }

    /** Addresses held on the network by tasks, pods and virtual IPs of every namespace (the gateway is not counted). */
    public int inUse(String namespace, String network) {
        awaitLoaded();
        return inUseNow(namespace, network);
    }

    /** As {@link #inUse}, without waiting for the {@linkplain #load load}: for gauges, which must answer at once. */
    public synchronized int inUseNow(String namespace, String network) {
        Holdings holdings = networks.get(key(namespace, network));
        return holdings == null ? 0 : holdings.byAddress.size();
    }

    /**
     * What the owners of {@code namespace} hold on the network (as that namespace records it), by address; owners of other
     * namespaces sharing the network are left out, so a caller that checks whether owners still exist looks only in its own
     * namespace. For sweeps, metrics and tests.
     */
    public Map<IpAddress, AddressOwner> holdings(String namespace, String network) {
        awaitLoaded();
        synchronized (this) {
            Holdings holdings = networks.get(key(namespace, network));
            Map<IpAddress, AddressOwner> own = new TreeMap<>();
            if (holdings != null) {
                holdings.byAddress.forEach((address, holder) -> {
                    if (holder.namespace().equals(namespace)) {
                        own.put(address, holder.owner());
                    }
                });
            }
            return own;
        }
    }

    /**
     * The owners of {@code namespace} holding an address on the network (as that namespace records it), each once, in no
     * particular order: what {@link #holdings} holds without ordering the addresses, for sweeps that go through every
     * owner of a large network while other callers wait on the ledger.
     */
    public List<AddressOwner> owners(String namespace, String network) {
        awaitLoaded();
        synchronized (this) {
            Holdings holdings = networks.get(key(namespace, network));
            if (holdings == null) {
                return List.of();
            }
            List<AddressOwner> own = new ArrayList<>(holdings.byOwner.size());
            holdings.byOwner.keySet().forEach(holder -> {
                if (holder.namespace().equals(namespace)) {
                    own.add(holder.owner());
                }
            });
            return own;
        }
    }

    /** Everything held on the network {@code namespace/name}, by address, with each holder's namespace. */
    public Map<IpAddress, Holder> holders(String namespace, String name) {
        awaitLoaded();
        synchronized (this) {
            Holdings holdings = networks.get(new NetworkReference(namespace, name).toString());
            return holdings == null ? Map.of() : new TreeMap<>(holdings.byAddress);
        }
    }

    /** Candidates the searches of {@link #allocate} have looked at so far. */
    synchronized long candidatesExamined() {
        return examined;
    }

    /** Addresses in use per network ({@code namespace/name}), for the addresses-in-use gauge. */
    public synchronized Map<String, Integer> usageByNetwork() {
        Map<String, Integer> usage = new TreeMap<>();
        networks.forEach((k, h) -> usage.put(k, h.byAddress.size()));
        return usage;
    }

    /** Addresses handed out since this ledger was made (not counting ones rebuilt from the cluster). */
    public long allocationsMade() {
        return allocationsMade.get();
    }

    /**
     * The network's own {@code namespace/name}, from the way {@code namespace} records it. A name that is no network (read
     * from an annotation someone wrote by hand) is kept as it is: nothing is ever recorded under it, so it finds nothing.
     */
    private static String key(String namespace, String network) {
        try {
            return NetworkReference.parse(network, namespace).toString();
        } catch (IllegalArgumentException e) {
            return namespace + "/" + network;
        }
    }
}

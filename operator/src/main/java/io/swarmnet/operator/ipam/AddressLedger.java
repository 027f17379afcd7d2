package io.swarmnet.operator.ipam;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.api.contract.NetworkReference;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.VirtualIP;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every address handed out on every network, for the whole operator process. Thread-safe; never
 * hands one address out twice.
 *
 * <p>Each address has an {@link AddressOwner}: a task, a service's virtual IPs, or a pod that is no
 * task but joined an attachable network. The ledger is the in-memory index of what
 * the cluster already records (pod annotations and service statuses); it is rebuilt from there on
 * start, so a restart never re-numbers anything.
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
    }

    /** By network, {@code namespace/name} of the network itself. */
    private final Map<String, Holdings> networks = new HashMap<>();
    private final AtomicLong allocationsMade = new AtomicLong();

    private AddressLedger() {
    }

    public static AddressLedger empty() {
        return new AddressLedger();
    }

    /**
     * Rebuilds from the cluster: task pods' {@code swarmnet.io/addresses} annotations (owner
     * {@code task:<podName>}), those of pods on attachable networks (owner {@code pod:<podName>}) and SwarmService {@code status.virtualIPs} (owner
     * {@code vip:<serviceName>}). Called once at start, before any reconcile.
     */
    public static AddressLedger fromCluster(KubernetesClient client) {
        AddressLedger ledger = new AddressLedger();
        int tasks = 0;
        List<Pod> pods = new ArrayList<>(KubernetesClients.listInPages(client.pods().inAnyNamespace().withLabel(SwarmnetKeys.LABEL_SERVICE)::list));
        pods.addAll(KubernetesClients.listInPages(client.pods().inAnyNamespace().withLabel(SwarmnetKeys.LABEL_ATTACHED_POD)::list));
        for (Pod pod : pods) {
            var annotations = pod.getMetadata().getAnnotations();
            String raw = annotations == null ? null : annotations.get(SwarmnetKeys.ANNOTATION_ADDRESSES);
            if (raw == null) {
                continue;
            }
            TaskAddresses addresses;
            try {
                addresses = TaskAddresses.parse(raw);
            } catch (IllegalArgumentException e) {
                LOG.warn("pod {}/{}: ignoring unreadable {} annotation: {}", pod.getMetadata().getNamespace(),
                        pod.getMetadata().getName(), SwarmnetKeys.ANNOTATION_ADDRESSES, e.getMessage());
                continue;
            }
            boolean task = pod.getMetadata().getLabels().containsKey(SwarmnetKeys.LABEL_SERVICE);
            AddressOwner owner = task ? AddressOwner.task(pod.getMetadata().getName())
                    : AddressOwner.attachedPod(pod.getMetadata().getName());
            for (var entry : addresses.byNetwork().entrySet()) {
                if (ledger.recordFromCluster("pod " + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(),
                        pod.getMetadata().getNamespace(), entry.getKey(), owner, entry.getValue())) {
                    tasks++;
                }
            }
        }
        int vips = 0;
        for (SwarmService service : KubernetesClients.listInPages(client.resources(SwarmService.class).inAnyNamespace()::list)) {
            if (service.getStatus() == null || service.getStatus().getVirtualIPs() == null) {
                continue;
            }
            for (VirtualIP vip : service.getStatus().getVirtualIPs()) {
                if (vip.getNetwork() == null || !IpAddress.isValid(vip.getAddress())) {
                    continue;
                }
                if (ledger.recordFromCluster("SwarmService " + service.getMetadata().getNamespace() + "/"
                        + service.getMetadata().getName(), service.getMetadata().getNamespace(), vip.getNetwork(),
                        AddressOwner.virtualIps(service.getMetadata().getName()), IpAddress.parse(vip.getAddress()))) {
                    vips++;
                }
            }
        }
        LOG.info("address ledger rebuilt from the cluster: {} task addresses, {} virtual IPs", tasks, vips);
        return ledger;
    }

    private boolean recordFromCluster(String what, String namespace, String network, AddressOwner owner, IpAddress address) {
        try {
            record(namespace, network, owner, address);
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
    public synchronized void record(String namespace, String network, AddressOwner owner, IpAddress address) {
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
            holdings.byAddress.remove(previous);
        }
        holdings.byAddress.put(address, holder);
    }

    /**
     * Idempotent: an owner that already holds an address on the network gets the same one back.
     * Never the network address, broadcast, or gateway; only inside range.
     *
     * @param network the network as seen from the owner's namespace ({@link AllocatableNetwork#namespace()})
     */
    public synchronized IpAddress allocate(AllocatableNetwork network, AddressOwner owner) throws AddressPoolExhaustedException {
        Holder holder = new Holder(network.namespace(), owner);
        Holdings holdings = networks.computeIfAbsent(key(network.namespace(), network.name()), k -> new Holdings());
        IpAddress held = holdings.byOwner.get(holder);
        if (held != null && network.isAssignable(held)) {
            return held;
        }
        long first = network.range().first().value();
        long size = network.range().size();
        long start = holdings.cursor >= first && holdings.cursor < first + size ? holdings.cursor - first : 0;
        for (long i = 0; i < size; i++) {
            IpAddress candidate = new IpAddress(first + (start + i) % size);
            if (network.isAssignable(candidate) && !holdings.byAddress.containsKey(candidate)) {
                if (held != null) {
                    // the owner's old address no longer fits the network (its range changed): move it
                    holdings.byAddress.remove(held);
                }
                holdings.byOwner.put(holder, candidate);
                holdings.byAddress.put(candidate, holder);
                holdings.cursor = candidate.value() + 1;
                allocationsMade.incrementAndGet();
                return candidate;
            }
        }
        throw new AddressPoolExhaustedException(network, holdings.byOwner.size());
    }

    /** Gives back what {@code owner} of {@code namespace} holds on the network (as that namespace records it), if anything. */
    public synchronized void release(String namespace, String network, AddressOwner owner) {
        Holdings holdings = networks.get(key(namespace, network));
        if (holdings == null) {
            return;
        }
        Holder holder = new Holder(namespace, owner);
        IpAddress address = holdings.byOwner.remove(holder);
        if (address != null && holder.equals(holdings.byAddress.get(address))) {
            holdings.byAddress.remove(address);
        }
    }

    public synchronized Optional<IpAddress> addressOf(String namespace, String network, AddressOwner owner) {
        Holdings holdings = networks.get(key(namespace, network));
        return holdings == null ? Optional.empty() : Optional.ofNullable(holdings.byOwner.get(new Holder(namespace, owner)));
    }

    /** Addresses held on the network by tasks, pods and virtual IPs of every namespace (the gateway is not counted). */
    public synchronized int inUse(String namespace, String network) {
        Holdings holdings = networks.get(key(namespace, network));
        return holdings == null ? 0 : holdings.byAddress.size();
    }

    /**
     * What the owners of {@code namespace} hold on the network (as that namespace records it), by address; owners of other
     * namespaces sharing the network are left out, so a caller that checks whether owners still exist looks only in its own
     * namespace. For sweeps, metrics and tests.
     */
    public synchronized Map<IpAddress, AddressOwner> holdings(String namespace, String network) {
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

    /** Everything held on the network {@code namespace/name}, by address, with each holder's namespace. */
    public synchronized Map<IpAddress, Holder> holders(String namespace, String name) {
        Holdings holdings = networks.get(new NetworkReference(namespace, name).toString());
        return holdings == null ? Map.of() : new TreeMap<>(holdings.byAddress);
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

package io.swarmnet.operator.ipam;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
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
 * <p>Addresses are handed out "next fit" from a per-network cursor rather than lowest-free, so a
 * freshly released address is not reused at once while clients may still cache it in DNS.
 */
public final class AddressLedger {

    private static final Logger LOG = LoggerFactory.getLogger(AddressLedger.class);

    /** Holdings of one network. */
    private static final class Holdings {
        final Map<AddressOwner, IpAddress> byOwner = new HashMap<>();
        final Map<IpAddress, AddressOwner> byAddress = new HashMap<>();
        /** Where the next search starts: one past the last address handed out. */
        long cursor = -1;
    }

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
        List<Pod> pods = new ArrayList<>(client.pods().inAnyNamespace().withLabel(SwarmnetKeys.LABEL_SERVICE).list().getItems());
        pods.addAll(client.pods().inAnyNamespace().withLabel(SwarmnetKeys.LABEL_ATTACHED_POD).list().getItems());
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
                ledger.record(pod.getMetadata().getNamespace(), entry.getKey(), owner, entry.getValue());
                tasks++;
            }
        }
        int vips = 0;
        for (SwarmService service : client.resources(SwarmService.class).inAnyNamespace().list().getItems()) {
            if (service.getStatus() == null || service.getStatus().getVirtualIPs() == null) {
                continue;
            }
            for (VirtualIP vip : service.getStatus().getVirtualIPs()) {
                if (vip.getNetwork() == null || !IpAddress.isValid(vip.getAddress())) {
                    continue;
                }
                ledger.record(service.getMetadata().getNamespace(), vip.getNetwork(),
                        AddressOwner.virtualIps(service.getMetadata().getName()), IpAddress.parse(vip.getAddress()));
                vips++;
            }
        }
        LOG.info("address ledger rebuilt from the cluster: {} task addresses, {} virtual IPs", tasks, vips);
        return ledger;
    }

    /**
     * Records an address that the cluster says is held. If two owners claim one address (which
     * only a corrupted cluster state can produce) the first keeps it and the second is logged:
     * the address stays held either way, so it is never handed out a third time.
     */
    public synchronized void record(String namespace, String network, AddressOwner owner, IpAddress address) {
        Holdings holdings = networks.computeIfAbsent(key(namespace, network), k -> new Holdings());
        AddressOwner holder = holdings.byAddress.get(address);
        if (holder != null && !holder.equals(owner)) {
            LOG.warn("network {}/{}: address {} is claimed by both {} and {}; keeping it for {}",
                    namespace, network, address, holder, owner, holder);
            return;
        }
        IpAddress previous = holdings.byOwner.put(owner, address);
        if (previous != null && !previous.equals(address)) {
            holdings.byAddress.remove(previous);
        }
        holdings.byAddress.put(address, owner);
    }

    /**
     * Idempotent: an owner that already holds an address on the network gets the same one back.
     * Never the network address, broadcast, or gateway; only inside range.
     */
    public synchronized IpAddress allocate(AllocatableNetwork network, AddressOwner owner) throws AddressPoolExhaustedException {
        Holdings holdings = networks.computeIfAbsent(key(network.namespace(), network.name()), k -> new Holdings());
        IpAddress held = holdings.byOwner.get(owner);
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
                holdings.byOwner.put(owner, candidate);
                holdings.byAddress.put(candidate, owner);
                holdings.cursor = candidate.value() + 1;
                allocationsMade.incrementAndGet();
                return candidate;
            }
        }
        throw new AddressPoolExhaustedException(network, holdings.byOwner.size());
    }

    public synchronized void release(String namespace, String network, AddressOwner owner) {
        Holdings holdings = networks.get(key(namespace, network));
        if (holdings == null) {
            return;
        }
        IpAddress address = holdings.byOwner.remove(owner);
        if (address != null && owner.equals(holdings.byAddress.get(address))) {
            holdings.byAddress.remove(address);
        }
    }

    public synchronized Optional<IpAddress> addressOf(String namespace, String network, AddressOwner owner) {
        Holdings holdings = networks.get(key(namespace, network));
        return holdings == null ? Optional.empty() : Optional.ofNullable(holdings.byOwner.get(owner));
    }

    /** Addresses held by tasks and virtual IPs on the network (the gateway is not counted). */
    public synchronized int inUse(String namespace, String network) {
        Holdings holdings = networks.get(key(namespace, network));
        return holdings == null ? 0 : holdings.byAddress.size();
    }

    /** Everything held on one network, by address: for metrics and tests. */
    public synchronized Map<IpAddress, AddressOwner> holdings(String namespace, String network) {
        Holdings holdings = networks.get(key(namespace, network));
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

    private static String key(String namespace, String network) {
        return namespace + "/" + network;
    }
}

package io.swarmnet.operator.ipam;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every network's subnet and VXLAN id, for the whole operator process. Decisions are serialized
 * here: reconciles of different networks run in parallel, and two of them must never both take the
 * same free subnet or id before either has written its status.
 *
 * <p>The truth is each network's status; this is its index, rebuilt from the cluster on start, and
 * a decision is recorded here before the status is written so that a concurrent decision sees it.
 */
public final class NetworkAllocations {

    private static final Logger LOG = LoggerFactory.getLogger(NetworkAllocations.class);

    private final NetworkPlanner planner;
    private final Map<String, NetworkAllocation> byNetwork = new LinkedHashMap<>();

    public NetworkAllocations(NetworkPlanner planner) {
        this.planner = planner;
    }

    /**
     * Rebuilds from the networks' statuses, oldest first, so that if the cluster ever held two
     * overlapping allocations the older network keeps its own.
     */
    public static NetworkAllocations fromNetworks(NetworkPlanner planner, Collection<OverlayNetwork> networks) {
        NetworkAllocations allocations = new NetworkAllocations(planner);
        List<OverlayNetwork> ordered = new ArrayList<>(networks);
        ordered.sort(OverlayNetwork.OLDEST_FIRST);
        for (OverlayNetwork network : ordered) {
            fromStatus(network).ifPresent(allocation -> {
                synchronized (allocations) {
                    boolean clash = allocations.byNetwork.values().stream().anyMatch(other ->
                            other.subnet().overlaps(allocation.subnet()) || other.vni().equals(allocation.vni()));
                    if (clash) {
                        LOG.warn("OverlayNetwork {}: status allocation {} / VNI {} collides with an older network; it will be re-checked",
                                allocation.key(), allocation.subnet(), allocation.vni());
                    } else {
                        allocations.byNetwork.put(allocation.key(), allocation);
                    }
                }
            });
        }
        return allocations;
    }

    /** The allocation a network's status records, if it has a complete one. */
    public static Optional<NetworkAllocation> fromStatus(OverlayNetwork network) {
        OverlayNetworkStatus status = network.getStatus();
        if (status == null || status.getSubnet() == null || status.getGateway() == null || status.getVxlanId() == null) {
            return Optional.empty();
        }
        try {
            Cidr subnet = Cidr.parse(status.getSubnet());
            Cidr range = status.getIpRange() == null ? subnet : Cidr.parse(status.getIpRange());
            return Optional.of(new NetworkAllocation(network.getMetadata().getNamespace(), network.getMetadata().getName(), subnet,
                    IpAddress.parse(status.getGateway()), range, new Vni(status.getVxlanId())));
        } catch (IllegalArgumentException e) {
            LOG.warn("OverlayNetwork {}/{}: unreadable allocation in status ignored: {}", network.getMetadata().getNamespace(),
                    network.getMetadata().getName(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Decides the network's allocation (keeping the one it holds) and records it before returning.
     *
     * @param clusterRanges ranges learnt from the cluster to stay out of ({@link ClusterRanges#learnt()})
     */
    public synchronized NetworkDecision decide(NetworkRequest request, Collection<ClusterRange> clusterRanges) {
        NetworkAllocation held = byNetwork.get(request.key());
        List<SubnetAllocator.TakenSubnet> subnets = new ArrayList<>();
        Map<Vni, String> vnis = new HashMap<>();
        byNetwork.forEach((key, allocation) -> {
            if (!key.equals(request.key())) {
                subnets.add(new SubnetAllocator.TakenSubnet(key, allocation.subnet()));
                vnis.put(allocation.vni(), key);
            }
        });
        NetworkDecision decision = planner.plan(request, held, subnets, vnis, clusterRanges);
        if (decision instanceof NetworkDecision.Allocated allocated) {
            byNetwork.put(request.key(), allocated.allocation());
        }
        return decision;
    }

    /** Forgets a network that is gone, so its subnet and id can be used again. */
    public synchronized void release(String namespace, String name) {
        byNetwork.remove(namespace + "/" + name);
    }

    /**
     * Forgets every network for which {@code stillExists} (asked with {@code namespace/name}) says
     * no: ones deleted without our cleanup. The question is asked here, under the lock, rather than
     * answered from a snapshot taken before: a network decided by another thread after such a
     * snapshot would otherwise be forgotten and its subnet handed out twice.
     */
    public synchronized void retainOnly(Predicate<String> stillExists) {
        byNetwork.keySet().removeIf(key -> {
            boolean gone = !stillExists.test(key);
            if (gone) {
                LOG.info("OverlayNetwork {} no longer exists; its subnet and VXLAN id are free again", key);
            }
            return gone;
        });
    }

    public synchronized Optional<NetworkAllocation> of(String namespace, String name) {
        return Optional.ofNullable(byNetwork.get(namespace + "/" + name));
    }

    public synchronized List<NetworkAllocation> all() {
        return List.copyOf(byNetwork.values());
    }
}

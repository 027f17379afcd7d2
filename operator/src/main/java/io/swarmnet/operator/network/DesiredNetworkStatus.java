package io.swarmnet.operator.network;

import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkStatus;
import io.swarmnet.operator.Conditions;
import io.swarmnet.operator.ipam.ClusterRanges;
import io.swarmnet.operator.ipam.NetworkAllocation;
import io.swarmnet.operator.ipam.NetworkDecision;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Computes an OverlayNetwork's status from the allocation decision and what the cluster shows. Pure. */
public final class DesiredNetworkStatus {

    public static final String CONDITION_READY = "Ready";
    public static final String CONDITION_DEGRADED = "Degraded";
    public static final String CONDITION_TERMINATING = "Terminating";
    public static final String REASON_ALLOCATED = "Allocated";
    public static final String REASON_NEARLY_EXHAUSTED = "AddressPoolNearlyExhausted";
    public static final String REASON_EXHAUSTED = "AddressPoolExhausted";
    public static final String REASON_ADDRESSES_AVAILABLE = "AddressesAvailable";
    public static final String REASON_FAILED_ON_NODES = "FailedOnNodes";
    public static final String REASON_IN_USE = "NetworkInUse";
    public static final String CONDITION_OUTSIDE_CLUSTER_RANGES = "OutsideClusterRanges";
    public static final String REASON_OVERLAPS_CLUSTER_RANGE = "OverlapsClusterRange";
    public static final String REASON_CLUSTER_RANGES_KNOWN = "ClusterRangesKnown";

    private DesiredNetworkStatus() {
    }

    /**
     * What the network looks like to IPAM users and the nodes right now.
     *
     * @param clusterRanges the ranges of the cluster itself the network must stay out of, and which of them are unknown
     * @param shared        the {@code Shared} condition ({@link SharingStatus}), empty for a network that is not shared
     */
    public record Observed(List<String> attachedServices, NodeReports nodes, int addressesInUse, int warningPercent,
                           ClusterRanges clusterRanges, Optional<Conditions.Desired> shared) {

        /** A network neither shared nor used from another namespace: no {@code Shared} condition. */
        public Observed(List<String> attachedServices, NodeReports nodes, int addressesInUse, int warningPercent,
                        ClusterRanges clusterRanges) {
            this(attachedServices, nodes, addressesInUse, warningPercent, clusterRanges, Optional.empty());
        }
    }

    public static OverlayNetworkStatus of(OverlayNetwork network, NetworkDecision decision, Observed observed, Instant now) {
        OverlayNetworkStatus old = network.getStatus() == null ? new OverlayNetworkStatus() : network.getStatus();
        OverlayNetworkStatus status = new OverlayNetworkStatus();
        long generation = network.getMetadata().getGeneration() == null ? 0 : network.getMetadata().getGeneration();
        List<Conditions.Desired> desired = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        removed.add(CONDITION_TERMINATING);

        NetworkAllocation allocation = null;
        if (decision instanceof NetworkDecision.Allocated a) {
            allocation = a.allocation();
            desired.add(new Conditions.Desired(CONDITION_READY, Conditions.TRUE, REASON_ALLOCATED,
                    "subnet " + allocation.subnet() + ", gateway " + allocation.gateway() + ", VXLAN id " + allocation.vni()
                            + (allocation.range().equals(allocation.subnet()) ? "" : ", addresses from " + allocation.range())));
        } else {
            NetworkDecision.Rejected r = (NetworkDecision.Rejected) decision;
            allocation = r.held();
            desired.add(new Conditions.Desired(CONDITION_READY, Conditions.FALSE, r.reason(), r.message()));
        }
        if (allocation != null) {
            status.setSubnet(allocation.subnet().toString());
            status.setGateway(allocation.gateway().toString());
            status.setVxlanId(allocation.vni().value());
            status.setIpRange(allocation.range().toString());
            long capacity = allocation.allocatable().capacity();
            int used = observed.addressesInUse();
            long percent = capacity == 0 ? 100 : used * 100L / capacity;
            status.setAddressUsage(used + "/" + capacity + " (" + percent + "%)");
            desired.add(degraded(allocation, used, capacity, percent, observed.warningPercent(), observed.nodes()));
        } else {
            removed.add(CONDITION_DEGRADED);
        }
        boolean encrypted = network.getSpec() != null && network.getSpec().isEncrypted();
        desired.add(observed.nodes().encryptedCondition(encrypted));
        desired.add(outsideClusterRanges(allocation, observed.clusterRanges()));
        observed.shared().ifPresentOrElse(desired::add, () -> removed.add(SharingStatus.CONDITION_SHARED));

        status.setNodes(new ArrayList<>(observed.nodes().nodes()));
        status.setNodeCount(observed.nodes().nodes().size());
        status.setAttachedServices(new ArrayList<>(observed.attachedServices()));
        status.setObservedGeneration(generation);
        status.setConditions(Conditions.merge(old.getConditions(), desired, removed, generation, now));
        return status;
    }

    private static Conditions.Desired degraded(NetworkAllocation allocation, int used, long capacity, long percent, int warningPercent,
                                               NodeReports nodes) {
        String usage = used + " of the " + capacity + " assignable addresses of " + allocation.range() + " are held by tasks and virtual IPs ("
                + percent + "%)";
        List<String> failures = nodes.failures();
        if (!failures.isEmpty()) {
            // a node's agent names the cause and the way out (e.g. a foreign VXLAN device holding the id); users read it here
            return new Conditions.Desired(CONDITION_DEGRADED, Conditions.TRUE, REASON_FAILED_ON_NODES, "the network fails on "
                    + failures.size() + " of the " + nodes.nodes().size() + " nodes carrying it: " + String.join("; ", failures)
                    + ". " + usage);
        }
        if (used >= capacity) {
            return new Conditions.Desired(CONDITION_DEGRADED, Conditions.TRUE, REASON_EXHAUSTED, usage
                    + "; new tasks cannot get an address. Create a network with a larger spec.subnet or spec.ipRange and move services to it");
        }
        if (used * 100L >= (long) warningPercent * capacity) {
            return new Conditions.Desired(CONDITION_DEGRADED, Conditions.TRUE, REASON_NEARLY_EXHAUSTED, usage
                    + ", at or above the " + warningPercent + "% warning level; before scaling further, create a network with a larger "
                    + "spec.subnet or spec.ipRange");
        }
        return new Conditions.Desired(CONDITION_DEGRADED, Conditions.FALSE, REASON_ADDRESSES_AVAILABLE, usage);
    }

    /**
     * Whether the network keeps out of the cluster's own ranges. A subnet allocated before a range
     * appeared (a new Calico pool, a wider Service CIDR) may overlap it: task pods would then send
     * traffic for those addresses into the overlay. Where a range cannot be known, that is said here.
     */
    private static Conditions.Desired outsideClusterRanges(NetworkAllocation allocation, ClusterRanges ranges) {
        if (allocation != null) {
            var overlap = ranges.overlapping(allocation.subnet());
            if (overlap.isPresent()) {
                return new Conditions.Desired(CONDITION_OUTSIDE_CLUSTER_RANGES, Conditions.FALSE, REASON_OVERLAPS_CLUSTER_RANGE, "subnet "
                        + allocation.subnet() + " overlaps " + overlap.get().cidr() + " from " + overlap.get().source() + ": task pods send "
                        + "traffic for those addresses into the overlay instead of the cluster network. Create a network with another "
                        + "subnet (or none, to have a free one picked) and move services to it");
            }
        }
        if (!ranges.unknown().isEmpty()) {
            List<String> messages = ranges.unknown().stream().map(ClusterRanges.Unknown::message).toList();
            return new Conditions.Desired(CONDITION_OUTSIDE_CLUSTER_RANGES, Conditions.UNKNOWN, ranges.unknown().get(0).reason(),
                    String.join(". ", messages));
        }
        return new Conditions.Desired(CONDITION_OUTSIDE_CLUSTER_RANGES, Conditions.TRUE, REASON_CLUSTER_RANGES_KNOWN,
                (allocation == null ? "" : "subnet " + allocation.subnet() + " ") + "overlaps none of the cluster's ranges: "
                        + ranges.summary());
    }

    /** The status while deletion waits for services that still use the network. */
    public static OverlayNetworkStatus terminating(OverlayNetwork network, List<String> holders, Instant now) {
        OverlayNetworkStatus old = network.getStatus() == null ? new OverlayNetworkStatus() : network.getStatus();
        OverlayNetworkStatus status = copy(old);
        long generation = network.getMetadata().getGeneration() == null ? 0 : network.getMetadata().getGeneration();
        status.setAttachedServices(new ArrayList<>(holders));
        status.setConditions(Conditions.merge(old.getConditions(), List.of(new Conditions.Desired(CONDITION_TERMINATING, Conditions.TRUE,
                REASON_IN_USE, "deletion waits: SwarmServices " + String.join(", ", holders) + " still attach to the network; delete them "
                        + "or remove the network from their spec.networks, and the network goes away")), List.of(), generation, now));
        return status;
    }

    private static OverlayNetworkStatus copy(OverlayNetworkStatus s) {
        OverlayNetworkStatus c = new OverlayNetworkStatus();
        c.setSubnet(s.getSubnet());
        c.setGateway(s.getGateway());
        c.setVxlanId(s.getVxlanId());
        c.setIpRange(s.getIpRange());
        c.setNodes(s.getNodes());
        c.setNodeCount(s.getNodeCount());
        c.setAttachedServices(s.getAttachedServices());
        c.setAddressUsage(s.getAddressUsage());
        c.setConditions(s.getConditions());
        c.setObservedGeneration(s.getObservedGeneration());
        return c;
    }
}

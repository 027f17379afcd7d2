package io.swarmnet.operator.ipam;

import static io.swarmnet.operator.OperatorConfig.ENV_VXLAN_ID_RANGE;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * Decides one network's subnet, gateway, range and VXLAN id from its spec and what every other
 * network holds. Checks what the CRD schema cannot (overlaps, uniqueness) and, because a mock or an
 * old API server may not enforce the schema, what it can too. Pure.
 */
public final class NetworkPlanner {

    public static final String REASON_INVALID_SUBNET = "InvalidSubnet";
    public static final String REASON_INVALID_GATEWAY = "InvalidGateway";
    public static final String REASON_INVALID_IP_RANGE = "InvalidIpRange";
    public static final String REASON_INVALID_VXLAN_ID = "InvalidVxlanId";
    public static final String REASON_SUBNET_OVERLAP = "SubnetOverlap";
    public static final String REASON_SUBNET_EXCLUDED = "SubnetExcluded";
    public static final String REASON_POOL_EXHAUSTED = "PoolExhausted";
    public static final String REASON_VXLAN_ID_IN_USE = "VxlanIdInUse";
    public static final String REASON_VXLAN_IDS_EXHAUSTED = "VxlanIdsExhausted";
    public static final String REASON_IMMUTABLE_FIELD = "ImmutableFieldChanged";

    /** The smallest network: network address, gateway, a VIP, a few tasks, broadcast. */
    public static final int LONGEST_PREFIX = 29;

    private final SubnetAllocator subnets;
    private final VniRange automaticVnis;

    /** @param automaticVnis where ids for networks without spec.vxlanId come from */
    public NetworkPlanner(SubnetAllocator subnets, VniRange automaticVnis) {
        this.subnets = subnets;
        this.automaticVnis = automaticVnis;
    }

    /**
     * @param request        the network's spec
     * @param held           what the network already holds (from its status), or null
     * @param otherSubnets   every other network's subnet
     * @param otherVnis      every other network's VXLAN id
     * @param clusterRanges  ranges learnt from the cluster to stay out of ({@link ClusterRanges#learnt()})
     */
    public NetworkDecision plan(NetworkRequest request, NetworkAllocation held, Collection<SubnetAllocator.TakenSubnet> otherSubnets,
                                Map<Vni, String> otherVnis, Collection<ClusterRange> clusterRanges) {
        String who = "OverlayNetwork " + request.key();
        Cidr subnet = null;
        if (request.subnet() != null) {
            try {
                subnet = Cidr.parse(request.subnet());
            } catch (IllegalArgumentException e) {
                return new NetworkDecision.Rejected(REASON_INVALID_SUBNET, who + ": spec.subnet '" + request.subnet() + "' is not valid: "
                        + e.getMessage() + "; write it as a.b.c.d/n with host bits zero, e.g. 10.0.9.0/24", held);
            }
            if (subnet.prefixLength() > LONGEST_PREFIX) {
                return new NetworkDecision.Rejected(REASON_INVALID_SUBNET, who + ": spec.subnet " + subnet + " is too small; a network needs "
                        + "at least a /" + LONGEST_PREFIX + " (gateway, a virtual IP and task addresses)", held);
            }
        }
        IpAddress gateway = null;
        if (request.gateway() != null) {
            if (subnet == null) {
                return new NetworkDecision.Rejected(REASON_INVALID_GATEWAY, who + ": spec.gateway " + request.gateway()
                        + " is set without spec.subnet; set spec.subnet too, or leave spec.gateway out", held);
            }
            try {
                gateway = IpAddress.parse(request.gateway());
            } catch (IllegalArgumentException e) {
                return new NetworkDecision.Rejected(REASON_INVALID_GATEWAY, who + ": spec.gateway: " + e.getMessage(), held);
            }
            if (!subnet.contains(gateway) || gateway.equals(subnet.first()) || gateway.equals(subnet.broadcast())) {
                return new NetworkDecision.Rejected(REASON_INVALID_GATEWAY, who + ": spec.gateway " + gateway + " is not a usable address of "
                        + "spec.subnet " + subnet + "; pick one between " + subnet.first().plus(1) + " and " + subnet.broadcast().plus(-1)
                        + " or leave spec.gateway out", held);
            }
        }
        Cidr range = null;
        if (request.ipRange() != null) {
            if (subnet == null) {
                return new NetworkDecision.Rejected(REASON_INVALID_IP_RANGE, who + ": spec.ipRange " + request.ipRange()
                        + " is set without spec.subnet; set spec.subnet too, or leave spec.ipRange out", held);
            }
            try {
                range = Cidr.parse(request.ipRange());
            } catch (IllegalArgumentException e) {
                return new NetworkDecision.Rejected(REASON_INVALID_IP_RANGE, who + ": spec.ipRange '" + request.ipRange() + "' is not valid: "
                        + e.getMessage(), held);
            }
            if (!subnet.contains(range)) {
                return new NetworkDecision.Rejected(REASON_INVALID_IP_RANGE, who + ": spec.ipRange " + range + " is not inside spec.subnet "
                        + subnet + "; choose a range inside the subnet or leave spec.ipRange out", held);
            }
        }
        if (request.vxlanId() != null && (request.vxlanId() < Vni.MIN || request.vxlanId() > Vni.MAX)) {
            return new NetworkDecision.Rejected(REASON_INVALID_VXLAN_ID, who + ": spec.vxlanId " + request.vxlanId() + " is outside "
                    + Vni.MIN + ".." + Vni.MAX + "; choose another or leave it out to have one assigned " + automaticRange(), held);
        }

        if (held != null) {
            return keep(request, held, subnet, gateway, range, who);
        }

        if (subnet != null) {
            Optional<SubnetAllocator.Collision> collision = subnets.check(subnet, otherSubnets, clusterRanges);
            if (collision.isPresent()) {
                return rejectCollision(who, subnet, collision.get());
            }
        } else {
            Optional<Cidr> picked = subnets.next(otherSubnets, clusterRanges);
            if (picked.isEmpty()) {
                return new NetworkDecision.Rejected(REASON_POOL_EXHAUSTED, who + ": no free /" + subnets.subnetSize() + " subnet is left in the "
                        + "address pools " + subnets.pools() + " (" + otherSubnets.size() + " networks hold subnets; excluded ranges "
                        + subnets.excluded() + " and " + clusterRanges.size() + " learnt from the cluster); add a pool to "
                        + "SWARMNET_ADDRESS_POOLS, delete unused networks, or give spec.subnet", null);
            }
            subnet = picked.get();
        }

        Vni vni;
        if (request.vxlanId() != null) {
            vni = new Vni(request.vxlanId());
            Optional<String> holder = VniAllocator.holder(vni, otherVnis);
            if (holder.isPresent()) {
                return new NetworkDecision.Rejected(REASON_VXLAN_ID_IN_USE, who + ": spec.vxlanId " + vni + " is already used by OverlayNetwork "
                        + holder.get() + "; choose another id or leave spec.vxlanId out to have a free one assigned " + automaticRange(), null);
            }
        } else {
            Optional<Vni> next = VniAllocator.next(automaticVnis, otherVnis);
            if (next.isEmpty()) {
                return new NetworkDecision.Rejected(REASON_VXLAN_IDS_EXHAUSTED, who + ": every VXLAN id of the automatic range "
                        + automaticVnis + " (" + ENV_VXLAN_ID_RANGE + ") is in use; delete unused networks, widen the range, or give "
                        + "spec.vxlanId", null);
            }
            vni = next.get();
        }
        IpAddress gw = gateway != null ? gateway : subnet.first().plus(1);
        return new NetworkDecision.Allocated(new NetworkAllocation(request.namespace(), request.name(), subnet, gw,
                range != null ? range : subnet, vni), true);
    }

    private String automaticRange() {
        return "from the automatic range " + automaticVnis + " (" + ENV_VXLAN_ID_RANGE + ")";
    }

    /** A network that already holds an allocation keeps it; only ipRange may change. */
    private static NetworkDecision keep(NetworkRequest request, NetworkAllocation held, Cidr subnet, IpAddress gateway, Cidr range,
                                        String who) {
        if (subnet != null && !subnet.equals(held.subnet())) {
            return immutable(who, "spec.subnet", subnet.toString(), held.subnet().toString(), held);
        }
        if (gateway != null && !gateway.equals(held.gateway())) {
            return immutable(who, "spec.gateway", gateway.toString(), held.gateway().toString(), held);
        }
        if (request.vxlanId() != null && request.vxlanId() != held.vni().value()) {
            return immutable(who, "spec.vxlanId", request.vxlanId().toString(), held.vni().toString(), held);
        }
        Cidr newRange = range != null ? range : held.subnet();
        if (!held.subnet().contains(newRange)) {
            return new NetworkDecision.Rejected(REASON_INVALID_IP_RANGE, who + ": spec.ipRange " + newRange + " is not inside the subnet "
                    + held.subnet() + "; choose a range inside it", held);
        }
        NetworkAllocation kept = new NetworkAllocation(held.namespace(), held.name(), held.subnet(), held.gateway(), newRange, held.vni());
        return new NetworkDecision.Allocated(kept, false);
    }

    private static NetworkDecision immutable(String who, String field, String wanted, String held, NetworkAllocation allocation) {
        return new NetworkDecision.Rejected(REASON_IMMUTABLE_FIELD, who + ": " + field + " cannot change from " + held + " to " + wanted
                + " while the network exists (tasks hold addresses in it); set it back to " + held
                + ", or create a new network and move services to it", allocation);
    }

    private static NetworkDecision rejectCollision(String who, Cidr subnet, SubnetAllocator.Collision collision) {
        if (collision instanceof SubnetAllocator.NetworkCollision n) {
            return new NetworkDecision.Rejected(REASON_SUBNET_OVERLAP, who + ": spec.subnet " + subnet + " overlaps subnet " + n.subnet()
                    + " of OverlayNetwork " + n.network() + "; choose a subnet that overlaps no other network, "
                    + "or leave spec.subnet out to have a free one picked from the address pools", null);
        }
        SubnetAllocator.ExcludedCollision e = (SubnetAllocator.ExcludedCollision) collision;
        return new NetworkDecision.Rejected(REASON_SUBNET_EXCLUDED, who + ": spec.subnet " + subnet + " overlaps " + e.range().cidr()
                + " from " + e.range().source() + ", a range of the cluster itself (pod, Service or node addresses) that overlays must "
                + "stay out of, or task pods could not reach those addresses; choose another subnet or leave spec.subnet out", null);
    }
}

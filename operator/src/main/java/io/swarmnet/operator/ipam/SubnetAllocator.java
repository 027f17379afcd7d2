package io.swarmnet.operator.ipam;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Decides subnets: carves automatic ones from the pools (lowest free first, as swarm does) and
 * checks explicit ones, so that no network overlaps another network or an excluded range (the
 * cluster's pod, service and node CIDRs). Pure: the caller passes in what is taken.
 */
public final class SubnetAllocator {

    private final List<Cidr> pools;
    private final int subnetSize;
    private final List<Cidr> excluded;
    private final List<ClusterRange> configured;

    public SubnetAllocator(List<Cidr> pools, int subnetSize, List<Cidr> excluded) {
        this.pools = List.copyOf(pools);
        this.subnetSize = subnetSize;
        this.excluded = List.copyOf(excluded);
        this.configured = ClusterRange.configured(excluded);
        for (Cidr pool : pools) {
            if (pool.prefixLength() > subnetSize) {
                throw new IllegalArgumentException("address pool " + pool + " is smaller than one /" + subnetSize + " subnet");
            }
        }
    }

    /** What an explicit or automatic subnet collides with. */
    public sealed interface Collision permits NetworkCollision, ExcludedCollision {
    }

    /** The subnet overlaps another network's. */
    public record NetworkCollision(String network, Cidr subnet) implements Collision {
    }

    /** The subnet overlaps a range of the cluster itself: configured (SWARMNET_EXCLUDED_CIDRS) or learnt, with its source. */
    public record ExcludedCollision(ClusterRange range) implements Collision {
    }

    /**
     * The lowest free subnet of the configured size in the pools (in their order), or empty when the
     * pools are exhausted.
     *
     * @param taken subnets of every other network, with the network named as {@code namespace/name}
     * @param alsoExcluded further ranges to avoid: those learnt from the cluster ({@link ClusterRanges#learnt()})
     */
    public Optional<Cidr> next(Collection<TakenSubnet> taken, Collection<ClusterRange> alsoExcluded) {
        List<Cidr> blockers = new ArrayList<>(excluded);
        alsoExcluded.forEach(r -> blockers.add(r.cidr()));
        taken.forEach(t -> blockers.add(t.subnet()));
        long[][] busy = merged(blockers);
        long size = 1L << (32 - subnetSize);
        for (Cidr pool : pools) {
            long cursor = pool.first().value();
            long end = pool.last().value();
            int i = 0;
            // The cursor only moves forward and so does i: one pass over the busy intervals per pool.
            while (cursor + size - 1 <= end) {
                while (i < busy.length && busy[i][1] < cursor) {
                    i++;
                }
                if (i == busy.length || busy[i][0] > cursor + size - 1) {
                    return Optional.of(new Cidr(new IpAddress(cursor), subnetSize));
                }
                cursor = alignUp(busy[i][1] + 1, size);
            }
        }
        return Optional.empty();
    }

    /** What an explicit subnet collides with, if anything: other networks first, then excluded ranges. */
    public Optional<Collision> check(Cidr subnet, Collection<TakenSubnet> taken, Collection<ClusterRange> alsoExcluded) {
        Optional<Collision> network = taken.stream()
                .filter(t -> t.subnet().overlaps(subnet))
                .sorted(Comparator.comparing(TakenSubnet::network))
                .<Collision>map(t -> new NetworkCollision(t.network(), t.subnet()))
                .findFirst();
        if (network.isPresent()) {
            return network;
        }
        List<ClusterRange> all = new ArrayList<>(configured);
        all.addAll(alsoExcluded);
        return ClusterRange.firstOverlapped(all, subnet).<Collision>map(ExcludedCollision::new);
    }

    /** A subnet held by a network, named {@code namespace/name}. */
    public record TakenSubnet(String network, Cidr subnet) {
    }

    public List<Cidr> pools() {
        return pools;
    }

    public int subnetSize() {
        return subnetSize;
    }

    public List<Cidr> excluded() {
        return excluded;
    }

    /** The blockers as sorted, disjoint [first, last] address intervals. */
    private static long[][] merged(List<Cidr> blockers) {
        blockers.sort(Comparator.naturalOrder());
        List<long[]> out = new ArrayList<>();
        for (Cidr b : blockers) {
            long first = b.first().value();
            long last = b.last().value();
            if (!out.isEmpty() && first <= out.get(out.size() - 1)[1] + 1) {
                long[] top = out.get(out.size() - 1);
                top[1] = Math.max(top[1], last);
            } else {
                out.add(new long[] {first, last});
            }
        }
        return out.toArray(new long[0][]);
    }

    private static long alignUp(long value, long size) {
        return (value + size - 1) / size * size;
    }
}

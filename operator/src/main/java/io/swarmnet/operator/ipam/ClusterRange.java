package io.swarmnet.operator.ipam;

import io.swarmnet.api.net.Cidr;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A range the cluster itself uses, which no overlay may overlap, with where it was learnt:
 * {@code ServiceCIDR kubernetes}, {@code Calico IPPool default-ipv4-ippool}, {@code Node node-1 podCIDR},
 * {@code SWARMNET_EXCLUDED_CIDRS}. The source goes into every refusal, so a user knows which object to look at.
 */
public record ClusterRange(Cidr cidr, String source) {

    public ClusterRange {
        Objects.requireNonNull(cidr, "cidr");
        Objects.requireNonNull(source, "source");
    }

    /** The ranges the operator is configured to keep out of (SWARMNET_EXCLUDED_CIDRS), named as such. */
    public static List<ClusterRange> configured(List<Cidr> cidrs) {
        return cidrs.stream().map(c -> new ClusterRange(c, ClusterRanges.CONFIGURED)).toList();
    }

    /** The first of {@code ranges}, in their order, that {@code subnet} overlaps, if any. */
    public static Optional<ClusterRange> firstOverlapped(Collection<ClusterRange> ranges, Cidr subnet) {
        return ranges.stream().filter(r -> r.cidr().overlaps(subnet)).findFirst();
    }

    @Override
    public String toString() {
        return cidr + " (" + source + ")";
    }
}

package io.swarmnet.operator.ipam;

import io.swarmnet.api.net.Cidr;
import java.util.Objects;

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

    @Override
    public String toString() {
        return cidr + " (" + source + ")";
    }
}

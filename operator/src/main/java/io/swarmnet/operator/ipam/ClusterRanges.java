package io.swarmnet.operator.ipam;

import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.operator.ipam.ClusterRangeSources.Holds;
import io.swarmnet.operator.ipam.ClusterRangeSources.Seen;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides which ranges of the cluster itself overlays must stay out of, and which of them cannot be
 * known. A range is known when a source names it (a ServiceCIDR, a Calico IPPool, a Node's podCIDR…);
 * an address seen in use (the {@code kubernetes} Service's ClusterIP, a pod's IP) that no known or
 * configured range holds proves a range is missing, and so does finding neither a range nor an
 * address. Nothing is guessed: the size of a range around such an address is not knowable, so the
 * answer then is an {@link Unknown} for the user to settle with SWARMNET_EXCLUDED_CIDRS. Pure.
 *
 * @param configured the ranges the operator is configured to keep out of
 * @param learnt     the ranges learnt from the cluster
 * @param unknown    what could not be known, one entry per kind of range
 */
public record ClusterRanges(List<ClusterRange> configured, List<ClusterRange> learnt, List<Unknown> unknown) {

    public static final String CONFIGURED = "SWARMNET_EXCLUDED_CIDRS";
    public static final String REASON_SERVICE_RANGE_UNKNOWN = "ServiceRangeUnknown";
    public static final String REASON_POD_RANGE_UNKNOWN = "PodRangeUnknown";
    public static final String REASON_SOURCE_UNREADABLE = "ClusterRangeUnreadable";
    /** How many addresses outside every range a message names; the rest are counted. */
    private static final int NAMED_ADDRESSES = 3;

    /** A kind of range that could not be known, as a condition reason and a message saying what to do. */
    public record Unknown(String reason, String message) {
    }

    public ClusterRanges {
        configured = List.copyOf(configured);
        learnt = List.copyOf(learnt);
        unknown = List.copyOf(unknown);
    }

    public static ClusterRanges learn(ClusterRangeSources sources, List<Cidr> configured) {
        List<ClusterRange> fromConfig = ClusterRange.configured(configured);
        List<ClusterRange> learnt = new ArrayList<>();
        Map<Holds, Boolean> found = new LinkedHashMap<>();
        Set<String> unreadable = new LinkedHashSet<>(sources.unreadable());
        for (Seen seen : sources.ranges()) {
            Optional<Cidr> cidr = parse(seen);
            if (cidr.isPresent()) {
                learnt.add(new ClusterRange(cidr.get(), seen.source()));
                found.put(seen.holds(), true);
            } else if (!isIpv6(seen.value())) {
                unreadable.add(seen.source() + ": '" + seen.value() + "' is not an IPv4 CIDR");
            }
        }
        List<ClusterRange> all = new ArrayList<>(fromConfig);
        all.addAll(learnt);

        List<Unknown> unknown = new ArrayList<>();
        unknownRange(Holds.SERVICES, sources, found, all, REASON_SERVICE_RANGE_UNKNOWN,
                "neither a ServiceCIDR object nor a kube-apiserver pod's --service-cluster-ip-range was found",
                "the cluster's Service CIDR (the API server's --service-cluster-ip-range)").ifPresent(unknown::add);
        unknownRange(Holds.PODS, sources, found, all, REASON_POD_RANGE_UNKNOWN,
                "no Node podCIDR, Calico IPPool, Cilium pool or kube-controller-manager --cluster-cidr was found",
                "the cluster's pod CIDR(s)").ifPresent(unknown::add);
        if (!unreadable.isEmpty()) {
            unknown.add(new Unknown(REASON_SOURCE_UNREADABLE, "could not read " + String.join("; ", unreadable)
                    + "; grant the operator read access (the chart's ClusterRole does) or add those ranges to " + CONFIGURED));
        }

        // the kubernetes Service's own address is known for certain even when its range is not
        for (Seen address : sources.addressesInUse()) {
            if (address.holds() == Holds.SERVICES && IpAddress.isValid(address.value())) {
                learnt.add(new ClusterRange(new Cidr(IpAddress.parse(address.value()), 32), address.source()));
            }
        }
        return new ClusterRanges(fromConfig, dedupe(learnt), unknown);
    }

    /**
     * Whether ranges of one kind are unknown: some address of that kind in use lies outside every
     * range, or no range of that kind was found and no address shows the configured ones hold it.
     */
    private static Optional<Unknown> unknownRange(Holds holds, ClusterRangeSources sources, Map<Holds, Boolean> found,
                                                  List<ClusterRange> all, String reason, String noSource, String whatToAdd) {
        List<Seen> inUse = sources.addressesInUse().stream()
                .filter(a -> a.holds() == holds && IpAddress.isValid(a.value())).toList();
        List<Seen> outside = inUse.stream()
                .filter(a -> all.stream().noneMatch(r -> r.cidr().contains(IpAddress.parse(a.value())))).toList();
        String advice = "; automatic subnets avoid only the ranges that are known. Add " + whatToAdd + " to network.excludedCidrs ("
                + CONFIGURED + ")";
        if (!outside.isEmpty()) {
            List<String> named = outside.stream().limit(NAMED_ADDRESSES).map(a -> a.value() + " (" + a.source() + ")").toList();
            String more = outside.size() > NAMED_ADDRESSES ? " and " + (outside.size() - NAMED_ADDRESSES) + " more" : "";
            return Optional.of(new Unknown(reason, "the " + holds.noun() + " range is unknown: " + String.join(", ", named) + more
                    + (outside.size() == 1 ? " lies" : " lie") + " outside every known and excluded range"
                    + (found.containsKey(holds) ? "" : " (" + noSource + ")") + advice));
        }
        if (!found.containsKey(holds) && inUse.isEmpty()) {
            return Optional.of(new Unknown(reason, "the " + holds.noun() + " range is unknown: " + noSource + ", and no "
                    + holds.noun() + " address was seen to check the excluded ranges against" + advice));
        }
        return Optional.empty();
    }

    /** Every range no overlay may overlap: configured first, then learnt. */
    public List<ClusterRange> all() {
        List<ClusterRange> all = new ArrayList<>(configured);
        all.addAll(learnt);
        return all;
    }

    /** The first range the subnet overlaps, if any. */
    public Optional<ClusterRange> overlapping(Cidr subnet) {
        return ClusterRange.firstOverlapped(all(), subnet);
    }

    /**
     * The learnt ranges in a few words: each source with its ranges, Node sources counted rather
     * than listed (a cluster may have thousands).
     */
    public String summary() {
        Map<String, List<String>> bySource = new LinkedHashMap<>();
        int nodePodCidrs = 0;
        int nodeAddresses = 0;
        for (ClusterRange r : learnt) {
            if (r.source().startsWith("Node ")) {
                if (r.source().endsWith(" podCIDR")) {
                    nodePodCidrs++;
                } else {
                    nodeAddresses++;
                }
            } else {
                bySource.computeIfAbsent(r.source(), s -> new ArrayList<>()).add(r.cidr().toString());
            }
        }
        List<String> parts = new ArrayList<>();
        bySource.forEach((source, cidrs) -> parts.add(source + " " + String.join(",", cidrs)));
        if (nodePodCidrs > 0) {
            parts.add(nodePodCidrs + " Node podCIDRs");
        }
        if (nodeAddresses > 0) {
            parts.add(nodeAddresses + " Node addresses");
        }
        if (!configured.isEmpty()) {
            parts.add(CONFIGURED + " " + String.join(",", configured.stream().map(r -> r.cidr().toString()).toList()));
        }
        return parts.isEmpty() ? "no ranges" : String.join("; ", parts);
    }

    private static Optional<Cidr> parse(Seen seen) {
        String value = seen.value().trim();
        if (seen.holds() == Holds.NODES && IpAddress.isValid(value)) {
            return Optional.of(new Cidr(IpAddress.parse(value), 32));
        }
        return Cidr.isValid(value) ? Optional.of(Cidr.parse(value)) : Optional.empty();
    }

    /** Overlays are IPv4; an IPv6 range (dual-stack clusters) cannot collide with them. */
    private static boolean isIpv6(String value) {
        return value.contains(":");
    }

    private static List<ClusterRange> dedupe(List<ClusterRange> ranges) {
        Map<Cidr, ClusterRange> first = new LinkedHashMap<>();
        ranges.forEach(r -> first.putIfAbsent(r.cidr(), r));
        return List.copyOf(first.values());
    }
}

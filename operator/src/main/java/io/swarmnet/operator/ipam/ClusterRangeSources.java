package io.swarmnet.operator.ipam;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * What was read about the cluster's own addresses, as the API gave it (text, parsed later by
 * {@link ClusterRanges}): the ranges found, and single addresses seen in use, which tell whether a
 * range is missing. Immutable; built with {@link #builder()}.
 *
 * @param ranges         every range found, by what it holds
 * @param addressesInUse Service and pod addresses seen in use (the {@code kubernetes} Service's ClusterIP, pod IPs)
 * @param unreadable     sources that exist but could not be read, each with why
 */
public record ClusterRangeSources(List<Seen> ranges, List<Seen> addressesInUse, List<String> unreadable) {

    /** What a range or address belongs to. */
    public enum Holds {
        SERVICES("Service"), PODS("pod"), NODES("Node");

        private final String noun;

        Holds(String noun) {
            this.noun = noun;
        }

        public String noun() {
            return noun;
        }
    }

    /** One value read, with what it holds and where it came from ({@code Node node-1 podCIDR}). */
    public record Seen(Holds holds, String source, String value) {
        public Seen {
            Objects.requireNonNull(holds, "holds");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(value, "value");
        }
    }

    public ClusterRangeSources {
        ranges = List.copyOf(ranges);
        addressesInUse = List.copyOf(addressesInUse);
        unreadable = List.copyOf(unreadable);
    }

    public static ClusterRangeSources none() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** These sources and what the Nodes show: their podCIDR(s) and their InternalIP/ExternalIP addresses. */
    public ClusterRangeSources withNodes(Collection<Node> nodes) {
        Builder b = new Builder(this);
        for (Node node : nodes) {
            String name = node.getMetadata().getName();
            if (node.getSpec() != null) {
                List<String> podCidrs = new ArrayList<>();
                if (node.getSpec().getPodCIDRs() != null) {
                    podCidrs.addAll(node.getSpec().getPodCIDRs());
                }
                if (node.getSpec().getPodCIDR() != null && !podCidrs.contains(node.getSpec().getPodCIDR())) {
                    podCidrs.add(node.getSpec().getPodCIDR());
                }
                podCidrs.forEach(c -> b.range(Holds.PODS, "Node " + name + " podCIDR", c));
            }
            if (node.getStatus() != null && node.getStatus().getAddresses() != null) {
                for (NodeAddress address : node.getStatus().getAddresses()) {
                    if (("InternalIP".equals(address.getType()) || "ExternalIP".equals(address.getType())) && address.getAddress() != null) {
                        b.range(Holds.NODES, "Node " + name + " " + address.getType(), address.getAddress());
                    }
                }
            }
        }
        return b.build();
    }

    /** Collects what one read of the cluster finds. */
    public static final class Builder {
        private final List<Seen> ranges = new ArrayList<>();
        private final List<Seen> addressesInUse = new ArrayList<>();
        private final List<String> unreadable = new ArrayList<>();

        private Builder() {
        }

        private Builder(ClusterRangeSources from) {
            ranges.addAll(from.ranges);
            addressesInUse.addAll(from.addressesInUse);
            unreadable.addAll(from.unreadable);
        }

        /** A range (a.b.c.d/n; for Nodes a plain address) the cluster uses. */
        public Builder range(Holds holds, String source, String value) {
            ranges.add(new Seen(holds, source, value));
            return this;
        }

        /** An address seen in use, which some range must hold. */
        public Builder inUse(Holds holds, String source, String address) {
            addressesInUse.add(new Seen(holds, source, address));
            return this;
        }

        /** A source that exists but could not be read. */
        public Builder unreadable(String source, String why) {
            unreadable.add(source + ": " + why);
            return this;
        }

        public ClusterRangeSources build() {
            return new ClusterRangeSources(ranges, addressesInUse, unreadable);
        }
    }
}

package io.swarmnet.api.network;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.Comparator;

/** A swarm-scoped overlay network, as {@code docker network create --driver overlay}. */
@Group("swarmnet.io")
@Version("v1alpha1")
@Plural("overlaynetworks")
@ShortNames("onet")
@Categories("swarmnet")
@AdditionalPrinterColumn(name = "SUBNET", jsonPath = ".status.subnet", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "VNI", jsonPath = ".status.vxlanId", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "ENCRYPTED", jsonPath = ".spec.encrypted", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "NODES", jsonPath = ".status.nodeCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "READY", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class OverlayNetwork extends CustomResource<OverlayNetworkSpec, OverlayNetworkStatus> implements Namespaced {

    public static final String KIND = "OverlayNetwork";

    /**
     * The order kubectl shows the printer columns in (docs/api.md, "Printer columns"). crd-generator sorts them by JSONPath,
     * so the CRD refresh (api's GeneratedCrdsTest) puts them in this order.
     */
    public static final java.util.List<String> PRINTER_COLUMN_ORDER = java.util.List.of("SUBNET", "VNI", "ENCRYPTED", "NODES", "READY", "AGE");

    /**
     * Oldest first (by creationTimestamp, networks without one last), then by {@code namespace/name}: where two networks
     * hold the same VXLAN id or overlapping subnets, the one earlier in this order keeps them (it is the one already
     * carrying traffic), and the operator and every agent agree on which one that is.
     */
    public static final Comparator<OverlayNetwork> OLDEST_FIRST = Comparator
            .comparing((OverlayNetwork n) -> n.getMetadata().getCreationTimestamp(), Comparator.nullsLast(Comparator.<String>naturalOrder()))
            .thenComparing(n -> n.getMetadata().getNamespace() + "/" + n.getMetadata().getName());

    @Override
    protected OverlayNetworkSpec initSpec() {
        return new OverlayNetworkSpec();
    }
}

package io.swarmnet.api.service;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A swarm service: tasks run as Pods, attached to overlay networks, as {@code docker service create --network}. */
@Group("swarmnet.io")
@Version("v1alpha1")
@Plural("swarmservices")
@ShortNames("ssvc")
@Categories("swarmnet")
@AdditionalPrinterColumn(name = "MODE", jsonPath = ".spec.mode", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "REPLICAS", jsonPath = ".status.tasksReady", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "ENDPOINT", jsonPath = ".spec.endpointMode", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "NETWORKS", jsonPath = ".status.networkNames", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class SwarmService extends CustomResource<SwarmServiceSpec, SwarmServiceStatus> implements Namespaced {

    public static final String KIND = "SwarmService";

    /** The order kubectl shows the printer columns in (docs/api.md, "Printer columns"); see {@code OverlayNetwork.PRINTER_COLUMN_ORDER}. */
    public static final java.util.List<String> PRINTER_COLUMN_ORDER = java.util.List.of("MODE", "REPLICAS", "ENDPOINT", "NETWORKS", "AGE");

    @Override
    protected SwarmServiceSpec initSpec() {
        return new SwarmServiceSpec();
    }
}

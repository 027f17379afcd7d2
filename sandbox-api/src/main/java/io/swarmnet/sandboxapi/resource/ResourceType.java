package io.swarmnet.sandboxapi.resource;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One kind the API serves, with what discovery, tables, scale and admission need to know about it.
 *
 * @param scale          the CRD's scale subresource paths, or null when the kind cannot be scaled
 * @param printerColumns the CRD's additionalPrinterColumns (empty for built-in kinds)
 * @param openApiSchema  the CRD version's openAPIV3Schema, or null for built-in kinds
 * @param crd            the whole CustomResourceDefinition for custom kinds, null for built-ins
 */
public record ResourceType(
        String group,
        String version,
        String plural,
        String singular,
        String kind,
        boolean namespaced,
        List<String> shortNames,
        List<String> categories,
        boolean statusSubresource,
        ScalePaths scale,
        List<PrinterColumn> printerColumns,
        JsonNode openApiSchema,
        JsonNode crd) {

    /** Where a CRD's scale subresource reads and writes replicas, as JSON paths like {@code .spec.replicas}. */
    public record ScalePaths(String specReplicasPath, String statusReplicasPath, String labelSelectorPath) {
    }

    public record PrinterColumn(String name, String type, String format, String description, String jsonPath, int priority) {
    }

    public boolean custom() {
        return crd != null;
    }

    /** {@code v1} or {@code swarmnet.io/v1alpha1}. */
    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    /** The API server's name for the resource in messages: {@code pods}, {@code overlaynetworks.swarmnet.io}. */
    public String qualifiedName() {
        return group.isEmpty() ? plural : plural + "." + group;
    }

    /** Storage identity: versions of one group/resource share their objects. */
    public String groupResource() {
        return plural + "." + group;
    }

    /** The same kind, listed by {@code kubectl get all} (the "all" category). */
    ResourceType inCategoryAll() {
        return new ResourceType(group, version, plural, singular, kind, namespaced, shortNames, List.of("all"),
                statusSubresource, scale, printerColumns, openApiSchema, crd);
    }

    static ResourceType builtIn(String group, String version, String plural, String kind, boolean namespaced,
                                boolean statusSubresource, String... shortNames) {
        return new ResourceType(group, version, plural, kind.toLowerCase(java.util.Locale.ROOT), kind, namespaced,
                List.of(shortNames), List.of(), statusSubresource, null, List.of(), null, null);
    }
}

package io.swarmnet.operator.startup;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.swarmnet.api.SchemaRevision;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the operator needs of one installed CRD: present, of schema revision {@code revision} or
 * newer, serving {@code version}. Decides only; {@link StartupCheck} fetches.
 */
public record CrdRequirement(String name, String version, int revision) {

    /** How to install or refresh the CRDs; {@code helm upgrade} does neither. */
    public static final String APPLY_CRDS = "kubectl apply --server-side --force-conflicts -f <chart>/crds/";

    /** @param installed the CRD as the API server has it, null when it is not installed */
    public Optional<String> problemWith(CustomResourceDefinition installed) {
        String crd = "CustomResourceDefinition " + name;
        if (installed == null) {
            return Optional.of(crd + " is not installed: install the chart's CRDs (" + APPLY_CRDS + "), then restart the operator");
        }
        String refresh = ": apply the CRDs of this chart version (" + APPLY_CRDS + "; helm upgrade does not update CRDs),"
                + " then restart the operator";
        Map<String, String> annotations = installed.getMetadata().getAnnotations();
        String found = annotations == null ? null : annotations.get(SchemaRevision.ANNOTATION);
        if (found == null) {
            return Optional.of(crd + " has no schema revision (annotation " + SchemaRevision.ANNOTATION
                    + ": it predates revision 1), this operator needs " + revision + refresh);
        }
        int installedRevision;
        try {
            installedRevision = Integer.parseInt(found.trim());
        } catch (NumberFormatException e) {
            return Optional.of(crd + " has schema revision '" + found + "' (annotation " + SchemaRevision.ANNOTATION
                    + "), not a number, this operator needs " + revision + refresh);
        }
        if (installedRevision < revision) {
            return Optional.of(crd + " has schema revision " + installedRevision + ", this operator needs " + revision + refresh);
        }
        List<CustomResourceDefinitionVersion> versions = installed.getSpec().getVersions();
        boolean served = versions.stream().anyMatch(v -> v.getName().equals(version) && Boolean.TRUE.equals(v.getServed()));
        if (!served) {
            List<String> servedNames = versions.stream().filter(v -> Boolean.TRUE.equals(v.getServed()))
                    .map(CustomResourceDefinitionVersion::getName).toList();
            return Optional.of(crd + " does not serve version " + version + ", which this operator uses (it serves "
                    + (servedNames.isEmpty() ? "none" : String.join(", ", servedNames)) + ")" + refresh);
        }
        return Optional.empty();
    }
}

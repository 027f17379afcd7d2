package io.swarmnet.operator.startup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.swarmnet.api.SchemaRevision;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CrdRequirementTest {

    private static final String NAME = "overlaynetworks.swarmnet.io";
    private static final CrdRequirement NEEDS_2 = new CrdRequirement(NAME, "v1alpha1", 2);

    private static CustomResourceDefinition crd(Map<String, String> annotations, String version, boolean served) {
        return new CustomResourceDefinitionBuilder().withNewMetadata().withName(NAME).withAnnotations(annotations).endMetadata()
                .withNewSpec().addNewVersion().withName(version).withServed(served).withStorage(true).endVersion().endSpec().build();
    }

    private static CustomResourceDefinition revision(String value) {
        return crd(Map.of(SchemaRevision.ANNOTATION, value), "v1alpha1", true);
    }

    @Test
    void aMissingCrdIsToBeInstalledFromTheChart() {
        assertThat(NEEDS_2.problemWith(null)).contains("CustomResourceDefinition overlaynetworks.swarmnet.io is not installed:"
                + " install the chart's CRDs (kubectl apply --server-side --force-conflicts -f <chart>/crds/), then restart the operator");
    }

    @Test
    void anOlderRevisionIsToBeReplacedByThisChartVersionsCrds() {
        assertThat(NEEDS_2.problemWith(revision("1"))).contains("CustomResourceDefinition overlaynetworks.swarmnet.io has schema"
                + " revision 1, this operator needs 2: apply the CRDs of this chart version (kubectl apply --server-side"
                + " --force-conflicts -f <chart>/crds/; helm upgrade does not update CRDs), then restart the operator");
    }

    @Test
    void aCrdWithoutRevisionPredatesTheFirstOne() {
        assertThat(NEEDS_2.problemWith(crd(Map.of(), "v1alpha1", true))).hasValueSatisfying(problem -> assertThat(problem)
                .startsWith("CustomResourceDefinition overlaynetworks.swarmnet.io has no schema revision (annotation"
                        + " swarmnet.io/schema-revision: it predates revision 1), this operator needs 2: apply the CRDs of this chart version"));
        assertThat(NEEDS_2.problemWith(revision("two"))).hasValueSatisfying(problem -> assertThat(problem)
                .contains("has schema revision 'two' (annotation swarmnet.io/schema-revision), not a number, this operator needs 2"));
    }

    @Test
    void theSameOrANewerRevisionServingTheVersionIsFine() {
        assertThat(NEEDS_2.problemWith(revision("2"))).isEmpty();
        assertThat(NEEDS_2.problemWith(revision(" 3 "))).isEmpty();
    }

    @Test
    void theOperatorsVersionMustBeServed() {
        assertThat(NEEDS_2.problemWith(crd(Map.of(SchemaRevision.ANNOTATION, "2"), "v1beta1", true))).hasValueSatisfying(problem ->
                assertThat(problem).startsWith("CustomResourceDefinition overlaynetworks.swarmnet.io does not serve version v1alpha1,"
                        + " which this operator uses (it serves v1beta1): apply the CRDs of this chart version"));
        assertThat(NEEDS_2.problemWith(crd(Map.of(SchemaRevision.ANNOTATION, "2"), "v1alpha1", false)))
                .hasValueSatisfying(problem -> assertThat(problem).contains("does not serve version v1alpha1, which this operator uses (it serves none)"));
    }
}

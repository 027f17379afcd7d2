package io.swarmnet.sandboxapi.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.sandboxapi.KubernetesVersion;
import io.swarmnet.sandboxapi.SandboxApiServer;
import org.junit.jupiter.api.Test;

/**
 * A CRD is admitted as the API server of the oldest release swarmnet supports admits it: a rule
 * calling a CEL library that release does not accept in new rules yet is refused, naming the CRD,
 * the rule, that release and the one that would accept it.
 */
class CelLibraryReleasesTest {

    private static final KubernetesVersion OLDEST = KubernetesVersion.OLDEST_SUPPORTED;
    private static final String RULE_PATH = "spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule";

    @Test
    void aRuleCallingTheFormatLibraryIsRefusedAsTheOldestSupportedReleaseRefusesIt() {
        String rule = "!format.dns1123Label().validate(self.s).hasValue()";

        assertThat(OLDEST).as("the format library is accepted from 1.32 on; this test is for releases before")
                .isLessThan(new KubernetesVersion(1, 32));
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule(rule))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(RULE_PATH + ": Invalid value: \"" + rule + "\": calls format.dns1123Label()"
                        + " (Kubernetes' format library), which CRD validation rules may call from Kubernetes 1.32 on")
                .hasMessageContaining("the API server of Kubernetes " + OLDEST + " (the oldest release swarmnet supports,"
                        + " which this embedded API behaves as) refuses CRD probes.test.io with this rule")
                .hasMessageContaining("raise the oldest supported release to 1.32");
        assertThat(CelRuleProbe.holds(rule, new KubernetesVersion(1, 32))).isTrue();
    }

    @Test
    void registeringSuchACrdWithTheEmbeddedApiFailsAsOnTheCluster() {
        try (SandboxApiServer api = SandboxApiServer.start()) {
            KubernetesClient client = api.client();
            CustomResourceDefinition crd = client.getKubernetesSerialization().convertValue(
                    CelRuleProbe.crd("format.named('dns1123Label').hasValue()"), CustomResourceDefinition.class);

            assertThatThrownBy(() -> client.apiextensions().v1().customResourceDefinitions().resource(crd).create())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422))
                    .hasMessageContaining("CustomResourceDefinition.apiextensions.k8s.io \"probes.test.io\" is invalid: " + RULE_PATH)
                    .hasMessageContaining("calls format.named() (Kubernetes' format library)");
            assertThat(client.apiextensions().v1().customResourceDefinitions().withName("probes.test.io").get()).isNull();
        }
    }

    @Test
    void eachLibraryIsAcceptedFromTheReleaseAfterTheOneThatIntroducedIt() {
        String cidrRule = "cidr('10.0.9.0/24').containsIP('10.0.9.1')";
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule(cidrRule, new KubernetesVersion(1, 30)))
                .hasMessageContaining("calls cidr() (Kubernetes' CIDR library), which CRD validation rules may call from Kubernetes 1.31 on")
                .hasMessageContaining("the API server of Kubernetes 1.30 refuses CRD probes.test.io");
        assertThat(CelRuleProbe.holds(cidrRule, new KubernetesVersion(1, 31))).isTrue();

        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("ip.isCanonical('::1')", new KubernetesVersion(1, 30)))
                .hasMessageContaining("calls ip.isCanonical() (Kubernetes' IP library)");
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("sets.contains([1], [1])", new KubernetesVersion(1, 29)))
                .hasMessageContaining("calls sets.contains() (cel-go's sets extension), which CRD validation rules may call"
                        + " from Kubernetes 1.30 on");
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("has(self.s) && self.?s.hasValue()", new KubernetesVersion(1, 28)))
                .hasMessageContaining("(CEL optional types), which CRD validation rules may call from Kubernetes 1.29 on");
    }

    @Test
    void laterLibrariesAreNamedWithTheirReleaseEvenWhereTheEmbeddedApiLacksThem() {
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("isSemver(self.s)"))
                .hasMessageContaining("calls isSemver() (Kubernetes' semver library), which CRD validation rules may call"
                        + " from Kubernetes 1.34 on");
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("{'a': 1}.all(k, v, v > 0)"))
                .hasMessageContaining("calls all() (cel-go's two-variable comprehensions), which CRD validation rules may call"
                        + " from Kubernetes 1.33 on");
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("[1, 2].transformList(i, v, v * 2) == [2, 4]"))
                .hasMessageContaining("calls transformList() (cel-go's two-variable comprehensions)");
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("self.s.split(',').sort() == ['a']"))
                .hasMessageContaining("calls sort() (cel-go's lists extension), which CRD validation rules may call from Kubernetes 1.35 on");
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("lists.range(3) == [0, 1, 2]"))
                .hasMessageContaining("calls lists.range() (cel-go's lists extension)");
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("[1, 2].includes(1)"))
                .hasMessageContaining("calls includes() (Kubernetes' lists library, version 1), which CRD validation rules may call"
                        + " from Kubernetes 1.38 on");
    }

    @Test
    void celBindIsRefusedSinceNoReleaseOffersItToCrdRules() {
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("cel.bind(x, self.s, x + x == 'webweb')", new KubernetesVersion(1, 37)))
                .hasMessageStartingWith(RULE_PATH + ": Invalid value: \"cel.bind(x, self.s, x + x == 'webweb')\": calls cel.bind()"
                        + " (cel-go's bindings extension), which no Kubernetes release offers to CRD validation rules:"
                        + " the API server of Kubernetes 1.37 refuses CRD probes.test.io with this rule");
    }

    @Test
    void aLibraryTheClusterAcceptsButTheEmbeddedApiCannotEvaluateIsSaidSo() {
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("quantity('1Gi').isGreaterThan(quantity('1Mi'))"))
                .hasMessageContaining("calls quantity() (Kubernetes' quantity library), which Kubernetes " + OLDEST
                        + " accepts in CRD validation rules but the embedded API does not implement, so it cannot tell whether"
                        + " objects pass this rule; check CRD probes.test.io on a real cluster");
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("isURL(self.s)"))
                .hasMessageContaining("calls isURL() (Kubernetes' URL library)").hasMessageContaining("cannot tell");
    }

    @Test
    void swarmnetsOwnCrdsLoadAsTheOldestSupportedReleaseAndNeedIpAndCidrFrom131() {
        for (String file : new String[]{"overlaynetworks.swarmnet.io.yaml", "swarmservices.swarmnet.io.yaml"}) {
            assertThat(CrdValidator.forCrd(CrdFiles.read(file), OLDEST)).as(file).isNotNull();
        }
        // why the range starts no earlier: the OverlayNetwork rules check addresses with cidr()
        assertThatThrownBy(() -> CrdValidator.forCrd(CrdFiles.read("overlaynetworks.swarmnet.io.yaml"), new KubernetesVersion(1, 30)))
                .hasMessageContaining("calls cidr() (Kubernetes' CIDR library), which CRD validation rules may call from Kubernetes 1.31 on")
                .hasMessageContaining("refuses CRD overlaynetworks.swarmnet.io");
    }
}

package io.swarmnet.operator.startup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.swarmnet.api.SchemaRevision;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.OperatorMetrics;
import io.swarmnet.operator.OperatorProcess;
import io.swarmnet.sandboxapi.AccessPolicy;
import io.swarmnet.sandboxapi.SandboxApiOptions;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The operator's start-up checks against the embedded API (its CRDs from crds/, its answers to
 * SelfSubjectAccessReviews from an AccessPolicy): each problem refuses the start with the message a
 * user sees, before a Lease is taken; a cluster with everything starts.
 */
class StartupCheckTest {

    private static final String NAMESPACE = "swarmnet-system";
    private final OperatorConfig config = OperatorConfig.fromEnvironment(Map.of(
            "SWARMNET_OPERATOR_NAMESPACE", NAMESPACE, "SWARMNET_HTTP_PORT", "0"));

    private static SandboxApiServer cluster(AccessPolicy access) {
        SandboxApiServer api = SandboxApiServer.start(SandboxApiOptions.defaults().withAccessPolicy(access));
        api.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
        return api;
    }

    private static void setRevision(KubernetesClient client, String crd, String revision) {
        client.apiextensions().v1().customResourceDefinitions().withName(crd).patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"" + SchemaRevision.ANNOTATION + "\":" + revision + "}}}");
    }

    /** Starts an operator replica as OperatorMain does and expects it refused, having started nothing. */
    private String refusal(SandboxApiServer api, OperatorConfig config) {
        KubernetesClient client = api.client();
        OperatorProcess process = new OperatorProcess(client, config, new OperatorMetrics(), OperatorProcess.LeaseTimings.DEFAULT, () -> { });
        try {
            Throwable refused = catchThrowable(process::start);
            assertThat(refused).isInstanceOf(StartupRefused.class);
            assertThat(process.phase()).isEqualTo(OperatorProcess.Phase.FAILED);
            assertThat(process.live()).isFalse();
            // refused before leader election: no Lease, no operator
            assertThat(process.operator()).isNull();
            assertThat(client.leases().inNamespace(NAMESPACE).withName(config.leaseName()).get()).isNull();
            return refused.getMessage();
        } finally {
            process.close();
        }
    }

    @Test
    void aMissingCrdRefusesTheStartNamingItAndHowToInstallIt() {
        try (SandboxApiServer api = cluster(AccessPolicy.ALLOW_ALL)) {
            api.client().apiextensions().v1().customResourceDefinitions().withName("overlaynetworks.swarmnet.io").delete();
            assertThat(refusal(api, config)).isEqualTo("the swarmnet operator cannot start:\n"
                    + "- CustomResourceDefinition overlaynetworks.swarmnet.io is not installed: install the chart's CRDs"
                    + " (kubectl apply --server-side --force-conflicts -f <chart>/crds/), then restart the operator");
        }
    }

    @Test
    void anOlderSchemaRevisionRefusesTheStartAskingForThisChartVersionsCrds() {
        try (SandboxApiServer api = cluster(AccessPolicy.ALLOW_ALL)) {
            setRevision(api.client(), "swarmservices.swarmnet.io", "\"" + (SchemaRevision.CURRENT - 1) + "\"");
            setRevision(api.client(), "overlaynetworks.swarmnet.io", "null");   // as a chart before revisions installed it
            String message = refusal(api, config);
            assertThat(message).contains("- CustomResourceDefinition swarmservices.swarmnet.io has schema revision "
                    + (SchemaRevision.CURRENT - 1) + ", this operator needs " + SchemaRevision.CURRENT
                    + ": apply the CRDs of this chart version (kubectl apply --server-side --force-conflicts -f <chart>/crds/;"
                    + " helm upgrade does not update CRDs), then restart the operator");
            assertThat(message).contains("- CustomResourceDefinition overlaynetworks.swarmnet.io has no schema revision");
        }
    }

    @Test
    void deniedPermissionsAreListedEachWithItsVerbResourceNameAndNamespace() {
        AccessPolicy noSecretWrites = request -> !(request.resource().equals("secrets") && !request.verb().equals("get"))
                && !(request.resource().equals("nodes") && request.verb().equals("watch"))
                && !(request.resource().equals("customresourcedefinitions") && request.name().equals("swarmservices.swarmnet.io"));
        try (SandboxApiServer api = cluster(noSecretWrites)) {
            // the CRD it may not read is not reported as missing, only the permission is
            api.client().apiextensions().v1().customResourceDefinitions().withName("swarmservices.swarmnet.io").delete();
            assertThat(refusal(api, config)).isEqualTo("the swarmnet operator cannot start:\n"
                    + "- the operator's ServiceAccount lacks 4 permissions, which the chart's RBAC grants (install or upgrade the chart,"
                    + " or grant them to the ServiceAccount): "
                    + "get customresourcedefinitions.apiextensions.k8s.io swarmservices.swarmnet.io (cluster-scoped); "
                    + "watch nodes (cluster-scoped); "
                    + "update secrets swarmnet-encryption-keys in namespace swarmnet-system; "
                    + "create secrets in namespace swarmnet-system");
        }
    }

    @Test
    void withEveryPermissionAndCurrentCrdsTheOperatorStartsHavingAskedForEachPermission() {
        List<AccessPolicy.Request> asked = new CopyOnWriteArrayList<>();
        try (SandboxApiServer api = cluster(request -> asked.add(request))) {
            OperatorProcess process = new OperatorProcess(api.client(), config.withLeaderElection(false), new OperatorMetrics(),
                    OperatorProcess.LeaseTimings.DEFAULT, () -> { });
            try {
                process.start();
                assertThat(process.phase()).isEqualTo(OperatorProcess.Phase.LEADING);
                assertThat(process.operator()).isNotNull();
            } finally {
                process.close();
            }
        }
        assertThat(asked).containsExactlyElementsOf(RequiredPermissions.of(config.withLeaderElection(false)).stream()
                .map(p -> new AccessPolicy.Request(p.verb(), p.group(), p.resource(), p.subresource(),
                        p.namespace() == null ? "" : p.namespace(), p.name()))
                .toList());
    }

    @Test
    void anUnreachableApiServerRefusesNamingIt() {
        SandboxApiServer api = cluster(AccessPolicy.ALLOW_ALL);
        String url = api.url();
        api.close();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(url)
                .withRequestRetryBackoffLimit(0).build()).build()) {
            assertThatThrownBy(() -> StartupCheck.verify(client, config)).isInstanceOf(StartupRefused.class)
                    .hasMessageStartingWith("the swarmnet operator cannot start: asking the API server at " + url)
                    .hasMessageContaining("whether it may get customresourcedefinitions.apiextensions.k8s.io overlaynetworks.swarmnet.io"
                            + " (cluster-scoped) failed: ");
        }
    }
}

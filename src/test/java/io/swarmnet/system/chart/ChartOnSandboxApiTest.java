package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rendered chart applied with real kubectl to the embedded API server, in the order helm
 * installs it (CRDs from the chart's crds/ first, then the templates), then "upgraded" with other
 * values and removed. The server starts with no CRDs, so the custom resources it then accepts
 * (examples/) were admitted by the chart's own CRDs, schema and CEL rules included.
 */
class ChartOnSandboxApiTest {

    @TempDir
    Path dir;

    private Helm helm;
    private RepositoryLayout repo;
    private FreshCluster cluster;
    private Path kubectl;

    @BeforeEach
    void startApi() throws IOException {
        helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        kubectl = PinnedTool.find("kubectl").orElse(null);
        assumeTrue(kubectl != null, PinnedTool.missing("kubectl"));
        repo = RepositoryLayout.find();
        cluster = FreshCluster.start(dir);
    }

    @AfterEach
    void stopApi() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private String kubectl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", cluster.kubeconfig().toString()));
        command.addAll(List.of(args));
        Path out = dir.resolve("kubectl.out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + process.exitValue() + ":\n" + output);
        }
        return output;
    }

    private Path write(String name, String yaml) throws IOException {
        return Files.writeString(dir.resolve(name), yaml);
    }

    private Path namespaceManifest() throws IOException {
        return write("namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + RenderedChart.NAMESPACE + "\n");
    }

    @Test
    void installsUpgradesAndUninstallsLikeHelmWould() throws Exception {
        // helm install: CRDs, the namespace (--create-namespace), then the rendered templates
        assertThat(kubectl("apply", "-f", repo.chartCrds().toString()))
                .contains("customresourcedefinition.apiextensions.k8s.io/overlaynetworks.swarmnet.io created",
                        "customresourcedefinition.apiextensions.k8s.io/swarmservices.swarmnet.io created");
        kubectl("apply", "-f", namespaceManifest().toString());
        RenderedChart installed = RenderedChart.render(helm, repo);
        Path release = write("release.yaml", installed.yaml());
        String applied = kubectl("apply", "-f", release.toString());
        assertThat(applied.lines().filter(l -> l.endsWith(" created")).count()).isEqualTo(installed.objects().size());

        KubernetesClient client = cluster.api().client(RenderedChart.NAMESPACE);
        Deployment operator = client.apps().deployments().withName("swarmnet-operator").get();
        assertThat(operator.getSpec().getReplicas()).isEqualTo(2);
        DaemonSet agent = client.apps().daemonSets().withName("swarmnet-agent").get();
        assertThat(agent.getSpec().getTemplate().getSpec().getHostNetwork()).isTrue();
        assertThat(client.rbac().clusterRoles().withName("swarmnet-agent").get().getRules()).isNotEmpty();
        Role agentRole = client.rbac().roles().withName("swarmnet-agent").get();
        assertThat(agentRole.getRules()).singleElement()
                .satisfies(r -> assertThat(r.getResourceNames()).containsExactly("swarmnet-encryption-keys"));
        assertThat(kubectl("-n", RenderedChart.NAMESPACE, "get", "deployments,daemonsets,serviceaccounts,roles,rolebindings,services", "-o", "name"))
                .contains("deployment.apps/swarmnet-operator", "daemonset.apps/swarmnet-agent",
                        "serviceaccount/swarmnet-operator", "serviceaccount/swarmnet-agent",
                        "role.rbac.authorization.k8s.io/swarmnet-operator", "rolebinding.rbac.authorization.k8s.io/swarmnet-agent",
                        "service/swarmnet-operator-metrics");

        // the chart's CRDs admit the walkthrough's manifests, and list them in the swarmnet category
        assertThat(kubectl("apply", "-f", repo.examples().toString()))
                .contains("overlaynetwork.swarmnet.io/my-network created", "swarmservice.swarmnet.io/my-web created");
        assertThat(kubectl("get", "swarmnet", "-o", "name"))
                .contains("overlaynetwork.swarmnet.io/my-network", "swarmservice.swarmnet.io/my-web",
                        "swarmservice.swarmnet.io/my-busybox", "swarmservice.swarmnet.io/my-dnsrr-service");
        // ...and refuse what their schema forbids (an invalid subnet), as on a real cluster
        Path bad = write("bad.yaml", """
                apiVersion: swarmnet.io/v1alpha1
                kind: OverlayNetwork
                metadata: {name: bad-network}
                spec: {subnet: 10.0.9.0/33}
                """);
        assertThatKubectlFails("apply", "-f", bad.toString()).contains("subnet");

        // helm upgrade: the same objects re-rendered with other values are updated in place
        RenderedChart upgraded = RenderedChart.renderWithValues(helm, repo, NonDefaultValues.YAML
                + "\n" + "metrics: {serviceMonitor: {enabled: false}}\n");
        Path upgrade = write("upgrade.yaml", upgraded.yaml());
        assertThat(kubectl("apply", "-f", upgrade.toString())).contains("deployment.apps/swarmnet-operator configured",
                "daemonset.apps/swarmnet-agent configured");
        Deployment after = client.apps().deployments().withName("swarmnet-operator").get();
        assertThat(after.getSpec().getReplicas()).isEqualTo(3);
        assertThat(after.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("registry.example.test/team/swarmnet:1.2.3-test");
        assertThat(after.getSpec().getTemplate().getSpec().getNodeSelector()).containsKey("node-role.kubernetes.io/control-plane");

        // helm uninstall: the templates go, the CRDs (and so users' networks and services) stay
        kubectl("delete", "-f", upgrade.toString(), "--wait=false");
        assertThat(kubectl("-n", RenderedChart.NAMESPACE, "get", "deployments,daemonsets,roles", "-o", "name")).isBlank();
        assertThat(client.rbac().clusterRoles().withName("swarmnet-operator").get()).isNull();
        assertThat(kubectl("get", "overlaynetworks", "-o", "name")).contains("overlaynetwork.swarmnet.io/my-network");
    }

    private org.assertj.core.api.AbstractStringAssert<?> assertThatKubectlFails(String... args) throws Exception {
        try {
            kubectl(args);
        } catch (AssertionError expected) {
            return assertThat(expected.getMessage());
        }
        throw new AssertionError("kubectl " + String.join(" ", args) + " succeeded but should have been refused");
    }
}

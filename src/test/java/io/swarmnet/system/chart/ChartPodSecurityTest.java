package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node agent needs the Pod Security level "privileged"; Helm cannot label the namespace it
 * creates. Rendered by helm against the embedded API ({@code --dry-run=server}, so the chart's
 * namespace lookup reads a real answer): the chart refuses a namespace that enforces baseline or
 * restricted, and its notes tell how to label one whose level it cannot see.
 */
class ChartPodSecurityTest {

    private static final String ENFORCE = "pod-security.kubernetes.io/enforce";

    @TempDir
    Path dir;

    private Helm helm;
    private RepositoryLayout repo;
    private FreshCluster cluster;

    @BeforeEach
    void startApi() throws IOException {
        helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        repo = RepositoryLayout.find();
        cluster = FreshCluster.start(dir);
    }

    @AfterEach
    void stopApi() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private void namespace(String name, Map<String, String> labels) {
        cluster.api().client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels)
                .endMetadata().build()).create();
    }

    /** helm install --dry-run=server into {@code namespace}: renders everything, NOTES included, with lookups answered. */
    private HostCommand.Result install(String namespace) {
        List<String> args = new ArrayList<>(List.of("install", RenderedChart.RELEASE, repo.chart().toString(),
                "--namespace", namespace, "--kubeconfig", cluster.kubeconfig().toString(), "--dry-run=server"));
        return helm.run(args);
    }

    @Test
    void refusesANamespaceThatEnforcesBaselineOrRestrictedNamingTheLabelToSet() {
        for (String level : List.of("baseline", "restricted")) {
            String namespace = "locked-" + level;
            namespace(namespace, Map.of(ENFORCE, level));

            HostCommand.Result refused = install(namespace);

            assertThat(refused.succeeded()).as(refused.toString()).isFalse();
            assertThat(refused.stderr()).contains("namespace " + namespace + " enforces Pod Security \"" + level + "\""
                            + " (label pod-security.kubernetes.io/enforce), which refuses the pods of the swarmnet node agent")
                    .contains("kubectl label namespace " + namespace + " pod-security.kubernetes.io/enforce=privileged --overwrite");
        }
    }

    @Test
    void installsQuietlyIntoANamespaceLabelledPrivileged() {
        namespace("swarmnet-system", Map.of(ENFORCE, "privileged"));

        String output = install("swarmnet-system").output();

        assertThat(output).contains("kind: DaemonSet", "NOTES:").doesNotContain("Pod Security:");
    }

    @Test
    void notesSayHowToLabelANamespaceWithoutALevelOrOneHelmCannotRead() {
        namespace("unlabelled", Map.of());
        assertThat(install("unlabelled").output())
                .contains("Namespace unlabelled has no pod-security.kubernetes.io/enforce label, so the cluster's\ndefault level applies")
                .contains("kubectl label namespace unlabelled pod-security.kubernetes.io/enforce=privileged");

        // helm template, --dry-run=client and --create-namespace render before anything is looked up
        String clientSide = helm.run("install", RenderedChart.RELEASE, repo.chart().toString(), "--namespace", "fresh",
                "--dry-run=client").output();
        assertThat(clientSide).contains("Helm could not read the labels of namespace fresh")
                .contains("kubectl label namespace fresh pod-security.kubernetes.io/enforce=privileged");
    }
}

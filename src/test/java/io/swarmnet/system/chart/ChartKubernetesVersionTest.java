package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.swarmnet.sandboxapi.KubernetesVersion;
import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * The chart states one supported range, and it is the one the embedded API models: Chart.yaml's
 * kubeVersion starts at {@link KubernetesVersion#OLDEST_SUPPORTED}, the release whose API server
 * the embedded API admits CRDs as (so the CRDs the tests load register on the oldest cluster the
 * chart installs on), and README's install section and the page that explains the range
 * (docs/install.md, "Supported Kubernetes releases") say the same.
 */
class ChartKubernetesVersionTest {

    private final RepositoryLayout repo = RepositoryLayout.find();

    @Test
    void chartKubeVersionStartsAtTheReleaseTheEmbeddedApiModels() throws IOException {
        JsonNode chart = new YAMLMapper().readTree(repo.chart().resolve("Chart.yaml").toFile());

        // ">=1.31.0-0": the -0 lets pre-release and vendor builds (v1.31.2-eks-...) of that release match
        assertThat(chart.path("kubeVersion").asText())
                .as("kubeVersion in charts/swarmnet/Chart.yaml; change it together with KubernetesVersion.OLDEST_SUPPORTED")
                .isEqualTo(">=" + KubernetesVersion.OLDEST_SUPPORTED + ".0-0");
    }

    @Test
    void readmeStatesTheSameOldestRelease() throws IOException {
        String readme = Files.readString(repo.root().resolve("README.md"));
        String install = readme.substring(readme.indexOf("## Install on a cluster")).replaceAll("\\s+", " ");

        assertThat(install).as("README.md, Install on a cluster")
                .contains("(Kubernetes " + KubernetesVersion.OLDEST_SUPPORTED + " or newer");
    }

    @Test
    void installPageExplainsTheSameOldestRelease() throws IOException {
        String page = Files.readString(repo.root().resolve("docs/install.md"));
        int start = page.indexOf("## Supported Kubernetes releases");
        assertThat(start).as("docs/install.md has a section \"Supported Kubernetes releases\"").isNotNegative();
        int end = page.indexOf("\n## ", start + 1);
        String section = page.substring(start, end < 0 ? page.length() : end).replaceAll("\\s+", " ");

        assertThat(section).as("docs/install.md, Supported Kubernetes releases")
                .contains("`kubeVersion: \">=" + KubernetesVersion.OLDEST_SUPPORTED + ".0-0\"` in `Chart.yaml`")
                .contains(KubernetesVersion.OLDEST_SUPPORTED + " is the oldest release")
                .contains("behaves as " + KubernetesVersion.OLDEST_SUPPORTED + ", the oldest release");
    }
}

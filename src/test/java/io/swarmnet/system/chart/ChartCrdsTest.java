package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chart installs exactly the CRDs generated from api/ (crds/). When api/ changes, copy them:
 * {@code cp crds/*.yaml charts/swarmnet/crds/}.
 */
class ChartCrdsTest {

    private final RepositoryLayout repo = RepositoryLayout.find();

    private static List<String> yamlFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml") || n.endsWith(".yml")).sorted().toList();
        }
    }

    @Test
    void chartCrdsAreByteForByteTheGeneratedOnes() throws IOException {
        List<String> generated = yamlFiles(repo.generatedCrds());
        assertThat(generated).containsExactly("overlaynetworks.swarmnet.io.yaml", "swarmservices.swarmnet.io.yaml");
        assertThat(yamlFiles(repo.chartCrds())).as("files in charts/swarmnet/crds").containsExactlyElementsOf(generated);
        for (String name : generated) {
            assertThat(Files.readString(repo.chartCrds().resolve(name)))
                    .as("charts/swarmnet/crds/%s differs from crds/%s; run: cp crds/*.yaml charts/swarmnet/crds/", name, name)
                    .isEqualTo(Files.readString(repo.generatedCrds().resolve(name)));
        }
    }

    @Test
    void helmInstallsBothCrdsWithStatusAndScaleSubresources() {
        Helm helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        RenderedChart crds = RenderedChart.parse(helm.run("show", "crds", repo.chart().toString()).output());
        assertThat(crds.all(CustomResourceDefinition.class)).extracting(c -> c.getMetadata().getName())
                .containsExactlyInAnyOrder("overlaynetworks.swarmnet.io", "swarmservices.swarmnet.io");
        CustomResourceDefinition services = crds.one(CustomResourceDefinition.class, "swarmservices.swarmnet.io");
        assertThat(services.getSpec().getVersions()).singleElement().satisfies(v -> {
            assertThat(v.getSubresources().getStatus()).isNotNull();
            assertThat(v.getSubresources().getScale()).isNotNull();
        });
        // helm template leaves CRDs out unless asked, as install does not template them
        RenderedChart withCrds = RenderedChart.render(helm, repo, "--include-crds");
        assertThat(withCrds.all(CustomResourceDefinition.class)).hasSize(2);
    }
}

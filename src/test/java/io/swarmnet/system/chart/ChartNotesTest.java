package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What `helm install` prints after installing (NOTES.txt), rendered by a client-side dry run. */
class ChartNotesTest {

    private static Helm helm;
    private static RepositoryLayout repo;

    @BeforeAll
    static void findHelm() {
        helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        repo = RepositoryLayout.find();
    }

    private static String notes(String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("install", RenderedChart.RELEASE, repo.chart().toString(),
                "--namespace", RenderedChart.NAMESPACE, "--dry-run=client"));
        args.addAll(List.of(extraArgs));
        String output = helm.run(args).output();
        assertThat(output).contains("NOTES:");
        return output.substring(output.indexOf("NOTES:"));
    }

    @Test
    void tellHowToTryEveryExampleFromTheRepository() throws IOException {
        String notes = notes();
        assertThat(notes).contains("kubectl apply -f examples/", "kubectl wait --for=condition=Ready overlaynetwork/my-network",
                "nslookup my-web", "nslookup tasks.my-web", "wget -qO- my-web", "nslookup my-dnsrr-service",
                "rollout status deployment/swarmnet-operator", "rollout status daemonset/swarmnet-agent");
        // every manifest the notes mention exists under examples/
        try (Stream<Path> files = Files.list(repo.examples())) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .contains("my-network.yaml", "my-web.yaml", "my-busybox.yaml", "my-dnsrr-service.yaml");
        }
        assertThat(notes).doesNotContain("WARNING");
    }

    @Test
    void warnWhenNoRangeIsExcluded() {
        assertThat(notes("--set-json", "network.excludedCidrs=[]")).contains("WARNING: network.excludedCidrs is empty");
    }
}

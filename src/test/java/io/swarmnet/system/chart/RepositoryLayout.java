package io.swarmnet.system.chart;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the chart, the generated CRDs and the examples are, found from the test's working directory. */
public record RepositoryLayout(Path root) {

    public static RepositoryLayout find() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("charts/swarmnet/Chart.yaml")) && Files.isDirectory(p.resolve("crds"))) {
                return new RepositoryLayout(p);
            }
        }
        throw new IllegalStateException("no charts/swarmnet/Chart.yaml above " + dir
                + "; run the suite from the repository (mvn -pl system-tests test)");
    }

    public Path chart() {
        return root.resolve("charts/swarmnet");
    }

    public Path generatedCrds() {
        return root.resolve("crds");
    }

    public Path chartCrds() {
        return chart().resolve("crds");
    }

    public Path examples() {
        return root.resolve("examples");
    }
}

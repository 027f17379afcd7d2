package io.swarmnet.system.chart;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * kubectl or helm as scripts/install-deps.sh builds them from the Go modules pinned in cluster/, in the
 * directory the build passes as the system property {@code swarmnet.tools}. Never another copy on this
 * machine: a kubectl or helm of another release would test something else.
 */
public final class PinnedTool {

    private PinnedTool() {
    }

    public static Path path(String name) {
        return Path.of(System.getProperty("swarmnet.tools", ""), name);
    }

    public static Optional<Path> find(String name) {
        return Optional.of(path(name)).filter(Files::isExecutable);
    }

    /** The skip message for a tool that is not built. */
    public static String missing(String name) {
        return name + " is not built at " + path(name).toAbsolutePath() + " (system property swarmnet.tools, set by the root pom): "
                + "scripts/install-deps.sh builds it from the modules pinned in cluster/";
    }
}

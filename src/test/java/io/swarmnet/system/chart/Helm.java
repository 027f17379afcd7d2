package io.swarmnet.system.chart;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The real helm binary, run as a user would: the one built from cluster/helm/go.mod ({@link PinnedTool}). */
public final class Helm {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private final Path binary;

    private Helm(Path binary) {
        this.binary = binary;
    }

    /** The pinned helm, or empty: the caller skips with {@link #MISSING}. */
    public static Optional<Helm> installed() {
        return PinnedTool.find("helm").map(Helm::new);
    }

    public static final String MISSING = PinnedTool.missing("helm");

    public Path binary() {
        return binary;
    }

    public HostCommand.Result run(String... args) {
        return run(List.of(args));
    }

    public HostCommand.Result run(List<String> args) {
        return run(TIMEOUT, args);
    }

    public HostCommand.Result run(Duration timeout, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(args);
        try {
            Path home = Files.createTempDirectory("helm-home");
            try {
                // helm keeps caches and repository settings under these; a test must not read or write the user's
                return HostCommand.run(timeout, command, Map.of(
                        "HELM_CACHE_HOME", home.resolve("cache").toString(),
                        "HELM_CONFIG_HOME", home.resolve("config").toString(),
                        "HELM_DATA_HOME", home.resolve("data").toString()));
            } finally {
                deleteTree(home);
            }
        } catch (IOException e) {
            throw new AssertionError("could not run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

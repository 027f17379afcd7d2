package io.swarmnet.system.chart;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real helm binary, run as a user would. Found on PATH, else where scripts/install-deps.sh
 * puts it (/opt/swarmnet-tools/helm, linked from /usr/local/bin).
 */
public final class Helm {

    /** What one helm command printed and how it ended. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public boolean succeeded() {
            return exitCode == 0;
        }

        /** stdout when the command succeeded; otherwise an error that shows the command and its output. */
        public String output() {
            if (!succeeded()) {
                throw new AssertionError(String.join(" ", command) + " exited " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr);
            }
            return stdout;
        }
    }

    private static final long TIMEOUT_SECONDS = 120;

    private final Path binary;

    private Helm(Path binary) {
        this.binary = binary;
    }

    /** The installed helm, or empty: the caller skips with {@link #MISSING}. */
    public static Optional<Helm> installed() {
        return InstalledTool.find("helm").map(Helm::new);
    }

    public static final String MISSING = InstalledTool.missing("helm");

    public Path binary() {
        return binary;
    }

    public Result run(String... args) {
        return run(List.of(args));
    }

    public Result run(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(args);
        try {
            Path home = Files.createTempDirectory("helm-home");
            Path out = home.resolve("stdout");
            Path err = home.resolve("stderr");
            try {
                ProcessBuilder builder = new ProcessBuilder(command)
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                // helm keeps caches and repository settings under these; a test must not read or write the user's
                builder.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
                builder.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
                builder.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
                Process process = builder.start();
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
                }
                return new Result(command, process.exitValue(),
                        Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                deleteTree(home);
            }
        } catch (IOException e) {
            throw new AssertionError("could not run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + String.join(" ", command), e);
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

package io.swarmnet.system.chart;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One command on this machine (docker, kubectl, ./swarmnet), bounded in time, its output kept for the assertion message. */
public final class HostCommand {

    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        /** Standard output, or an AssertionError with everything when the command failed. */
        public String output() {
            if (exitCode != 0) {
                throw new AssertionError(this.toString());
            }
            return stdout;
        }

        public boolean succeeded() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " exited " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    public static Result run(Duration timeout, List<String> command) {
        return run(timeout, command, java.util.Map.of());
    }

    /** With these variables added to the environment. */
    public static Result run(Duration timeout, List<String> command, java.util.Map<String, String> environment) {
        try {
            Path dir = Files.createTempDirectory("k3s-cmd");
            Path out = dir.resolve("stdout");
            Path err = dir.resolve("stderr");
            try {
                ProcessBuilder builder = new ProcessBuilder(command)
                        .redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                builder.environment().putAll(environment);
                Process process = builder.start();
                if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish in " + timeout.toSeconds() + " s");
                }
                return new Result(command, process.exitValue(),
                        Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new AssertionError("could not run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + String.join(" ", command), e);
        }
    }

    private HostCommand() {
    }
}

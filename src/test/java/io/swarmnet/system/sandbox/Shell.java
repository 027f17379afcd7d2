package io.swarmnet.system.sandbox;

import io.swarmnet.system.chart.PinnedTool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs ./swarmnet and kubectl as a user would, with this suite's sandbox (its own state directory, prefix and kubeconfig). */
final class Shell {

    /** The command's result; {@link #toString()} shows everything, for assertion messages. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    final Path repository;
    final Path stateDir;
    final String prefix;

    Shell(Path repository, Path stateDir, String prefix) {
        this.repository = repository;
        this.stateDir = stateDir;
        this.prefix = prefix;
    }

    static Path findRepository() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isExecutable(dir.resolve("swarmnet")) && Files.isDirectory(dir.resolve("examples"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no swarmnet checkout above " + Path.of("").toAbsolutePath());
    }

    Path kubeconfig() {
        return stateDir.resolve("kubeconfig");
    }

    Result swarmnet(String... args) {
        List<String> command = new ArrayList<>(List.of(repository.resolve("swarmnet").toString()));
        command.addAll(List.of(args));
        return run(command, Duration.ofMinutes(4));
    }

    Result kubectl(String... args) {
        List<String> command = new ArrayList<>(List.of(PinnedTool.path("kubectl").toString()));
        command.addAll(List.of(args));
        return run(command, Duration.ofMinutes(3));
    }

    /** {@code ./swarmnet sandbox exec TASK -- CMD...} */
    Result exec(String task, String... command) {
        List<String> args = new ArrayList<>(List.of("sandbox", "exec", task, "--"));
        args.addAll(List.of(command));
        return swarmnet(args.toArray(String[]::new));
    }

    Map<String, String> environment() {
        Map<String, String> env = new HashMap<>();
        env.put("SWARMNET_SANDBOX_DIR", stateDir.toString());
        env.put("SWARMNET_SANDBOX_PREFIX", prefix);
        env.put("KUBECONFIG", kubeconfig().toString());
        return env;
    }

    Process start(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(repository.toFile());
        builder.environment().putAll(environment());
        try {
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        }
    }

    Result run(List<String> command, Duration timeout) {
        Process process = start(command);
        try {
            process.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread outReader = drain(process.getInputStream(), out);
            Thread errReader = drain(process.getErrorStream(), err);
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
            }
            outReader.join(5000);
            errReader.join(5000);
            return new Result(command, process.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static Thread drain(InputStream in, ByteArrayOutputStream sink) {
        Thread thread = new Thread(() -> {
            try {
                in.transferTo(sink);
            } catch (IOException ignored) {
                // the process ended
            }
        });
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}

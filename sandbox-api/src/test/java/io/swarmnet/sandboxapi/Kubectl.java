package io.swarmnet.sandboxapi;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real kubectl against a sandbox API, the way a user would. */
final class Kubectl {

    /** The kubectl scripts/install-deps.sh builds from cluster/go.mod, where the root pom says it is. */
    static final Path BINARY = Path.of(System.getProperty("swarmnet.tools", ""), "kubectl");

    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final Path kubeconfig;
    private final Path cacheDir;
    private final Path workDir;

    Kubectl(SandboxApiServer api, Path workDir) {
        assumeTrue(Files.isExecutable(BINARY), "kubectl is not built at " + BINARY.toAbsolutePath()
                + " (system property swarmnet.tools): scripts/install-deps.sh builds it");
        this.workDir = workDir;
        this.kubeconfig = api.writeKubeconfig(workDir.resolve("kubeconfig"));
        this.cacheDir = workDir.resolve("kube-cache");
    }

    Result run(String... args) {
        Process process = start(args);
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish within 60 s");
            }
            return new Result(process.exitValue(), read(process.getInputStream()), read(process.getErrorStream()));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Starts kubectl without waiting, for {@code get -w} and {@code wait}. */
    Process start(String... args) {
        List<String> command = new ArrayList<>(List.of(BINARY.toString(), "--kubeconfig", kubeconfig.toString(),
                "--cache-dir", cacheDir.toString()));
        command.addAll(List.of(args));
        try {
            return new ProcessBuilder(command).directory(workDir.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path manifest(String name, String yaml) {
        try {
            return Files.writeString(workDir.resolve(name), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(java.io.InputStream stream) {
        try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

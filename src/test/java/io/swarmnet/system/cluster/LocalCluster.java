package io.swarmnet.system.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real Kubernetes of {@code ./swarmnet cluster}: upstream control plane, containerd and kubelet
 * per node, started for a suite and removed after it. The first start builds Kubernetes and the
 * images; later ones reuse the build.
 */
final class LocalCluster implements AutoCloseable {

    /** One command's result, its output kept for the assertion message. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        String output() {
            if (exitCode != 0) {
                throw new AssertionError(this.toString());
            }
            return stdout;
        }

        boolean succeeded() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private final Path repository;
    private final Path kubeconfig;

    private LocalCluster(Path repository, Path kubeconfig) {
        this.repository = repository;
        this.kubeconfig = kubeconfig;
    }

    /** Why this machine cannot run the cluster, or empty when it can. */
    static Optional<String> unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("the local Kubernetes cluster needs root (network namespaces, mounts, cgroups); running as "
                    + System.getProperty("user.name"));
        }
        if (run(Duration.ofSeconds(30), null, List.of("sh", "-c", "command -v go")).exitCode() != 0) {
            return Optional.of("the local Kubernetes cluster is built from source with Go 1.26 or newer, and no go is on PATH");
        }
        if (!Files.isDirectory(Path.of("/sys/fs/cgroup/memory"))) {
            return Optional.of("the local Kubernetes cluster's kubelets run on the cgroup v1 hierarchy, which this machine does not mount");
        }
        return Optional.empty();
    }

    static LocalCluster up(Path repository, int nodes) {
        Path swarmnet = repository.resolve("swarmnet");
        // a cluster a failed earlier run left behind goes first
        run(Duration.ofMinutes(2), repository, List.of(swarmnet.toString(), "cluster", "down")).output();
        // the first start builds Kubernetes (minutes on two cores) and the images
        run(Duration.ofMinutes(45), repository, List.of(swarmnet.toString(), "cluster", "up", "--nodes", Integer.toString(nodes))).output();
        String kubeconfig = run(Duration.ofSeconds(30), repository, List.of(swarmnet.toString(), "cluster", "kubeconfig")).output().trim();
        return new LocalCluster(repository, Path.of(kubeconfig));
    }

    Path kubeconfig() {
        return kubeconfig;
    }

    Result kubectl(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        return run(timeout, repository, command);
    }

    Result helm(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of("helm", "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        return run(timeout, repository, command);
    }

    /** A command on a node, as a shell on that machine would run it (its links, nft tables, /run/netns). */
    Result onNode(String node, String... command) {
        List<String> args = new ArrayList<>(List.of(repository.resolve("swarmnet").toString(), "cluster", "exec", node, "--"));
        args.addAll(List.of(command));
        return run(Duration.ofSeconds(30), repository, args);
    }

    @Override
    public void close() {
        run(Duration.ofMinutes(2), repository, List.of(repository.resolve("swarmnet").toString(), "cluster", "down")).output();
    }

    static Result run(Duration timeout, Path directory, List<String> command) {
        try {
            Path out = Files.createTempFile("cluster-cmd", ".out");
            Path err = Files.createTempFile("cluster-cmd", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command)
                        .redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                if (directory != null) {
                    builder.directory(directory.toFile());
                }
                Process process = builder.start();
                if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish in " + timeout.toSeconds() + " s; output so far:\n"
                            + Files.readString(out, StandardCharsets.UTF_8) + Files.readString(err, StandardCharsets.UTF_8));
                }
                return new Result(command, process.exitValue(),
                        Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("could not run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + String.join(" ", command), e);
        }
    }
}

package io.swarmnet.system.cluster;

import io.swarmnet.system.chart.Helm;
import io.swarmnet.system.chart.HostCommand;
import io.swarmnet.system.chart.PinnedTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The real Kubernetes of {@code ./swarmnet cluster}: upstream control plane, containerd and kubelet
 * per node, started for a suite and removed after it. The first start builds Kubernetes and the
 * images; later ones reuse the build.
 */
final class LocalCluster implements AutoCloseable {

    /** Host directories a node binds its own over; `up` creates those missing, and `down` must remove them again. */
    private static final List<Path> NODE_DIRECTORIES = List.of(Path.of("/var/lib/kubelet"), Path.of("/var/lib/containerd"),
            Path.of("/var/lib/cni"), Path.of("/etc/cni"), Path.of("/var/log/pods"), Path.of("/var/log/containers"),
            Path.of("/var/lib/swarmnet"));

    private final Path repository;
    private final Path kubeconfig;
    private final List<Path> absentBefore;

    private LocalCluster(Path repository, Path kubeconfig, List<Path> absentBefore) {
        this.repository = repository;
        this.kubeconfig = kubeconfig;
        this.absentBefore = absentBefore;
    }

    /** Why this machine cannot run the cluster, or empty when it can. */
    static Optional<String> unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("the local Kubernetes cluster needs root (network namespaces, mounts, cgroups); running as "
                    + System.getProperty("user.name"));
        }
        if (HostCommand.run(Duration.ofSeconds(30), List.of("sh", "-c", "command -v go")).exitCode() != 0) {
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
        HostCommand.run(Duration.ofMinutes(2), List.of(swarmnet.toString(), "cluster", "down")).output();
        List<Path> absentBefore = NODE_DIRECTORIES.stream().filter(d -> !Files.exists(d)).toList();
        // the first start builds Kubernetes (minutes on two cores) and the images
        HostCommand.run(Duration.ofMinutes(45), List.of(swarmnet.toString(), "cluster", "up", "--nodes", Integer.toString(nodes))).output();
        String kubeconfig = HostCommand.run(Duration.ofSeconds(30), List.of(swarmnet.toString(), "cluster", "kubeconfig")).output().trim();
        return new LocalCluster(repository, Path.of(kubeconfig), absentBefore);
    }

    Path kubeconfig() {
        return kubeconfig;
    }

    HostCommand.Result kubectl(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(PinnedTool.path("kubectl").toString(), "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        return HostCommand.run(timeout, command);
    }

    HostCommand.Result helm(Duration timeout, String... args) {
        Helm helm = Helm.installed().orElseThrow(() -> new AssertionError(Helm.MISSING));
        List<String> command = new ArrayList<>(List.of("--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        return helm.run(timeout, command);
    }

    /** A command on a node, as a shell on that machine would run it (its links, nft tables, /run/netns). */
    HostCommand.Result onNode(String node, String... command) {
        List<String> args = new ArrayList<>(List.of(repository.resolve("swarmnet").toString(), "cluster", "exec", node, "--"));
        args.addAll(List.of(command));
        return HostCommand.run(Duration.ofSeconds(30), args);
    }

    HostCommand.Result swarmnet(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(repository.resolve("swarmnet").toString()));
        command.addAll(List.of(args));
        return HostCommand.run(timeout, command);
    }

    HostCommand.Result down() {
        return swarmnet(Duration.ofMinutes(2), "cluster", "down");
    }

    /** After down: no node namespace, bridge, cgroup, kubeconfig or directory the cluster made is left. */
    void assertNothingLeft() throws java.io.IOException {
        String namespaces = HostCommand.run(Duration.ofSeconds(30), List.of("ip", "netns", "list")).output();
        String links = HostCommand.run(Duration.ofSeconds(30), List.of("ip", "-o", "link")).output();
        List<String> cgroups = new ArrayList<>();
        try (var hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                try (var groups = Files.list(h)) {
                    groups.filter(g -> g.getFileName().toString().startsWith("skc")).forEach(g -> cgroups.add(g.toString()));
                } catch (java.io.IOException e) {
                    // not a hierarchy (a file at the top of /sys/fs/cgroup)
                }
            }
        }
        List<Path> directories = absentBefore.stream().filter(Files::exists).toList();
        if (namespaces.lines().anyMatch(l -> l.startsWith("skc")) || links.contains(": skc") || !cgroups.isEmpty()
                || Files.exists(kubeconfig) || !directories.isEmpty()) {
            throw new AssertionError("cluster down left something behind:\nnetwork namespaces:\n" + namespaces
                    + "links with skc: " + links.lines().filter(l -> l.contains(": skc")).toList() + "\ncgroups: " + cgroups
                    + "\nkubeconfig still there: " + Files.exists(kubeconfig) + "\ndirectories up made: " + directories);
        }
    }

    @Override
    public void close() {
        down().output();
    }

}

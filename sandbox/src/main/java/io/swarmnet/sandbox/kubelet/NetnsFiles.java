package io.swarmnet.sandbox.kubelet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The per-namespace files under /etc/netns/NAME that {@code ip netns exec} mounts over /etc, and the namespace's processes. */
public final class NetnsFiles {

    static final Path ETC_NETNS = Path.of("/etc/netns");

    private NetnsFiles() {
    }

    public static void write(String netns, Map<String, String> files) {
        Path dir = ETC_NETNS.resolve(netns);
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, String> file : files.entrySet()) {
                Files.writeString(dir.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir + " for network namespace " + netns
                    + "; the sandbox must run as root", e);
        }
    }

    public static void remove(String netns) {
        Path dir = ETC_NETNS.resolve(netns);
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }

    /** SIGKILL to every process still in the namespace (ip netns pids), e.g. one that left its process group. */
    public static void killRemaining(String netns) {
        HostPrograms.Result pids = HostPrograms.run(List.of(HostPrograms.IP, "netns", "pids", netns));
        if (!pids.ok()) {
            return;
        }
        for (String pid : pids.output().split("\\s+")) {
            if (pid.matches("\\d+")) {
                HostPrograms.run(List.of(HostPrograms.KILL, "-s", "KILL", pid));
            }
        }
    }
}

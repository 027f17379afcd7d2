package io.swarmnet.agent.netns;

import io.swarmnet.agent.desired.PodRef;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds a pod's network namespace on a real node from its UID: every container of the pod lives in a cgroup
 * whose path carries the UID, and /proc/PID/cgroup shows it for any process (the agent runs with hostPID).
 *
 * <p>The UID appears as {@code pod<uid>} with dashes under the cgroupfs driver
 * ({@code /kubepods/besteffort/pod1b4e…-…/<container>}) and with underscores under the systemd driver
 * ({@code /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b4e…_….slice/…}), the same in
 * cgroup v1 (one line per controller) and v2 (a single {@code 0::} line). A process of the pod whose network
 * namespace is the host's is skipped: a hostNetwork pod has no namespace of its own to attach to.
 */
public final class ProcPodNamespaceLocator implements PodNamespaceLocator {

    /** Beyond this many remembered pods the memory is dropped; it is only a shortcut past the /proc scan. */
    private static final int MAX_REMEMBERED = 4096;

    private final Path proc;
    private final Map<String, Long> rememberedPid = new ConcurrentHashMap<>();

    public ProcPodNamespaceLocator() {
        this(Path.of("/proc"));
    }

    /** @param proc the proc filesystem root; tests pass a fake tree */
    public ProcPodNamespaceLocator(Path proc) {
        this.proc = proc;
    }

    @Override
    public Optional<Path> find(PodRef pod) {
        if (pod.uid() == null || pod.uid().isBlank()) {
            return Optional.empty();
        }
        String dashed = "pod" + pod.uid().toLowerCase(java.util.Locale.ROOT);
        String underscored = dashed.replace('-', '_');
        Optional<String> hostNamespace = namespaceOf(1); // with hostPID, PID 1 is the host's init
        Long remembered = rememberedPid.get(pod.uid());
        if (remembered != null && belongsToPod(remembered, dashed, underscored, hostNamespace)) {
            return Optional.of(netPath(remembered));
        }
        rememberedPid.remove(pod.uid());
        for (long pid : pids()) {
            if (belongsToPod(pid, dashed, underscored, hostNamespace)) {
                if (rememberedPid.size() >= MAX_REMEMBERED) {
                    rememberedPid.clear();
                }
                rememberedPid.put(pod.uid(), pid);
                return Optional.of(netPath(pid));
            }
        }
        return Optional.empty();
    }

    private Path netPath(long pid) {
        return proc.resolve(Long.toString(pid)).resolve("ns").resolve("net");
    }

    private boolean belongsToPod(long pid, String dashed, String underscored, Optional<String> hostNamespace) {
        List<String> lines;
        try {
            lines = Files.readAllLines(proc.resolve(Long.toString(pid)).resolve("cgroup"));
        } catch (IOException | SecurityException e) {
            return false; // the process exited while we looked, or is not readable: not a candidate
        }
        boolean inPod = lines.stream().anyMatch(line -> containsToken(line, dashed) || containsToken(line, underscored));
        if (!inPod) {
            return false;
        }
        Optional<String> namespace = namespaceOf(pid);
        return namespace.isPresent() && !namespace.equals(hostNamespace);
    }

    /** True when {@code token} occurs in {@code line} and is not merely the prefix of a longer identifier. */
    private static boolean containsToken(String line, String token) {
        int from = 0;
        while (true) {
            int at = line.indexOf(token, from);
            if (at < 0) {
                return false;
            }
            int end = at + token.length();
            if (end == line.length() || !isIdChar(line.charAt(end))) {
                return true;
            }
            from = at + 1;
        }
    }

    private static boolean isIdChar(char c) {
        return Character.isLetterOrDigit(c) || c == '-' || c == '_';
    }

    /** The namespace identity, e.g. {@code net:[4026532281]}, from the /proc/PID/ns/net link. */
    private Optional<String> namespaceOf(long pid) {
        try {
            return Optional.of(Files.readSymbolicLink(netPath(pid)).toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** Numeric entries of /proc in ascending order, so the pod's first process (its sandbox) is preferred. */
    private List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.isEmpty() && name.chars().allMatch(Character::isDigit) && name.length() < 19) {
                    pids.add(Long.parseLong(name));
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        pids.sort(null);
        return pids;
    }
}

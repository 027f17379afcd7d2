package io.swarmnet.agent.netns;

import io.swarmnet.agent.desired.PodRef;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a pod's network namespace on a real node from its UID: every container of the pod lives in a cgroup
 * whose path carries the UID, and /proc/PID/cgroup shows it for any process (the agent runs with hostPID).
 *
 * <p>The UID appears as {@code pod<uid>} with dashes under the cgroupfs driver
 * ({@code /kubepods/besteffort/pod1b4e…-…/<container>}) and with underscores under the systemd driver
 * ({@code /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b4e…_….slice/…}), the same in
 * cgroup v1 (one line per controller) and v2 (a single {@code 0::} line). A process of the pod whose network
 * namespace is the host's is skipped: a hostNetwork pod has no namespace of its own to attach to. Of the
 * others the one that started first is taken (its start time in /proc/PID/stat): the pod's sandbox, which lives as long
 * as the pod. Not the lowest PID: PIDs wrap around ({@code kernel.pid_max}, 32,768 by default), and a short-lived
 * process of the pod — a {@code kubectl exec} — then often has a lower PID than the sandbox, and a path through it stops
 * naming the namespace when it exits (the resolver lost a pod that way across an agent rollout).
 *
 * <p>One scan of /proc indexes every pod on the node, so a node with thousands of pods costs one scan, not one
 * per pod; a pod not found triggers a new scan at most every {@link #RESCAN_INTERVAL_NANOS}. Thread-safe.
 */
public final class ProcPodNamespaceLocator implements PodNamespaceLocator {

    /** A UID (8-4-4-4-12 hex, dashes or underscores) after "pod", not followed by more identifier characters. */
    private static final Pattern POD_UID = Pattern.compile(
            "pod([0-9a-fA-F]{8}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{12})(?![0-9a-zA-Z_-])");
    private static final long RESCAN_INTERVAL_NANOS = 100_000_000L;

    private final Path proc;
    private final long rescanIntervalNanos;
    private Map<String, Long> index = Map.of();
    private long lastScan;
    private boolean scanned;

    public ProcPodNamespaceLocator() {
        this(Path.of("/proc"));
    }

    /** @param proc the proc filesystem root; tests pass a fake tree */
    public ProcPodNamespaceLocator(Path proc) {
        this(proc, RESCAN_INTERVAL_NANOS);
    }

    private ProcPodNamespaceLocator(Path proc, long rescanIntervalNanos) {
        this.proc = proc;
        this.rescanIntervalNanos = rescanIntervalNanos;
    }

    /**
     * A locator for many lookups at one moment (a restarted resolver's saved pods): one scan at its first lookup, none
     * for a pod it did not find then — a node's gone pods would otherwise cost a scan each.
     */
    public static ProcPodNamespaceLocator scanningOnce(Path proc) {
        return new ProcPodNamespaceLocator(proc, Long.MAX_VALUE);
    }

    @Override
    public synchronized Optional<Path> find(PodRef pod) {
        if (pod.uid() == null || pod.uid().isBlank()) {
            return Optional.empty();
        }
        String uid = normalize(pod.uid());
        Set<String> host = hostNamespaces();
        Long pid = index.get(uid);
        if (pid != null && stillInPod(pid, uid, host)) {
            return Optional.of(netPath(pid));
        }
        if (!scanned || System.nanoTime() - lastScan >= rescanIntervalNanos || pid != null) {
            scan(host);
            pid = index.get(uid);
            if (pid != null) {
                return Optional.of(netPath(pid));
            }
        }
        return Optional.empty();
    }

    private static String normalize(String uid) {
        return uid.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * The namespaces no pod of its own is in: PID 1's (with hostPID, the host's init) and the agent's own, which is the
     * node's (the agent runs in the host network). They differ where a node is itself a network namespace of a bigger
     * machine, as in the local test cluster; there a process of the pod in the node's namespace (a runtime shim the
     * runtime placed in the pod's cgroup) must not pass for the pod.
     */
    private Set<String> hostNamespaces() {
        Set<String> host = new HashSet<>(2);
        namespaceOf(proc.resolve("1")).ifPresent(host::add);
        namespaceOf(proc.resolve("self")).ifPresent(host::add);
        return host;
    }

    private void scan(Set<String> host) {
        Map<String, Long> found = new HashMap<>();
        Map<String, Long> started = new HashMap<>();
        for (long pid : pids()) { // ascending: of processes that started in the same tick, the lowest PID
            List<String> uids = podUids(pid);
            if (uids.isEmpty() || !ownNamespace(pid, host)) {
                continue;
            }
            long start = startTime(proc.resolve(Long.toString(pid)));
            for (String uid : uids) {
                Long earliest = started.get(uid);
                if (earliest == null || start < earliest) {
                    found.put(uid, pid);
                    started.put(uid, start);
                }
            }
        }
        index = found;
        lastScan = System.nanoTime();
        scanned = true;
    }

    /**
     * When the process at {@code process} (a /proc/PID directory) started, in clock ticks since boot (field 22 of its
     * {@code stat}, counted after the command name, which may hold spaces and parentheses); {@link Long#MAX_VALUE} when
     * unreadable (it exited meanwhile), so that any process whose start is known comes first.
     */
    static long startTime(Path process) {
        try {
            String stat = Files.readString(process.resolve("stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return Long.parseLong(fields[19]); // fields[0] is field 3 (state)
        } catch (IOException | RuntimeException e) { // gone, unreadable or not the format of a stat file
            return Long.MAX_VALUE;
        }
    }

    /** The pod UIDs in a process's cgroup file (normally one; none for processes outside pods). */
    private List<String> podUids(long pid) {
        return podUids(proc.resolve(Long.toString(pid)));
    }

    /** The pod UIDs in the cgroup file of the process at {@code process} (a /proc/PID directory), normalized. */
    private static List<String> podUids(Path process) {
        List<String> lines;
        try {
            lines = Files.readAllLines(process.resolve("cgroup"));
        } catch (IOException | SecurityException e) {
            return List.of(); // the process exited while we looked, or is not readable: not a candidate
        }
        List<String> uids = new ArrayList<>(1);
        for (String line : lines) {
            Matcher m = POD_UID.matcher(line);
            while (m.find()) {
                String uid = normalize(m.group(1));
                if (!uids.contains(uid)) {
                    uids.add(uid);
                }
            }
        }
        return uids;
    }

    /** Whether the process at {@code process} (a /proc/PID directory) is one of pod {@code pod}'s, by its cgroups. */
    public static boolean inPod(Path process, PodRef pod) {
        return pod.uid() != null && podUids(process).contains(normalize(pod.uid()));
    }

    private boolean stillInPod(long pid, String uid, Set<String> host) {
        return podUids(pid).contains(uid) && ownNamespace(pid, host);
    }

    private boolean ownNamespace(long pid, Set<String> host) {
        Optional<String> namespace = namespaceOf(proc.resolve(Long.toString(pid)));
        return namespace.isPresent() && !host.contains(namespace.get());
    }

    private Path netPath(long pid) {
        return proc.resolve(Long.toString(pid)).resolve("ns").resolve("net");
    }

    /** The namespace identity, e.g. {@code net:[4026532281]}, from the /proc/PID/ns/net link. */
    private static Optional<String> namespaceOf(Path process) {
        try {
            return Optional.of(Files.readSymbolicLink(process.resolve("ns").resolve("net")).toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** Numeric entries of /proc in ascending order. */
    private List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.isEmpty() && name.length() < 19 && name.chars().allMatch(Character::isDigit)) {
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

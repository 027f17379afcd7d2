package io.swarmnet.agent.bpf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The mounts this process sees ({@code /proc/self/mountinfo}): where the cgroup2 root is, and whether a directory is on
 * a BPF file system, which the socket balancer needs to know before it attaches or pins anything. Pure once read.
 */
public final class MountTable {

    /** One mount: where it is mounted and its file system type. */
    public record Mount(Path point, String type) {
    }

    private final List<Mount> mounts;

    private MountTable(List<Mount> mounts) {
        this.mounts = List.copyOf(mounts);
    }

    public static MountTable read() throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/self/mountinfo")));
    }

    /** Lines as in mountinfo(5): the fifth field the mount point (octal escapes such as {@code \040}), the type after " - ". */
    public static MountTable parse(List<String> lines) {
        List<Mount> mounts = new ArrayList<>();
        for (String line : lines) {
            int separator = line.indexOf(" - ");
            if (separator < 0) {
                continue;
            }
            String[] before = line.substring(0, separator).split(" ");
            String[] after = line.substring(separator + 3).split(" ");
            if (before.length > 4 && after.length > 0 && before[4].startsWith("/")) {
                mounts.add(new Mount(Path.of(unescape(before[4])), after[0]));
            }
        }
        return new MountTable(mounts);
    }

    /** The first mount of that type, in the order the kernel lists them. */
    public Optional<Path> first(String type) {
        return mounts.stream().filter(m -> m.type().equals(type)).map(Mount::point).findFirst();
    }

    /**
     * The type of the file system {@code path} is on: that of the mount with the longest mount point above it (or at it),
     * the one listed last where several are mounted on one point (the last covers the others). The path need not exist.
     */
    public Optional<String> typeAt(Path path) {
        Path target = path.toAbsolutePath().normalize();
        Mount found = null;
        for (Mount m : mounts) {
            if (target.startsWith(m.point()) && (found == null || m.point().getNameCount() >= found.point().getNameCount())) {
                found = m;
            }
        }
        return Optional.ofNullable(found).map(Mount::type);
    }

    /** Whether {@code path} is itself a mount point of that type. */
    public boolean isMountOf(Path path, String type) {
        Path target = path.toAbsolutePath().normalize();
        return typeAt(target).filter(type::equals).isPresent() && mounts.stream().anyMatch(m -> m.point().equals(target));
    }

    private static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}

package io.swarmnet.agent.bpf;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.swarmnet.agent.netns.Libc;
import io.swarmnet.agent.netns.NetworkNamespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The bpf(2) commands the agent uses, called directly (no libbpf): maps, loading a program (with the verifier's log
 * when it is refused), attaching it to a cgroup through a BPF link, and the network namespace cookie that the
 * programs compare against. Every file descriptor returned is the caller's to close with {@link #close(int)}.
 */
public final class Bpf {

    static final int MAP_CREATE = 0;
    static final int MAP_LOOKUP_ELEM = 1;
    static final int MAP_UPDATE_ELEM = 2;
    static final int MAP_DELETE_ELEM = 3;
    static final int MAP_GET_NEXT_KEY = 4;
    static final int PROG_LOAD = 5;
    static final int OBJ_PIN = 6;
    static final int OBJ_GET = 7;
    static final int OBJ_GET_INFO_BY_FD = 15;
    static final int LINK_CREATE = 28;
    static final int LINK_UPDATE = 29;

    static final int MAP_TYPE_HASH = 1;
    static final int MAP_TYPE_LRU_HASH = 9;
    static final int PROG_TYPE_CGROUP_SOCK_ADDR = 18;

    /** The size of union bpf_attr this code fills; the kernel accepts a shorter one when the rest would be zero. */
    private static final int ATTR_SIZE = 128;
    private static final int SO_NETNS_COOKIE = 71;
    private static final long SYS_BPF = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 321;
        case "aarch64" -> 280;
        default -> -1;
    };

    static {
        Native.register(Bpf.class, "c");
    }

    private Bpf() {
    }

    private static native long syscall(long number, long command, Pointer attr, long size) throws LastErrorException;

    private static long bpf(int command, Attr attr, String what) throws IOException {
        if (SYS_BPF < 0) {
            throw new IOException(what + ": bpf(2) is not known on " + System.getProperty("os.arch"));
        }
        try {
            return syscall(SYS_BPF, command, attr, ATTR_SIZE);
        } catch (LastErrorException e) {
            throw new BpfException(what, e.getErrorCode());
        } finally {
            // the buffers it points at are freed once unreachable: not before the kernel has read them
            java.lang.ref.Reference.reachabilityFence(attr);
        }
    }

    /** A union bpf_attr, holding the buffers it points at (keys, values, instructions, names) for as long as it lives. */
    private static final class Attr extends Memory {
        private final List<Memory> buffers = new ArrayList<>();

        Attr() {
            super(ATTR_SIZE);
            clear();
        }

        Attr point(long offset, Memory buffer) {
            setPointer(offset, buffer);
            buffers.add(buffer);
            return this;
        }
    }

    private static Attr attr() {
        return new Attr();
    }

    private static void putName(Attr attr, long offset, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        attr.write(offset, bytes, 0, Math.min(bytes.length, 15));
    }

    /** A hash map's entries allocated as they are added, not all when it is created. */
    static final int MAP_NO_PREALLOC = 1;

    static int mapCreate(int type, int keySize, int valueSize, int maxEntries, int flags, String name) throws IOException {
        Attr attr = attr();
        attr.setInt(0, type);
        attr.setInt(4, keySize);
        attr.setInt(8, valueSize);
        attr.setInt(12, maxEntries);
        attr.setInt(16, flags);
        putName(attr, 28, name);
        return (int) bpf(MAP_CREATE, attr, "creating BPF map " + name);
    }

    static void mapUpdate(int mapFd, byte[] key, byte[] value) throws IOException {
        Memory k = memory(key);
        Memory v = memory(value);
        Attr attr = attr();
        attr.setInt(0, mapFd);
        attr.point(8, k);
        attr.point(16, v);
        bpf(MAP_UPDATE_ELEM, attr, "updating a BPF map");
    }

    /** Whether the key was there. */
    static boolean mapDelete(int mapFd, byte[] key) throws IOException {
        Attr attr = attr();
        attr.setInt(0, mapFd);
        attr.point(8, memory(key));
        return unlessAbsent(MAP_DELETE_ELEM, attr, "deleting from a BPF map");
    }

    /** The command run; false when the kernel answers that the key is not there (ENOENT), which the callers expect. */
    private static boolean unlessAbsent(int command, Attr attr, String what) throws IOException {
        try {
            bpf(command, attr, what);
            return true;
        } catch (BpfException e) {
            if (e.errno() == Libc.ENOENT) {
                return false;
            }
            throw e;
        }
    }

    /** The value under {@code key}, or null. */
    static byte[] mapLookup(int mapFd, byte[] key, int valueSize) throws IOException {
        Memory v = new Memory(valueSize);
        Attr attr = attr();
        attr.setInt(0, mapFd);
        attr.point(8, memory(key));
        attr.point(16, v);
        return unlessAbsent(MAP_LOOKUP_ELEM, attr, "reading a BPF map") ? v.getByteArray(0, valueSize) : null;
    }

    /** Every key of a map, in the kernel's order (a map changed meanwhile may give some twice or not at all). */
    static List<byte[]> mapKeys(int mapFd, int keySize) throws IOException {
        List<byte[]> keys = new ArrayList<>();
        Memory key = new Memory(keySize);
        Memory next = new Memory(keySize);
        Attr attr = attr();
        attr.setInt(0, mapFd);
        attr.point(8, key).setPointer(8, null); // held by the attributes, asked for only from the second call
        attr.point(16, next);
        // the last key has no next one: ENOENT
        while (unlessAbsent(MAP_GET_NEXT_KEY, attr, "listing a BPF map's keys")) {
            byte[] found = next.getByteArray(0, keySize);
            keys.add(found);
            key.write(0, found, 0, keySize);
            attr.setPointer(8, key);
        }
        return keys;
    }

    static int progLoad(int type, int expectedAttachType, byte[] instructions, String name) throws IOException {
        Memory insns = memory(instructions);
        Memory license = new Memory(4);
        license.setString(0, "GPL", "US-ASCII");
        Memory log = new Memory(1 << 16);
        log.clear();
        Attr attr = attr();
        attr.setInt(0, type);
        attr.setInt(4, instructions.length / 8);
        attr.point(8, insns);
        attr.point(16, license);
        attr.setInt(24, 1);
        attr.setInt(28, (int) log.size());
        attr.point(32, log);
        putName(attr, 48, name);
        attr.setInt(68, expectedAttachType);
        try {
            return (int) bpf(PROG_LOAD, attr, "loading BPF program " + name);
        } catch (BpfException e) {
            String verifier = log.getString(0, "US-ASCII").strip();
            throw new BpfException("loading BPF program " + name
                    + (verifier.isEmpty() ? "" : "; the kernel's verifier said:\n" + verifier), e.errno());
        }
    }

    /** Attaches a program to a cgroup through a BPF link: detached when the link's last descriptor closes. */
    static int linkCreate(int progFd, int targetFd, int attachType, String what) throws IOException {
        Attr attr = attr();
        attr.setInt(0, progFd);
        attr.setInt(4, targetFd);
        attr.setInt(8, attachType);
        return (int) bpf(LINK_CREATE, attr, what);
    }

    /** Replaces the program of an attached link in one step: no moment without a program. */
    static void linkUpdate(int linkFd, int progFd, String what) throws IOException {
        Attr attr = attr();
        attr.setInt(0, linkFd);
        attr.setInt(4, progFd);
        bpf(LINK_UPDATE, attr, what);
    }

    /** Pins a map, program or link at {@code path} in a BPF file system: it then outlives every descriptor. */
    static void pin(int fd, Path path) throws IOException {
        Attr attr = pathAttr(path);
        attr.setInt(8, fd);
        bpf(OBJ_PIN, attr, "pinning a BPF object at " + path);
    }

    /** A descriptor of the object pinned at {@code path}. */
    static int pinned(Path path) throws IOException {
        return (int) bpf(OBJ_GET, pathAttr(path), "opening the BPF object pinned at " + path);
    }

    /** The attributes of OBJ_PIN and OBJ_GET: the path, NUL-terminated. */
    private static Attr pathAttr(Path path) {
        return attr().point(0, memory((path + "\0").getBytes(StandardCharsets.UTF_8)));
    }

    /** What the kernel says of a map: its type and sizes. */
    record MapInfo(int type, int keySize, int valueSize, int maxEntries, int flags) {
    }

    /** The kernel's id of a program (bpf_prog_info.id), by which a link names the program it runs. */
    static int programId(int progFd) throws IOException {
        return info(progFd, "reading a BPF program's description").getInt(4);
    }

    /** The id of the program a link runs (bpf_link_info.prog_id): another's after a BPF_LINK_UPDATE by someone else. */
    static int linkProgramId(int linkFd) throws IOException {
        return info(linkFd, "reading a BPF link's description").getInt(8);
    }

    private static Memory info(int fd, String what) throws IOException {
        Memory info = new Memory(128);
        info.clear();
        Attr attr = attr();
        attr.setInt(0, fd);
        attr.setInt(4, (int) info.size());
        attr.point(8, info);
        bpf(OBJ_GET_INFO_BY_FD, attr, what);
        return info;
    }

    static MapInfo mapInfo(int mapFd) throws IOException {
        Memory info = info(mapFd, "reading a BPF map's description");
        return new MapInfo(info.getInt(0), info.getInt(8), info.getInt(12), info.getInt(16), info.getInt(20));
    }

    static void close(int fd) {
        if (fd >= 0) {
            Libc.close(fd);
        }
    }

    /**
     * The cookie the kernel gives the network namespace at {@code namespace} (SO_NETNS_COOKIE of a socket opened in
     * it): what {@code bpf_get_netns_cookie} returns to a program running for a socket of that namespace.
     */
    public static long netnsCookie(Path namespace) throws IOException {
        return NetworkNamespace.callInside(namespace, "swarmnet-netns-cookie", Bpf::ownNetnsCookie);
    }

    /** The cookie of the calling thread's network namespace. */
    public static long ownNetnsCookie() throws IOException {
        int fd;
        try {
            fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new IOException("cannot open a socket to read the network namespace's cookie (errno "
                    + e.getErrorCode() + ")");
        }
        try {
            Memory value = new Memory(8);
            Memory length = new Memory(4);
            length.setInt(0, 8);
            Libc.getsockopt(fd, Libc.SOL_SOCKET, SO_NETNS_COOKIE, value, length);
            return value.getLong(0);
        } catch (LastErrorException e) {
            throw new IOException("the kernel does not tell network namespace cookies (SO_NETNS_COOKIE, Linux 5.14): errno "
                    + e.getErrorCode());
        } finally {
            Libc.close(fd);
        }
    }

    private static Memory memory(byte[] bytes) {
        Memory m = new Memory(Math.max(1, bytes.length));
        m.write(0, bytes, 0, bytes.length);
        return m;
    }

    /** A bpf(2) command the kernel refused, with its errno. */
    public static final class BpfException extends IOException {
        private final int errno;

        BpfException(String what, int errno) {
            super(what + ": errno " + errno + describe(errno));
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }

        private static String describe(int errno) {
            return switch (errno) {
                case Libc.EPERM -> " (not permitted: the agent needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN)";
                case Libc.EINVAL -> " (invalid argument: this kernel may not know the command, program type or helper)";
                case Libc.EACCES -> " (refused by the verifier)";
                default -> "";
            };
        }
    }
}

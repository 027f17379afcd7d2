package io.swarmnet.agent.bpf;

import com.sun.jna.LastErrorException;
import io.swarmnet.agent.netns.Libc;
import io.swarmnet.api.net.IpAddress;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Virtual-IP load balancing at the socket, not on the packets: cgroup socket-address programs rewrite the address a
 * socket connects or sends to, so a connection to a VIP is a connection to one backend from its first packet, and no
 * packet of it is translated or tracked by netfilter.
 *
 * <p>Eight small programs, attached to a cgroup (the cgroup2 root covers every process of the machine), run in the
 * calling process's context:
 * <ul>
 *   <li>{@code connect4}/{@code connect6} and {@code sendmsg4}/{@code sendmsg6} (unconnected UDP): if the socket's
 *       network namespace has a route for the destination — looked up by (namespace cookie, address, port, protocol),
 *       then by (namespace cookie, address) for any port and protocol — the destination becomes one of the route's
 *       group's backends, chosen at random for a connect and by the socket's cookie for a datagram (a socket keeps
 *       its backend), and the port the route names if it names one. A group without backends refuses: the call
 *       fails with {@code ECONNREFUSED}, as a VIP without tasks does in Docker. The original destination is noted
 *       under (socket cookie, backend address, port).</li>
 *   <li>{@code recvmsg4}/{@code recvmsg6} and {@code getpeername4}/{@code getpeername6}: a datagram's source, and a
 *       connected socket's peer, noted that way are shown as the address the program was asked for, so a UDP client
 *       that checks where its answer came from, and {@code getpeername}, see the VIP.</li>
 * </ul>
 * The {@code 6} programs act on IPv4-mapped addresses only ({@code ::ffff:a.b.c.d}: what a dual-stack socket, such as
 * Java's, uses for IPv4); other IPv6 destinations pass unchanged.
 *
 * <p>Maps: {@code routes} (namespace cookie, address, port or 0, protocol or 0) → (group, port or 0); {@code groups}
 * group → backend count; {@code backends} (group, index) → address; {@code origins}, an LRU map, (socket cookie,
 * backend, port) → what was asked for. A namespace that has no route is not touched: two lookups per
 * connect (its port and protocol, then the address alone).
 *
 * <p>The programs are attached through BPF links, which the kernel detaches when the last descriptor closes: when
 * {@link #close()} runs, or the process ends in any way — unless they are pinned ({@link #attachPinned}), as the agent
 * needs them: then they keep balancing while no process holds them, and the next instance adopts the maps and swaps
 * its programs into the links without a moment unbalanced.
 */
public final class SocketLoadBalancer implements Closeable {

    static final int CONNECT4 = 10;
    static final int CONNECT6 = 11;
    static final int SENDMSG4 = 14;
    static final int SENDMSG6 = 15;
    static final int RECVMSG4 = 19;
    static final int RECVMSG6 = 20;
    static final int GETPEERNAME4 = 29;
    static final int GETPEERNAME6 = 30;

    private static final int HELPER_MAP_LOOKUP = 1;
    private static final int HELPER_MAP_UPDATE = 2;
    private static final int HELPER_PRANDOM = 7;
    private static final int HELPER_SOCKET_COOKIE = 46;
    private static final int HELPER_NETNS_COOKIE = 122;
    private static final int HELPER_SET_RETVAL = 187;
    private static final int ECONNREFUSED = 111;

    // struct bpf_sock_addr
    private static final int USER_IP4 = 4;
    private static final int USER_IP6 = 8;
    private static final int USER_PORT = 24;
    private static final int PROTOCOL = 36;

    public static final int TCP = 6;
    public static final int UDP = 17;
    /**
     * Routes, groups, backend slots and noted origins the maps hold at most. The first three are allocated as they
     * fill; the LRU map of origins is allocated whole (≈ 5 MB of kernel memory), its oldest entries replaced when full.
     */
    private static final int ROUTES = 262_144;
    private static final int GROUPS = 65_536;
    private static final int BACKENDS = 262_144;
    private static final int ORIGINS = 65_536;

    /** A map this balancer needs: its name's suffix, type, sizes and flags. */
    private record MapSpec(String suffix, int type, int keySize, int valueSize, int maxEntries, int flags) {
        boolean describes(Bpf.MapInfo info) {
            return info.type() == type && info.keySize() == keySize && info.valueSize() == valueSize
                    && info.maxEntries() == maxEntries && info.flags() == flags;
        }
    }

    private static final List<MapSpec> MAPS = List.of(
            new MapSpec("_rt", Bpf.MAP_TYPE_HASH, 16, 8, ROUTES, Bpf.MAP_NO_PREALLOC),
            new MapSpec("_gr", Bpf.MAP_TYPE_HASH, 4, 4, GROUPS, Bpf.MAP_NO_PREALLOC),
            new MapSpec("_be", Bpf.MAP_TYPE_HASH, 8, 4, BACKENDS, Bpf.MAP_NO_PREALLOC),
            new MapSpec("_or", Bpf.MAP_TYPE_LRU_HASH, 16, 8, ORIGINS, 0));
    /** The hooks, each with its program's name suffix; the v6 ones act on IPv4-mapped addresses. */
    private static final int[] HOOKS = {CONNECT4, CONNECT6, SENDMSG4, SENDMSG6, RECVMSG4, RECVMSG6, GETPEERNAME4, GETPEERNAME6};
    private static final String[] HOOK_SUFFIXES = {"_c4", "_c6", "_s4", "_s6", "_r4", "_r6", "_p4", "_p6"};

    private final String name;
    private final Optional<Path> pins;
    private final List<Integer> fds = new ArrayList<>();
    private final List<Integer> programs = new ArrayList<>();
    private final List<Integer> links = new ArrayList<>();
    private int routes = -1;
    private int groups = -1;
    private int backends = -1;
    private int origins = -1;
    private boolean adopted;

    private SocketLoadBalancer(String name, Optional<Path> pins) {
        this.name = name;
        this.pins = pins;
    }

    /**
     * Loads the maps and programs and attaches the programs to the cgroup at {@code cgroup} (a directory of a cgroup2
     * mount) for as long as this object is open. {@code name}: at most 8 characters, the start of the maps' and
     * programs' names as bpftool lists them.
     */
    public static SocketLoadBalancer attach(Path cgroup, String name) throws IOException {
        return open(cgroup, name, Optional.empty());
    }

    /**
     * The same, kept across restarts: the maps and links are pinned in {@code pins} (a directory in a BPF file system),
     * so the programs stay attached and keep balancing after this process ends. A later call with the same directory
     * adopts the maps as they are — every route and backend written before — and puts freshly loaded programs into the
     * pinned links, each in one step. Maps whose type or sizes are not this version's are replaced (empty), as are
     * pins of ours that cannot be adopted. {@link #remove()} takes it all away.
     */
    public static SocketLoadBalancer attachPinned(Path cgroup, String name, Path pins) throws IOException {
        return open(cgroup, name, Optional.of(pins));
    }

    private static SocketLoadBalancer open(Path cgroup, String name, Optional<Path> pins) throws IOException {
        SocketLoadBalancer lb = new SocketLoadBalancer(name, pins);
        try {
            lb.openMaps();
            lb.load(cgroup);
            return lb;
        } catch (IOException | RuntimeException e) {
            if (pins.isPresent() && !lb.adopted) {
                // what this call pinned is of no use to anyone: a balancer whose programs the kernel refused
                try {
                    lb.remove();
                } catch (IOException removing) {
                    e.addSuppressed(removing);
                    lb.close();
                }
            } else {
                lb.close();
            }
            throw e;
        }
    }

    /**
     * Whether every link pinned for this balancer still runs this instance's program: false once a successor (the agent
     * a rollout starts beside this one) adopted the pins and put its own programs in, or removed them.
     */
    public boolean pinsStillRunOurPrograms() throws IOException {
        if (pins.isEmpty()) {
            return false;
        }
        java.util.Set<Integer> ours = new java.util.HashSet<>();
        for (int fd : programs) {
            ours.add(Bpf.programId(fd));
        }
        for (String suffix : HOOK_SUFFIXES) {
            Path pin = pins.get().resolve(name + suffix);
            if (!Files.exists(pin)) {
                return false;
            }
            int link = Bpf.pinned(pin);
            try {
                if (!ours.contains(Bpf.linkProgramId(link))) {
                    return false;
                }
            } finally {
                Bpf.close(link);
            }
        }
        return true;
    }

    /**
     * Removes a balancer named {@code name} pinned in {@code pins} by an earlier process (its programs detach, its maps
     * go), and the directory when nothing else is left in it. Returns whether anything of it was there.
     */
    public static boolean removePinned(Path pins, String name) throws IOException {
        boolean found = false;
        for (String suffix : HOOK_SUFFIXES) {
            found |= Files.deleteIfExists(pins.resolve(name + suffix));
        }
        for (MapSpec spec : MAPS) {
            found |= Files.deleteIfExists(pins.resolve(name + spec.suffix()));
        }
        if (found) {
            try {
                Files.deleteIfExists(pins);
            } catch (java.nio.file.FileSystemException e) {
                // someone else's pins are there too, or the directory is a mount point: it stays
            }
        }
        return found;
    }

    /** Whether the maps were adopted from the pins of an earlier instance (their routes and backends kept). */
    public boolean adopted() {
        return adopted;
    }

    private void openMaps() throws IOException {
        if (pins.isPresent()) {
            Files.createDirectories(pins.get());
        }
        int[] opened = pins.isPresent() ? adoptMaps(pins.get()) : null;
        adopted = opened != null;
        if (opened == null) {
            opened = new int[MAPS.size()];
            for (int i = 0; i < MAPS.size(); i++) {
                MapSpec spec = MAPS.get(i);
                opened[i] = keep(Bpf.mapCreate(spec.type(), spec.keySize(), spec.valueSize(), spec.maxEntries(), spec.flags(),
                        name + spec.suffix()));
                if (pins.isPresent()) {
                    Path pin = pins.get().resolve(name + spec.suffix());
                    Files.deleteIfExists(pin);
                    Bpf.pin(opened[i], pin);
                }
            }
        }
        routes = opened[0];
        groups = opened[1];
        backends = opened[2];
        origins = opened[3];
    }

    /** The pinned maps, when all are there and of this version's shape; else null. */
    private int[] adoptMaps(Path directory) throws IOException {
        int[] opened = new int[MAPS.size()];
        for (int i = 0; i < MAPS.size(); i++) {
            MapSpec spec = MAPS.get(i);
            Path pin = directory.resolve(name + spec.suffix());
            if (!Files.exists(pin)) {
                return null;
            }
            opened[i] = keep(Bpf.pinned(pin));
            if (!spec.describes(Bpf.mapInfo(opened[i]))) {
                return null;
            }
        }
        return opened;
    }

    private int keep(int fd) {
        fds.add(fd);
        return fd;
    }

    private void load(Path cgroup) throws IOException {
        int cgroupFd;
        try {
            cgroupFd = Libc.open(cgroup.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("cannot open the cgroup " + cgroup + " to attach the socket load balancer (errno "
                    + e.getErrorCode() + ")");
        }
        try {
            for (int i = 0; i < HOOKS.length; i++) {
                int hook = HOOKS[i];
                boolean v6 = i % 2 == 1;
                byte[] code = switch (hook) {
                    case CONNECT4, CONNECT6 -> forward(v6, false);
                    case SENDMSG4, SENDMSG6 -> forward(v6, true);
                    default -> reverse(v6);
                };
                String program = name + HOOK_SUFFIXES[i];
                int fd = Bpf.progLoad(Bpf.PROG_TYPE_CGROUP_SOCK_ADDR, hook, code, program);
                programs.add(fd);
                links.add(link(cgroupFd, cgroup, hook, fd, program));
            }
        } finally {
            Libc.close(cgroupFd);
        }
    }

    /** The program's link: the pinned one given the new program in one step, or a new one (pinned if pins are kept). */
    private int link(int cgroupFd, Path cgroup, int hook, int program, String programName) throws IOException {
        String what = "attaching BPF program " + programName + " to the cgroup " + cgroup;
        if (pins.isEmpty()) {
            return Bpf.linkCreate(program, cgroupFd, hook, what);
        }
        Path pin = pins.get().resolve(programName);
        if (Files.exists(pin)) {
            int link = Bpf.pinned(pin);
            try {
                Bpf.linkUpdate(link, program, "replacing the program of the link pinned at " + pin);
                return link;
            } catch (IOException e) {
                // not a link of this hook any more: replaced below by a new one
                Bpf.close(link);
                Files.deleteIfExists(pin);
            }
        }
        int link = Bpf.linkCreate(program, cgroupFd, hook, what);
        Bpf.pin(link, pin);
        return link;
    }

    /**
     * Detaches the programs and drops the maps for good, pinned or not: nothing of the balancer is left in the kernel,
     * and its pin directory goes too when nothing else is in it.
     */
    public void remove() throws IOException {
        if (pins.isPresent()) {
            removePinned(pins.get(), name);
        }
        close();
    }

    /** The first cgroup2 mount in /proc/self/mountinfo (e.g. /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host). */
    public static Optional<Path> cgroup2Root() throws IOException {
        return MountTable.read().first("cgroup2");
    }

    /** Any connection or datagram from the namespace to {@code address}, any port and protocol, goes to {@code group}. */
    public void route(long namespaceCookie, IpAddress address, int group) throws IOException {
        Bpf.mapUpdate(routes, routeKey(namespaceCookie, address, 0, 0), routeValue(group, 0));
    }

    /** What goes to {@code address}:{@code port} over {@code protocol} goes to {@code group}'s backends at {@code targetPort}. */
    public void redirect(long namespaceCookie, IpAddress address, int port, int protocol, int group, int targetPort)
            throws IOException {
        Bpf.mapUpdate(routes, routeKey(namespaceCookie, address, port, protocol), routeValue(group, targetPort));
    }

    public boolean unroute(long namespaceCookie, IpAddress address) throws IOException {
        return Bpf.mapDelete(routes, routeKey(namespaceCookie, address, 0, 0));
    }

    public boolean unredirect(long namespaceCookie, IpAddress address, int port, int protocol) throws IOException {
        return Bpf.mapDelete(routes, routeKey(namespaceCookie, address, port, protocol));
    }

    /**
     * Sets {@code group}'s backends. Growing, the new slots are written before the count; shrinking, the count before
     * the slots are removed: a connect running meanwhile always finds a slot within the count it read.
     */
    public void backends(int group, List<IpAddress> addresses, int previousCount) throws IOException {
        for (int i = 0; i < addresses.size(); i++) {
            Bpf.mapUpdate(backends, backendKey(group, i), addresses.get(i).bytes());
        }
        Bpf.mapUpdate(groups, groupKey(group), le(ByteBuffer.allocate(4)).putInt(addresses.size()).array());
        for (int i = addresses.size(); i < previousCount; i++) {
            Bpf.mapDelete(backends, backendKey(group, i));
        }
    }

    public void removeGroup(int group, int previousCount) throws IOException {
        Bpf.mapDelete(groups, groupKey(group));
        for (int i = 0; i < previousCount; i++) {
            Bpf.mapDelete(backends, backendKey(group, i));
        }
    }

    /**
     * What the socket with {@code socketCookie}, connected to {@code backend}:{@code port}, had asked for when the
     * balancer sent it there: the VIP; empty for a socket the balancer did not redirect (or whose note the LRU map has
     * let go of).
     */
    public Optional<IpAddress> origin(long socketCookie, IpAddress backend, int port) throws IOException {
        byte[] key = le(ByteBuffer.allocate(16)).putLong(socketCookie).put(backend.bytes()).order(ByteOrder.BIG_ENDIAN)
                .putShort((short) port).putShort((short) 0).array();
        byte[] value = Bpf.mapLookup(origins, key, 8);
        return value == null ? Optional.empty() : Optional.of(new IpAddress(ByteBuffer.wrap(value).getInt() & 0xffffffffL));
    }

    /** The VIP routes the maps hold (those for any port and protocol), by namespace cookie. */
    public Map<Long, Set<IpAddress>> routes() throws IOException {
        Map<Long, Set<IpAddress>> found = new HashMap<>();
        for (byte[] key : Bpf.mapKeys(routes, 16)) {
            ByteBuffer b = le(ByteBuffer.wrap(key));
            long cookie = b.getLong();
            IpAddress address = new IpAddress(b.order(ByteOrder.BIG_ENDIAN).getInt() & 0xffffffffL);
            if (b.getShort() == 0 && b.get() == 0) {
                found.computeIfAbsent(cookie, c -> new HashSet<>()).add(address);
            }
        }
        return found;
    }

    /** The groups the maps hold, each with its backends in slot order. */
    public Map<Integer, List<IpAddress>> groups() throws IOException {
        Map<Integer, List<IpAddress>> found = new HashMap<>();
        for (byte[] key : Bpf.mapKeys(groups, 4)) {
            int group = le(ByteBuffer.wrap(key)).getInt();
            byte[] count = Bpf.mapLookup(groups, key, 4);
            if (count == null) {
                continue;
            }
            List<IpAddress> addresses = new ArrayList<>();
            for (int i = 0; i < le(ByteBuffer.wrap(count)).getInt(); i++) {
                byte[] address = Bpf.mapLookup(backends, backendKey(group, i), 4);
                if (address != null) {
                    addresses.add(new IpAddress(ByteBuffer.wrap(address).getInt() & 0xffffffffL));
                }
            }
            found.put(group, addresses);
        }
        return found;
    }

    private static ByteBuffer le(ByteBuffer buffer) {
        return buffer.order(ByteOrder.LITTLE_ENDIAN);
    }

    static byte[] routeKey(long cookie, IpAddress address, int port, int protocol) {
        return le(ByteBuffer.allocate(16)).putLong(cookie).put(address.bytes())
                .order(ByteOrder.BIG_ENDIAN).putShort((short) port).put((byte) protocol).put((byte) 0).array();
    }

    static byte[] routeValue(int group, int port) {
        return le(ByteBuffer.allocate(8)).putInt(group).order(ByteOrder.BIG_ENDIAN).putShort((short) port)
                .putShort((short) 0).array();
    }

    private static byte[] groupKey(int group) {
        return le(ByteBuffer.allocate(4)).putInt(group).array();
    }

    private static byte[] backendKey(int group, int index) {
        return le(ByteBuffer.allocate(8)).putInt(group).putInt(index).array();
    }

    /**
     * connect/sendmsg. Stack: -16 route key (cookie, address, port, protocol, 0); -24 origin key's backend address,
     * -20 its port, -18 zero; -32 origin key's socket cookie; -40 origin value (address, port, zero); -48 group,
     * -44 backend index (the groups and backends keys).
     */
    byte[] forward(boolean v6, boolean bySocket) {
        int ip = addressOffset(v6);
        int fp = BpfAssembler.FP;
        BpfAssembler a = start(v6);
        a.mov(6, 1).call(HELPER_NETNS_COOKIE).store(8, fp, -16, 0)
                .load(4, 2, 6, ip).store(4, fp, -8, 2).store(4, fp, -40, 2)
                .load(4, 2, 6, USER_PORT).store(2, fp, -4, 2).store(2, fp, -36, 2).storeImm(2, fp, -34, 0)
                .load(4, 2, 6, PROTOCOL).store(1, fp, -2, 2).storeImm(1, fp, -1, 0);
        lookup(a, routes, -16).jumpIfNotEqual(0, 0, "route");
        // no route for this port and protocol: one for the address as a whole?
        a.storeImm(2, fp, -4, 0).storeImm(1, fp, -2, 0);
        lookup(a, routes, -16).jumpIfEqual(0, 0, "pass");
        a.label("route").mov(7, 0)
                .load(4, 2, 7, 0).store(4, fp, -48, 2);
        lookup(a, groups, -48).jumpIfEqual(0, 0, "pass");
        a.load(4, 8, 0, 0).jumpIfEqual(8, 0, "refuse");
        if (bySocket) {
            a.mov(1, 6).call(HELPER_SOCKET_COOKIE);
        } else {
            a.call(HELPER_PRANDOM);
        }
        a.mod(0, 8).store(4, fp, -44, 0);
        lookup(a, backends, -48).jumpIfEqual(0, 0, "pass");
        a.load(4, 2, 0, 0).store(4, 6, ip, 2).store(4, fp, -24, 2)
                .load(2, 3, 7, 4).jumpIfNotEqual(3, 0, "port")
                .load(4, 3, 6, USER_PORT).jump("note")
                .label("port").store(4, 6, USER_PORT, 3)
                .label("note").store(2, fp, -20, 3).storeImm(2, fp, -18, 0)
                .mov(1, 6).call(HELPER_SOCKET_COOKIE).store(8, fp, -32, 0)
                .loadMap(1, origins).mov(2, fp).addImm(2, -32).mov(3, fp).addImm(3, -40).movImm(4, 0)
                .call(HELPER_MAP_UPDATE)
                .label("pass").movImm(0, 1).exit()
                .label("refuse").movImm(1, -ECONNREFUSED).call(HELPER_SET_RETVAL).movImm(0, 0).exit();
        return a.assemble();
    }

    /** recvmsg/getpeername: a noted backend is shown as what was asked for. Stack: -16 origin key. */
    byte[] reverse(boolean v6) {
        int ip = addressOffset(v6);
        int fp = BpfAssembler.FP;
        BpfAssembler a = start(v6);
        a.mov(6, 1).call(HELPER_SOCKET_COOKIE).store(8, fp, -16, 0)
                .load(4, 2, 6, ip).store(4, fp, -8, 2)
                .load(4, 2, 6, USER_PORT).store(2, fp, -4, 2).storeImm(2, fp, -2, 0);
        lookup(a, origins, -16).jumpIfEqual(0, 0, "pass");
        a.load(4, 2, 0, 0).store(4, 6, ip, 2)
                .load(2, 2, 0, 4).store(4, 6, USER_PORT, 2)
                .label("pass").movImm(0, 1).exit();
        return a.assemble();
    }

    /** Where the destination's IPv4 address is in the context: its own field, or the last word of the IPv6 one. */
    private static int addressOffset(boolean v6) {
        return v6 ? USER_IP6 + 12 : USER_IP4;
    }

    /** A program that, on a v6 hook, goes to "pass" unless the address is IPv4-mapped. */
    private static BpfAssembler start(boolean v6) {
        BpfAssembler a = new BpfAssembler();
        if (v6) {
            ipv4Mapped(a, "pass");
        }
        return a;
    }

    /** r0 = the value under the key at fp + {@code keyOffset} in the map, or 0. */
    private static BpfAssembler lookup(BpfAssembler a, int map, int keyOffset) {
        return a.loadMap(1, map).mov(2, BpfAssembler.FP).addImm(2, keyOffset).call(HELPER_MAP_LOOKUP);
    }

    /** Goes to {@code otherwise} unless the destination in the context (r1) is IPv4-mapped IPv6: ::ffff:a.b.c.d. */
    private static void ipv4Mapped(BpfAssembler a, String otherwise) {
        a.load(4, 2, 1, USER_IP6).jumpIfNotEqual(2, 0, otherwise)
                .load(4, 2, 1, USER_IP6 + 4).jumpIfNotEqual(2, 0, otherwise)
                .load(4, 2, 1, USER_IP6 + 8).jumpIfNotEqual32(2, 0xffff0000, otherwise);
    }

    /**
     * Closes this process's descriptors. Unpinned, that detaches the programs and frees the maps; pinned, they stay
     * attached and filled for the next instance to adopt.
     */
    @Override
    public void close() {
        for (int fd : links) {
            Bpf.close(fd);
        }
        links.clear();
        for (int fd : programs) {
            Bpf.close(fd);
        }
        programs.clear();
        for (int fd : fds) {
            Bpf.close(fd);
        }
        fds.clear();
    }
}

package io.swarmnet.agent.encryption.userspace;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.swarmnet.agent.netns.Libc;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The userspace datapath's UDP socket on {@code <node>:4500}, with the kernel's segmentation offloads:
 * <ul>
 * <li>a run of equal-size ESP packets to one peer leaves with one {@code sendmsg} carrying {@code UDP_SEGMENT}:
 * the kernel cuts it into datagrams as late as it can (on a veth or a NIC with UDP segmentation, after the
 * whole IP and netfilter path), and the wire sees ordinary ESP-in-UDP datagrams;</li>
 * <li>with {@code UDP_GRO} the kernel hands over datagrams of one sender that it coalesced, up to 64 KB per
 * {@code recvmsg}, with the size they all have (the last may be shorter).</li>
 * </ul>
 * Where the kernel lacks either, it falls back to one datagram per call and says so once in the log.
 *
 * <p>One thread sends and another receives; each direction's buffers belong to its thread.
 */
public final class EspSocket implements AutoCloseable {

    /** The most datagrams one send may carry (the kernel's UDP_MAX_SEGMENTS is 64 or more). */
    public static final int MAX_SEGMENTS = 64;
    /** The most bytes one send or receive may carry: one IPv4 datagram. */
    public static final int MAX_BYTES = 65_535 - 20 - 8;
    private static final Logger LOG = LoggerFactory.getLogger(EspSocket.class);
    private static final int SO_SNDBUF = 7;
    private static final int SO_RCVBUF = 8;
    /** A blocked receive wakes this often to notice close(). */
    private static final Duration WAKE_TO_NOTICE_CLOSE = Duration.ofMillis(200);
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int UDP_SEGMENT = 103;
    private static final int UDP_GRO = 104;
    private static final int BUFFER_BYTES = 4 << 20;
    /** struct msghdr (LP64): name, namelen, iov, iovlen, control, controllen, flags. */
    private static final int MSGHDR = 56;
    private static final int SOCKADDR_IN = 16;
    private static final int IOVEC = 16;
    private static final int CMSG_HEADER = 16;
    private static final int CONTROL = 64;

    /** Configures a socket between creation and bind. */
    @FunctionalInterface
    public interface Setup {
        void apply(int fd) throws LastErrorException;
    }

    private final int fd;
    private final String where;
    private final Message out = new Message();
    private final Message in = new Message();
    /** Runs of datagrams this size or larger go one by one: the kernel refused to segment them (MAX_VALUE: none refused yet). */
    private int refusedFrom = Integer.MAX_VALUE;
    private final boolean coalescing;
    private int receivedSource;
    private int receivedSegment;
    private volatile boolean closed;

    /** One msghdr with its iovec, address and control buffer, reused by one thread. */
    private static final class Message {
        final Memory memory = new Memory(MSGHDR + IOVEC + SOCKADDR_IN + CONTROL);
        final Pointer iovec = memory.share(MSGHDR);
        final Pointer address = memory.share(MSGHDR + IOVEC);
        final Pointer control = memory.share(MSGHDR + IOVEC + SOCKADDR_IN);
        final ByteBuffer addressBytes = address.getByteBuffer(0, SOCKADDR_IN).order(ByteOrder.BIG_ENDIAN);

        Message() {
            memory.clear();
            memory.setPointer(0, address);
            memory.setPointer(16, iovec);
            memory.setLong(24, 1);
        }

        void prepare(Pointer data, long length, int controlLength) {
            memory.setInt(8, SOCKADDR_IN);
            iovec.setPointer(0, data);
            iovec.setLong(8, length);
            memory.setPointer(32, controlLength == 0 ? null : control);
            memory.setLong(40, controlLength);
            memory.setInt(48, 0);
        }
    }

    private EspSocket(int fd, String where, boolean coalescing) {
        this.fd = fd;
        this.where = where;
        this.coalescing = coalescing;
        socketAddress(out.address, 0, EspTunnel.ESP_IN_UDP_PORT);
    }

    /**
     * Creates a UDP socket, lets {@code setup} configure it and binds it to {@code address}:{@code port}; the
     * descriptor is closed again if any step fails. Shared by the kernel path's ESP-in-UDP socket.
     */
    public static int openBound(IpAddress address, int port, Setup setup) throws IOException {
        int fd;
        try {
            fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new IOException("cannot create a UDP socket for ESP-in-UDP (errno " + e.getErrorCode() + ")", e);
        }
        try {
            setup.apply(fd);
            Memory sockaddr = new Memory(SOCKADDR_IN);
            socketAddress(sockaddr, (int) address.value(), port);
            Libc.bind(fd, sockaddr, SOCKADDR_IN);
        } catch (LastErrorException e) {
            Libc.close(fd);
            throw new IOException("cannot set up the ESP-in-UDP socket on " + address + ":" + port + " (errno " + e.getErrorCode()
                    + (e.getErrorCode() == 98 ? ": the port is in use" : "") + ")", e);
        }
        return fd;
    }

    /** Writes a struct sockaddr_in at {@code at}: the family in host order, port and address in network order, zero padding. */
    private static void socketAddress(Pointer at, int address, int port) {
        at.setMemory(0, SOCKADDR_IN, (byte) 0);
        at.setShort(0, (short) Libc.AF_INET);
        at.getByteBuffer(0, SOCKADDR_IN).order(ByteOrder.BIG_ENDIAN).putShort(2, (short) port).putInt(4, address);
    }

    /** Binds {@code local}:4500 in the network namespace at {@code namespace} (empty: the agent's own). */
    static EspSocket open(Optional<Path> namespace, IpAddress local) throws IOException {
        return NetworkNamespace.call(namespace, "swarmnet-esp-bind", () -> {
            boolean[] gro = {false};
            int fd = openBound(local, EspTunnel.ESP_IN_UDP_PORT, socket -> {
                setBuffer(socket, SO_RCVBUFFORCE, SO_RCVBUF);
                setBuffer(socket, SO_SNDBUFFORCE, SO_SNDBUF);
                Libc.setReceiveTimeout(socket, WAKE_TO_NOTICE_CLOSE);
                gro[0] = setInt(socket, Libc.SOL_UDP, UDP_GRO, 1);
            });
            if (!gro[0]) {
                LOG.info("the kernel has no UDP_GRO: ESP-in-UDP on {} is received one datagram per call", local);
            }
            return new EspSocket(fd, local + ":" + EspTunnel.ESP_IN_UDP_PORT, gro[0]);
        });
    }

    private static void setBuffer(int fd, int forced, int plain) {
        if (!setInt(fd, Libc.SOL_SOCKET, forced, BUFFER_BYTES)) {
            setInt(fd, Libc.SOL_SOCKET, plain, BUFFER_BYTES); // without CAP_NET_ADMIN: up to the sysctl maximum
        }
    }

    private static boolean setInt(int fd, int level, int option, int value) {
        Memory memory = new Memory(4);
        memory.setInt(0, value);
        try {
            Libc.setsockopt(fd, level, option, memory, 4);
            return true;
        } catch (LastErrorException e) {
            return false;
        }
    }

    /** Whether sends still use UDP segmentation for every size (false once the kernel refused it for some). */
    public boolean segmentation() {
        return refusedFrom == Integer.MAX_VALUE;
    }

    /** As after the kernel refused a segmented send: for the test of the one-by-one path. */
    void disableSegmentation() {
        refusedFrom = 0;
    }

    /** Whether receives may carry several coalesced datagrams. */
    public boolean coalescing() {
        return coalescing;
    }

    /**
     * Sends the datagrams laid out back to back between {@code buffer}'s position and limit to {@code peer}:4500:
     * each {@code segment} bytes long except the last, which may be shorter ({@code segment} 0: one datagram).
     * Returns 0, or the errno of the failed send.
     */
    public int send(ByteBuffer buffer, int segment, int peer) {
        Pointer data = Native.getDirectBufferPointer(buffer).share(buffer.position());
        int length = buffer.remaining();
        out.addressBytes.putInt(4, peer);
        if (segment > 0 && segment < length && segment < refusedFrom) {
            out.control.setLong(0, CMSG_HEADER + 2);
            out.control.setInt(8, Libc.SOL_UDP);
            out.control.setInt(12, UDP_SEGMENT);
            out.control.setShort(CMSG_HEADER, (short) segment);
            out.prepare(data, length, CMSG_HEADER + 8);
            if (Libc.sendmsgNoThrow(fd, out.memory, 0) >= 0) {
                return 0;
            }
            int errno = Native.getLastError();
            if (errno != Libc.EIO && errno != Libc.EINVAL && errno != Libc.EMSGSIZE && errno != Libc.ENOPROTOOPT) {
                return errno;
            }
            // no checksum offload on the route's device, or datagrams larger than its MTU (which one by one may still
            // leave, fragmented): runs of this size and larger go one by one from now on
            if (refusedFrom == Integer.MAX_VALUE) {
                LOG.info("the kernel refuses UDP segmentation for {}-byte ESP-in-UDP datagrams from {} (errno {}): sending them one per call",
                        segment, where, errno);
            }
            refusedFrom = segment;
        }
        int step = segment > 0 ? segment : length;
        for (int offset = 0; offset < length; offset += step) {
            out.prepare(data.share(offset), Math.min(step, length - offset), 0);
            if (Libc.sendmsgNoThrow(fd, out.memory, 0) < 0) {
                return Native.getLastError();
            }
        }
        return 0;
    }

    /**
     * Receives into {@code buffer} at its position (which stays): returns the number of bytes, 0 when nothing came
     * within 200 ms, -1 once closed. After a receive, {@link #source()} is the sender's IPv4 address and
     * {@link #segment()} the size of each datagram in it (the last may be shorter).
     */
    public int receive(ByteBuffer buffer) throws IOException {
        Pointer data = Native.getDirectBufferPointer(buffer).share(buffer.position());
        in.prepare(data, buffer.remaining(), CONTROL);
        long length = Libc.recvmsgNoThrow(fd, in.memory, 0);
        if (closed) {
            return -1;
        }
        if (length < 0) {
            int errno = Native.getLastError();
            if (errno == Libc.EAGAIN || errno == Libc.EINTR) {
                return 0;
            }
            throw new IOException("receiving ESP-in-UDP on " + where + " failed (errno " + errno + ")");
        }
        receivedSource = in.addressBytes.getInt(4);
        receivedSegment = (int) length;
        long controlLength = in.memory.getLong(40);
        for (int at = 0; at + CMSG_HEADER <= controlLength; ) {
            long cmsgLength = in.control.getLong(at);
            if (cmsgLength < CMSG_HEADER) {
                break;
            }
            if (in.control.getInt(at + 8) == Libc.SOL_UDP && in.control.getInt(at + 12) == UDP_GRO) {
                int segment = in.control.getInt(at + CMSG_HEADER);
                if (segment > 0) {
                    receivedSegment = segment;
                }
            }
            at += (int) ((cmsgLength + 7) & ~7L);
        }
        return (int) length;
    }

    /** The IPv4 address (as an int, network order value) of the last receive's sender. */
    public int source() {
        return receivedSource;
    }

    /** The size of each datagram in the last receive. */
    public int segment() {
        return receivedSegment;
    }

    /** Wakes a thread waiting in {@link #receive}; the descriptor itself is closed by {@link #close}. */
    public void shutdown() {
        closed = true;
        Libc.shutdown(fd, Libc.SHUT_RDWR);
    }

    @Override
    public void close() {
        shutdown();
        Libc.close(fd);
    }
}

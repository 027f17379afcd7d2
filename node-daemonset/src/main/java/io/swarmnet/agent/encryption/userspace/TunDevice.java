package io.swarmnet.agent.encryption.userspace;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.swarmnet.agent.netns.Libc;
import io.swarmnet.agent.netns.NetworkNamespace;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A layer-3 TUN device ({@code IFF_TUN | IFF_NO_PI | IFF_VNET_HDR}: each read is one whole IP packet, each
 * write injects one, or a run of UDP datagrams that share their headers and that the kernel segments as it
 * receives them, or a TCP-in-VXLAN super-packet a peer sent whole, which the kernel takes as one packet). The device exists only while this object holds it open: when the agent stops, the kernel
 * deletes it together with the routes through it, so nothing is ever forwarded by a device nobody reads.
 *
 * <p>Every packet read or written is preceded by {@link #HEADROOM} bytes of room for the virtio-net header that
 * {@code IFF_VNET_HDR} puts in front; this class fills and interprets it. Where the kernel offers UDP tunnel
 * segmentation (Linux 6.17+: {@code TUN_F_UDP_TUNNEL_GSO}), the device announces checksum, TCPv4 and tunnel
 * offloads with the 24-byte tunnel header: what the VXLAN device encapsulates from a task's TCP send then
 * arrives as one super-packet of up to 64 KB ({@link #segmentSize()} tells), to be cut by the reader, instead
 * of being segmented and checksummed by the kernel packet by packet. Elsewhere nothing is announced and every
 * read is one packet, checksums complete.
 *
 * <p>One thread may read and another write at the same time; the buffers must be direct.
 */
public final class TunDevice implements AutoCloseable {

    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_VNET_HDR = 0x4000;
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    private static final long TUNSETVNETHDRSZ = 0x400454d8L;
    private static final int TUN_F_CSUM = 0x01;
    private static final int TUN_F_TSO4 = 0x02;
    private static final int TUN_F_UDP_TUNNEL_GSO = 0x80;
    private static final int TUN_F_UDP_TUNNEL_GSO_CSUM = 0x100;
    /** Room before every IP packet: the largest virtio-net header this class uses. */
    public static final int HEADROOM = 24;
    /** struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset (little-endian). */
    private static final int PLAIN_HEADER = 10;
    /** struct virtio_net_hdr_v1_hash_tunnel: the above, num_buffers, hash value and report, padding, outer_th_offset, inner_nh_offset. */
    private static final int TUNNEL_HEADER = 24;
    private static final int NEEDS_CSUM = 1;
    private static final int GSO_TCPV4 = 1;
    private static final int GSO_UDP_L4 = 5;
    private static final int GSO_UDP_TUNNEL_IPV4 = 0x20;
    private static final int UDP = 17;
    private static final Logger LOG = LoggerFactory.getLogger(TunDevice.class);
    /** struct ifreq: 16 bytes of name, then the flags in a 24-byte union. */
    private static final int IFREQ_SIZE = 40;
    /** The TUN clone device. The chart mounts nothing for it: the agent's privileged container has the host's devices. */
    private static final Path CLONE_DEVICE = Path.of("/dev/net/tun");

    private final String name;
    private final int fd;
    private final Memory pollFd = new Memory(8);
    private volatile boolean closed;
    private boolean segmentation = true;
    private boolean tcpRuns = true;
    private VxlanTcpSegments cutter;
    private byte[] cut;
    private ByteBuffer single;
    /** The virtio-net header's size on this device: {@link #TUNNEL_HEADER} when super-packets are read, else {@link #PLAIN_HEADER}. */
    private final int header;
    /** Of the last packet read (reader thread only): see {@link #segmentSize()}. */
    private int readSegment;
    private int readInnerNetwork;

    private TunDevice(String name, int fd, int header) {
        this.name = name;
        this.fd = fd;
        this.header = header;
        pollFd.setInt(0, fd);
        pollFd.setShort(4, Libc.POLLIN);
    }

    /**
     * Creates the device {@code name} in the network namespace at {@code namespace} (empty: the agent's own),
     * non-blocking. The kernel refuses a name that another device already has.
     */
    public static TunDevice open(String name, Optional<Path> namespace) throws IOException {
        return open(name, namespace, true);
    }

    /** As {@link #open(String, Optional)}; {@code superPackets} false never asks for super-packets (for tests of that path). */
    static TunDevice open(String name, Optional<Path> namespace, boolean superPackets) throws IOException {
        if (name.isEmpty() || name.length() > 15) {
            throw new IllegalArgumentException("TUN device name '" + name + "' must have 1 to 15 characters");
        }
        return NetworkNamespace.call(namespace, "swarmnet-tun-open", () -> create(name, superPackets));
    }

    private static TunDevice create(String name, boolean superPackets) throws IOException {
        int fd = openCloneDevice(CLONE_DEVICE);
        Memory request = new Memory(IFREQ_SIZE);
        request.clear();
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        request.write(0, bytes, 0, bytes.length);
        request.setShort(16, (short) (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR));
        try {
            Libc.ioctl(fd, TUNSETIFF, request);
        } catch (LastErrorException e) {
            Libc.close(fd);
            throw new IOException("cannot create TUN device " + name + " (errno " + e.getErrorCode() + ")", e);
        }
        return new TunDevice(name, fd, superPackets && offerSuperPackets(fd, name) ? TUNNEL_HEADER : PLAIN_HEADER);
    }

    /** Opens the clone device, or says why it cannot: a node may lack it, and the agent runs there all the same. */
    static int openCloneDevice(Path device) throws IOException {
        try {
            return Libc.open(device.toString(), Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException(cannotOpen(device, e.getErrorCode()), e);
        }
    }

    static String cannotOpen(Path device, int errno) {
        return switch (errno) {
            case Libc.ENOENT -> "this node has no " + device + ": the userspace ESP datapath needs the kernel's tun module"
                    + " (modprobe tun on the node, then restart the agent's pod, whose container has the devices the node had when it started)";
            case Libc.ENODEV -> device + " exists but this node's kernel has no TUN driver: load the tun module (modprobe tun on the node)";
            case Libc.EACCES, Libc.EPERM -> "the agent may not open " + device + " (errno " + errno + "): the chart runs it privileged;"
                    + " a device cgroup or security policy on this node forbids the device";
            default -> "cannot open " + device + " (errno " + errno + ")";
        };
    }

    /**
     * Announces checksum, TCPv4 and UDP tunnel segmentation offloads (with and without outer checksum) with the tunnel header; false (and nothing
     * announced, the plain header in place) where the kernel refuses either, as before Linux 6.17.
     */
    private static boolean offerSuperPackets(int fd, String name) {
        Memory size = new Memory(4);
        try {
            size.setInt(0, TUNNEL_HEADER);
            Libc.ioctl(fd, TUNSETVNETHDRSZ, size);
            // TUNSETOFFLOAD takes the flags themselves as its argument, not a pointer to them. Tunnels with an outer UDP
            // checksum (VXLAN's default here) are offered only with the _CSUM flag; the segments' outer checksum is 0.
            Libc.ioctl(fd, TUNSETOFFLOAD, new Pointer(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_UDP_TUNNEL_GSO | TUN_F_UDP_TUNNEL_GSO_CSUM));
            return true;
        } catch (LastErrorException e) {
            size.setInt(0, PLAIN_HEADER);
            try {
                Libc.ioctl(fd, TUNSETVNETHDRSZ, size);
            } catch (LastErrorException ignored) {
                // the size was never changed
            }
            LOG.info("the kernel offers no UDP tunnel segmentation on TUN device {} (errno {}): reading one packet per call", name,
                    e.getErrorCode());
            return false;
        }
    }

    /** Whether reads may return super-packets (the kernel accepted the offloads). */
    public boolean superPackets() {
        return header == TUNNEL_HEADER;
    }

    public String name() {
        return name;
    }

    /**
     * Reads one packet into {@code buffer}: the IP packet starts {@link #HEADROOM} bytes after its position. Waits
     * at most {@code timeoutMillis} (0: not at all); returns the IP packet's length, 0 when none came in time, -1
     * once closed. The buffer's position and limit are left unchanged. A single packet has its checksums complete;
     * a super-packet ({@link #segmentSize()} &gt; 0) has them left for its segments.
     */
    public int read(ByteBuffer buffer, int timeoutMillis) throws IOException {
        int start = buffer.position() + HEADROOM - header;
        Pointer at = Native.getDirectBufferPointer(buffer).share(start);
        while (!closed) {
            long length = Libc.readNoThrow(fd, at, buffer.limit() - start);
            if (length >= header) {
                interpret(buffer, start, (int) length);
                return (int) length - header;
            }
            if (length >= 0) {
                continue; // cannot happen with IFF_VNET_HDR; nothing to hand on
            }
            int errno = Native.getLastError();
            if (errno != Libc.EAGAIN && errno != Libc.EINTR) {
                if (closed) {
                    return -1;
                }
                throw new IOException("reading TUN device " + name + " failed (errno " + errno + ")");
            }
            if (timeoutMillis == 0 && errno == Libc.EAGAIN) {
                return 0;
            }
            try {
                if (Libc.poll(pollFd, 1, timeoutMillis) == 0) {
                    return 0;
                }
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Libc.EINTR) {
                    throw new IOException("waiting on TUN device " + name + " failed (errno " + e.getErrorCode() + ")", e);
                }
            }
        }
        return -1;
    }

    /** Reads the virtio-net header of the packet at {@code start}: completes a single packet's checksum, notes a super-packet's layout. */
    private void interpret(ByteBuffer buffer, int start, int length) {
        int flags = buffer.get(start);
        int gso = buffer.get(start + 1) & 0xFF;
        int checksumStart = Short.reverseBytes(buffer.getShort(start + 6)) & 0xFFFF;
        readSegment = 0;
        if (gso == (GSO_TCPV4 | GSO_UDP_TUNNEL_IPV4) && (flags & NEEDS_CSUM) != 0 && header == TUNNEL_HEADER) {
            readSegment = Short.reverseBytes(buffer.getShort(start + 4)) & 0xFFFF;
            readInnerNetwork = Short.reverseBytes(buffer.getShort(start + 22)) & 0xFFFF;
            if (readSegment == 0 || checksumStart <= readInnerNetwork) {
                readSegment = -1;
            }
        } else if (gso != 0) {
            readSegment = -1; // a kind of super-packet never announced
        } else if ((flags & NEEDS_CSUM) != 0) {
            completeChecksum(buffer, start + header + checksumStart, Short.reverseBytes(buffer.getShort(start + 8)) & 0xFFFF, start + length);
        }
    }

    /**
     * Of the last packet read: 0 for a single packet; &gt; 0 for a super-packet of TCP segments in VXLAN, whose TCP
     * payload is to be cut into pieces of this many bytes ({@link #innerNetworkOffset()} locates the inner IPv4
     * header); -1 for a super-packet of a kind this device never asked for (to be dropped).
     */
    public int segmentSize() {
        return readSegment;
    }

    /** Of the last super-packet read: the offset of its inner IPv4 header from the start of the outer one. */
    public int innerNetworkOffset() {
        return readInnerNetwork;
    }

    /**
     * The kernel left a checksum for the device to fill (it may, once checksum offload is announced): the field at
     * {@code start + offset} holds the pseudo-header sum; fold in {@code start..end}.
     */
    private static void completeChecksum(ByteBuffer buffer, int start, int offset, int end) {
        if (start + offset + 2 <= end) {
            buffer.putShort(start + offset, (short) ~Checksum.sum(buffer, start, end, 0));
        }
    }

    /**
     * Injects the IP packet that starts {@link #HEADROOM} bytes after {@code buffer}'s position and ends at its
     * limit, as if it had arrived on the device. With {@code segment} &gt; 0 the packet is an IPv4 UDP datagram
     * whose payload is a run of datagram payloads of {@code segment} bytes each (the last may be shorter) that
     * share the IP and UDP headers; the kernel takes it in one call and delivers them as separate datagrams (UDP
     * segmentation offload, virtio {@code GSO_UDP_L4}), so the work of the IP layer is paid once. A kernel
     * that refuses this gets them one by one, from then on.
     */
    public void write(ByteBuffer buffer, int segment) throws IOException {
        if (closed) {
            throw new IOException("TUN device " + name + " is closed");
        }
        int ip = buffer.position() + HEADROOM;
        int start = ip - header;
        int ipHeader = (buffer.get(ip) & 0x0F) * 4;
        int payload = buffer.limit() - ip - ipHeader - 8;
        boolean segmented = segment > 0 && segment < payload;
        if (segmented && !segmentation) {
            writeOneByOne(buffer, segment, ipHeader);
            return;
        }
        buffer.put(start, (byte) (segmented ? NEEDS_CSUM : 0)).put(start + 1, (byte) (segmented ? GSO_UDP_L4 : 0))
                .putShort(start + 2, Short.reverseBytes((short) (segmented ? ipHeader + 8 : 0)))
                .putShort(start + 4, Short.reverseBytes((short) (segmented ? segment : 0)))
                .putShort(start + 6, Short.reverseBytes((short) (segmented ? ipHeader : 0)))
                .putShort(start + 8, Short.reverseBytes((short) (segmented ? 6 : 0)));
        for (int i = PLAIN_HEADER; i < header; i++) {
            buffer.put(start + i, (byte) 0); // no hash, no tunnel
        }
        if (segmented) {
            // a checksum the kernel completes per datagram: the field holds the pseudo-header sum (RFC 768)
            int pseudo = Checksum.sum(buffer, ip + 12, ip + 20, UDP + 8 + payload);
            buffer.putShort(ip + ipHeader + 6, (short) pseudo);
        }
        long written = Libc.writeNoThrow(fd, Native.getDirectBufferPointer(buffer).share(start), buffer.limit() - start);
        if (written >= 0) {
            return;
        }
        int errno = Native.getLastError();
        if (segmented && errno == Libc.EINVAL) {
            segmentation = false;
            LOG.info("the kernel refuses UDP segmentation offload on TUN device {}: injecting one datagram per call", name);
            writeOneByOne(buffer, segment, ipHeader);
            return;
        }
        throw new IOException("writing to TUN device " + name + " failed (errno " + errno + ")");
    }

    /**
     * Injects a TCP-in-VXLAN super-packet that starts {@link #HEADROOM} bytes after {@code buffer}'s position and ends
     * at its limit, as a peer's VXLAN device made it: its outer IPv4 header at least {@value #TUNNEL_OUTER_HEADER}
     * bytes long (NOP options pad a plain one: the kernel wants the outer UDP header at least as far in as behind an
     * Ethernet and an IPv4 header), its inner IPv4 header {@code innerNetwork} bytes after the outer one, the inner
     * TCP header right after it with the pseudo-header sum in its checksum field, the payload to be cut into segments
     * of {@code segment} bytes. With the tunnel header the kernel takes it whole (virtio {@code GSO_TCPV4 |
     * GSO_UDP_TUNNEL_IPV4}, checksum partial), so that UDP, VXLAN, the bridge and the task's TCP see one packet. A
     * device without that header, or a kernel that refuses it, gets the segments one by one as {@link
     * VxlanTcpSegments} cuts them (each with its checksums complete), and after a refusal {@link #tcpRuns()} is false.
     */
    public void writeTcpRun(ByteBuffer buffer, int segment, int innerNetwork) throws IOException {
        if (closed) {
            throw new IOException("TUN device " + name + " is closed");
        }
        if (!tcpRuns()) {
            writeSegments(buffer, segment, innerNetwork);
            return;
        }
        int ip = buffer.position() + HEADROOM;
        int start = ip - header;
        int outerHeader = (buffer.get(ip) & 0x0F) * 4;
        int innerTransport = innerNetwork + (buffer.get(ip + innerNetwork) & 0x0F) * 4;
        int headers = innerTransport + ((buffer.get(ip + innerTransport + 12) >>> 4) & 0x0F) * 4;
        buffer.put(start, (byte) NEEDS_CSUM).put(start + 1, (byte) (GSO_TCPV4 | GSO_UDP_TUNNEL_IPV4))
                .putShort(start + 2, Short.reverseBytes((short) headers))
                .putShort(start + 4, Short.reverseBytes((short) segment))
                .putShort(start + 6, Short.reverseBytes((short) innerTransport))
                .putShort(start + 8, Short.reverseBytes((short) 16)) // the TCP checksum field
                .putShort(start + 10, (short) 0).putInt(start + 12, 0).putInt(start + 16, 0) // no buffers, no hash
                .putShort(start + 20, Short.reverseBytes((short) outerHeader))
                .putShort(start + 22, Short.reverseBytes((short) innerNetwork));
        long written = Libc.writeNoThrow(fd, Native.getDirectBufferPointer(buffer).share(start), buffer.limit() - start);
        if (written >= 0) {
            return;
        }
        int errno = Native.getLastError();
        if (errno != Libc.EINVAL) {
            throw new IOException("writing to TUN device " + name + " failed (errno " + errno + ")");
        }
        tcpRuns = false;
        LOG.info("the kernel refuses TCP-in-VXLAN super-packets on TUN device {}: injecting their segments one by one", name);
        writeSegments(buffer, segment, innerNetwork);
    }

    /** The shortest outer IPv4 header {@link #writeTcpRun} takes whole: 20 bytes and 16 of NOP options. */
    public static final int TUNNEL_OUTER_HEADER = 36;

    /** Whether TCP runs go to the kernel whole: the tunnel header is in place and the kernel never refused one. */
    public boolean tcpRuns() {
        return header == TUNNEL_HEADER && tcpRuns;
    }

    /** As after a kernel refused a TCP run: for the test of the one-by-one path. */
    void disableTcpRuns() {
        tcpRuns = false;
    }

    /** Cuts a TCP run as the kernel's segmentation would and injects each segment behind a plain IPv4 header. */
    private void writeSegments(ByteBuffer buffer, int segment, int innerNetwork) throws IOException {
        int ip = buffer.position() + HEADROOM;
        if (cutter == null) {
            cutter = new VxlanTcpSegments();
            cut = new byte[65_535];
        }
        if (single == null) {
            single = ByteBuffer.allocateDirect(HEADROOM + 60 + 8 + 65_535);
        }
        int count = cutter.prepare(buffer, ip, buffer.limit() - ip, segment, innerNetwork);
        for (int i = 0; i < count; i++) {
            int length = cutter.segment(i, count, cut);
            single.clear().position(HEADROOM + 20);
            single.put(cut, 0, length).flip();
            EspOpener.writeIpv4Header(single.slice(HEADROOM, 20), 20 + length, buffer.getInt(ip + 12), buffer.getInt(ip + 16));
            write(single, 0);
        }
    }

    /** Whether runs of datagrams still go to the kernel in one write (false once it refused one). */
    public boolean segmentation() {
        return segmentation;
    }

    /** As after a kernel refused a segmented write: for the test of the one-by-one path. */
    void disableSegmentation() {
        segmentation = false;
    }

    /** Splits a run as the kernel would: each datagram with a copy of the IP header and its own UDP header. */
    private void writeOneByOne(ByteBuffer buffer, int segment, int ipHeader) throws IOException {
        if (single == null) {
            single = ByteBuffer.allocateDirect(HEADROOM + 60 + 8 + 65_535);
        }
        int ip = buffer.position() + HEADROOM;
        int first = ip + ipHeader + 8;
        for (int at = first; at < buffer.limit(); at += segment) {
            int length = Math.min(segment, buffer.limit() - at);
            single.clear();
            single.position(HEADROOM);
            single.put(buffer.slice(ip, ipHeader + 8));
            single.put(buffer.slice(at, length));
            single.putShort(HEADROOM + 2, (short) (ipHeader + 8 + length)).putShort(HEADROOM + 10, (short) 0);
            single.putShort(HEADROOM + 10, (short) ~Checksum.sum(single, HEADROOM, HEADROOM + ipHeader, 0));
            single.putShort(HEADROOM + ipHeader + 4, (short) (8 + length)).putShort(HEADROOM + ipHeader + 6, (short) 0);
            single.flip();
            write(single, 0);
        }
    }

    /** Closes the descriptor; the kernel deletes the device. A reader waiting in {@link #read} returns within its timeout. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.close(fd);
        }
    }
}

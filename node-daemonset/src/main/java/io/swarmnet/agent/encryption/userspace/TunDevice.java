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
 * receives them). The device exists only while this object holds it open: when the agent stops, the kernel
 * deletes it together with the routes through it, so nothing is ever forwarded by a device nobody reads.
 *
 * <p>Every packet read or written is preceded by {@link #HEADROOM} bytes for the virtio-net header that
 * {@code IFF_VNET_HDR} puts in front; this class fills and interprets it. No offloads are announced to the
 * kernel (no {@code TUNSETOFFLOAD}), so what the agent reads is never a segmentation super-packet.
 *
 * <p>One thread may read and another write at the same time; the buffers must be direct.
 */
public final class TunDevice implements AutoCloseable {

    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_VNET_HDR = 0x4000;
    /** struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset (little-endian). */
    public static final int HEADROOM = 10;
    private static final int NEEDS_CSUM = 1;
    private static final int GSO_UDP_L4 = 5;
    private static final int UDP = 17;
    private static final Logger LOG = LoggerFactory.getLogger(TunDevice.class);
    /** struct ifreq: 16 bytes of name, then the flags in a 24-byte union. */
    private static final int IFREQ_SIZE = 40;

    private final String name;
    private final int fd;
    private final Memory pollFd = new Memory(8);
    private volatile boolean closed;
    private boolean segmentation = true;
    private ByteBuffer single;

    private TunDevice(String name, int fd) {
        this.name = name;
        this.fd = fd;
        pollFd.setInt(0, fd);
        pollFd.setShort(4, Libc.POLLIN);
    }

    /**
     * Creates the device {@code name} in the network namespace at {@code namespace} (empty: the agent's own),
     * non-blocking. The kernel refuses a name that another device already has.
     */
    public static TunDevice open(String name, Optional<Path> namespace) throws IOException {
        if (name.isEmpty() || name.length() > 15) {
            throw new IllegalArgumentException("TUN device name '" + name + "' must have 1 to 15 characters");
        }
        return NetworkNamespace.call(namespace, "swarmnet-tun-open", () -> create(name));
    }

    private static TunDevice create(String name) throws IOException {
        int fd;
        try {
            fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("cannot open /dev/net/tun (errno " + e.getErrorCode() + "): the node needs the tun module and "
                    + "the agent needs access to the device", e);
        }
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
        return new TunDevice(name, fd);
    }

    public String name() {
        return name;
    }

    /**
     * Reads one packet into {@code buffer}: the IP packet starts {@link #HEADROOM} bytes after its position, with
     * its checksums complete. Waits at most {@code timeoutMillis} (0: not at all); returns the IP packet's
     * length, 0 when none came in time, -1 once closed. The buffer's position and limit are left unchanged.
     */
    public int read(ByteBuffer buffer, int timeoutMillis) throws IOException {
        Pointer at = Native.getDirectBufferPointer(buffer).share(buffer.position());
        while (!closed) {
            long length = Libc.readNoThrow(fd, at, buffer.remaining());
            if (length >= HEADROOM) {
                int start = buffer.position();
                if ((buffer.get(start) & NEEDS_CSUM) != 0) {
                    completeChecksum(buffer, start + HEADROOM + (Short.reverseBytes(buffer.getShort(start + 6)) & 0xFFFF),
                            Short.reverseBytes(buffer.getShort(start + 8)) & 0xFFFF, start + (int) length);
                }
                return (int) length - HEADROOM;
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

    /**
     * The kernel left a checksum for the device to fill (it does not, as no offload is announced, but the header
     * allows it): the field at {@code start + offset} holds the pseudo-header sum; fold in {@code start..end}.
     */
    private static void completeChecksum(ByteBuffer buffer, int start, int offset, int end) {
        buffer.putShort(start + offset, (short) ~fold(sum(buffer, start, end, 0)));
    }

    static int sum(ByteBuffer buffer, int from, int to, int initial) {
        long sum = initial;
        int i = from;
        for (; i + 1 < to; i += 2) {
            sum += buffer.getShort(i) & 0xFFFF;
        }
        if (i < to) {
            sum += (buffer.get(i) & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    static int fold(int sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return sum;
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
        int start = buffer.position();
        int ipHeader = (buffer.get(start + HEADROOM) & 0x0F) * 4;
        int payload = buffer.limit() - start - HEADROOM - ipHeader - 8;
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
        if (segmented) {
            // a checksum the kernel completes per datagram: the field holds the pseudo-header sum (RFC 768)
            int ip = start + HEADROOM;
            int pseudo = sum(buffer, ip + 12, ip + 20, UDP + 8 + payload);
            buffer.putShort(ip + ipHeader + 6, (short) fold(pseudo));
        }
        long written = Libc.writeNoThrow(fd, Native.getDirectBufferPointer(buffer).share(start), buffer.remaining());
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
            single.putShort(HEADROOM + 10, (short) ~fold(sum(single, HEADROOM, HEADROOM + ipHeader, 0)));
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

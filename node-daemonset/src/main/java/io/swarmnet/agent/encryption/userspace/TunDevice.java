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

/**
 * A layer-3 TUN device ({@code IFF_TUN | IFF_NO_PI}: each read is one whole IP packet, each write injects
 * one). The device exists only while this object holds it open: when the agent stops, the kernel deletes
 * it together with the routes through it, so nothing is ever forwarded by a device nobody reads.
 *
 * <p>One thread may read and another write at the same time; the buffers must be direct.
 */
public final class TunDevice implements AutoCloseable {

    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    /** struct ifreq: 16 bytes of name, then the flags in a 24-byte union. */
    private static final int IFREQ_SIZE = 40;

    private final String name;
    private final int fd;
    private final Memory pollFd = new Memory(8);
    private volatile boolean closed;

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
        request.setShort(16, (short) (IFF_TUN | IFF_NO_PI));
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
     * Reads one packet into {@code buffer} at its position, waiting at most {@code timeoutMillis}; returns its
     * length, 0 when none came in time, -1 once closed. The buffer's position and limit are left unchanged.
     */
    public int read(ByteBuffer buffer, int timeoutMillis) throws IOException {
        Pointer base = Native.getDirectBufferPointer(buffer);
        Pointer at = base.share(buffer.position());
        while (!closed) {
            long length = Libc.readNoThrow(fd, at, buffer.remaining());
            if (length >= 0) {
                return (int) length;
            }
            int errno = Native.getLastError();
            if (errno != Libc.EAGAIN && errno != Libc.EINTR) {
                if (closed) {
                    return -1;
                }
                throw new IOException("reading TUN device " + name + " failed (errno " + errno + ")");
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

    /** Injects the packet between {@code buffer}'s position and limit, as if it had arrived on the device. */
    public void write(ByteBuffer buffer) throws IOException {
        if (closed) {
            throw new IOException("TUN device " + name + " is closed");
        }
        try {
            Libc.write(fd, Native.getDirectBufferPointer(buffer).share(buffer.position()), buffer.remaining());
        } catch (LastErrorException e) {
            throw new IOException("writing to TUN device " + name + " failed (errno " + e.getErrorCode() + ")", e);
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

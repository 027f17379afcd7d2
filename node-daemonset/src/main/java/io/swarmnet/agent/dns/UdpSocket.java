package io.swarmnet.agent.dns;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.swarmnet.agent.netns.Libc;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A non-blocking IPv4 UDP socket of the resolver, opened by descriptor rather than as a {@code DatagramChannel}: the
 * batched calls of {@link DatagramBatch} need the descriptor, which NIO keeps to itself. It shares its port
 * (SO_REUSEPORT) with the resolver's other sockets there and with those of a resolver it replaces or that replaces it.
 *
 * <p>The thread that serves it reads and answers without locks; an answer from elsewhere (one that came from upstream)
 * goes through {@link #sendTo}, which never touches a closed descriptor — its number may already be another file's.
 */
final class UdpSocket implements AutoCloseable {

    /**
     * Room for the queries that arrive while the thread serving the socket waits for a core (a busy node, a burst of
     * clients): at the default of about 200 KB a few hundred queries fill it and the next are dropped.
     */
    static final int RECEIVE_BUFFER_BYTES = 1 << 20;
    private static final int SO_RCVBUF = 8;
    private static final int SO_RCVBUFFORCE = 33;
    private final int fd;
    private final int port;
    private boolean closed;

    private UdpSocket(int fd, int port) {
        this.fd = fd;
        this.port = port;
    }

    /**
     * Binds {@code address}:{@code port} (0: a port the kernel chooses) in the calling thread's network namespace.
     * A port someone holds without SO_REUSEPORT, or as another user, gives a {@link BindException}.
     */
    static UdpSocket bind(Inet4Address address, int port) throws IOException {
        int fd;
        try {
            fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new IOException("cannot create a UDP socket (errno " + e.getErrorCode() + ")", e);
        }
        try {
            Memory one = new Memory(4);
            one.setInt(0, 1);
            Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, one, 4);
            Memory bytes = new Memory(4);
            bytes.setInt(0, RECEIVE_BUFFER_BYTES);
            try {
                Libc.setsockopt(fd, Libc.SOL_SOCKET, SO_RCVBUFFORCE, bytes, 4);
            } catch (LastErrorException e) {
                Libc.setsockopt(fd, Libc.SOL_SOCKET, SO_RCVBUF, bytes, 4); // without CAP_NET_ADMIN: up to net.core.rmem_max
            }
            Memory sockaddr = new Memory(DatagramBatch.SOCKADDR_IN);
            sockaddr.write(0, sockaddr(address.getAddress(), port), 0, DatagramBatch.SOCKADDR_IN);
            Libc.bind(fd, sockaddr, DatagramBatch.SOCKADDR_IN);
            Memory length = new Memory(4);
            length.setInt(0, DatagramBatch.SOCKADDR_IN);
            Libc.getsockname(fd, sockaddr, length);
            return new UdpSocket(fd, sockaddr.getByteBuffer(0, DatagramBatch.SOCKADDR_IN).order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xFFFF);
        } catch (LastErrorException e) {
            Libc.close(fd);
            if (e.getErrorCode() == Libc.EADDRINUSE) {
                throw new BindException("UDP port " + port + " of " + address.getHostAddress() + " is in use");
            }
            throw new IOException("cannot bind UDP " + address.getHostAddress() + ":" + port + " (errno " + e.getErrorCode() + ")", e);
        }
    }

    /** A struct sockaddr_in: family in host order, port and address in network order, zero padding. */
    static byte[] sockaddr(byte[] address, int port) {
        byte[] bytes = new byte[DatagramBatch.SOCKADDR_IN];
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        buffer.order(ByteOrder.nativeOrder()).putShort(0, (short) Libc.AF_INET);
        buffer.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) port).put(4, address);
        return bytes;
    }

    int fd() {
        return fd;
    }

    int port() {
        return port;
    }

    /** Sends one datagram to {@code sockaddr}; nothing once closed (the pod left while its query was upstream). */
    synchronized void sendTo(byte[] bytes, byte[] sockaddr) {
        if (!closed) {
            Libc.sendtoNoThrow(fd, bytes, bytes.length, sockaddr); // refused, it is as if lost: the client asks again
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.close(fd);
        }
    }
}

package io.swarmnet.agent.bpf;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.swarmnet.agent.netns.Libc;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Ends a namespace's sockets connected to backends that left their VIP, as the NAT layout deletes their tracked flows:
 * sock_diag lists the namespace's TCP and UDP sockets (IPv4 and IPv6, whose IPv4-mapped peers count), and those whose
 * peer is one of the backends and whose connect the balancer redirected there (the {@link Balanced} test: its noted
 * origin) are destroyed ({@code SOCK_DESTROY}): their owner's next call fails ({@code ECONNABORTED}) instead of
 * talking to a task that is not there any more. Sockets connected to the same address directly are left alone.
 */
public final class BalancedSockets {

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int NETLINK_SOCK_DIAG = 4;
    private static final int SOCK_DIAG_BY_FAMILY = 20;
    private static final int SOCK_DESTROY = 21;
    private static final short NLM_F_REQUEST = 1;
    private static final short NLM_F_ACK = 4;
    private static final short NLM_F_DUMP = 0x300;
    private static final int NLMSG_ERROR = 2;
    private static final int NLMSG_DONE = 3;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int ALL_STATES = -1;
    private static final int REQUEST = 16 + 56;

    /**
     * Whether the socket with this cookie, connected to {@code backend}:{@code port} over TCP or UDP, is to be ended:
     * the balancer connected it there from a VIP that backend left.
     */
    @FunctionalInterface
    public interface Balanced {
        boolean test(long socketCookie, IpAddress backend, int port, boolean tcp) throws IOException;
    }

    private BalancedSockets() {
    }

    /**
     * Destroys, in the namespace at {@code namespace}, the connected UDP sockets — and with {@code tcp} the TCP
     * connections — whose peer is in {@code backends} and that {@code balanced} says are to end; returns how many. One
     * entry into the namespace and one listing per family and protocol, however many VIPs the backends left.
     */
    public static int end(Path namespace, Set<IpAddress> backends, boolean tcp, Balanced balanced) throws IOException {
        return NetworkNamespace.callInside(namespace, "swarmnet-sock-destroy", () -> {
            int fd;
            try {
                fd = Libc.socket(AF_NETLINK, SOCK_RAW | Libc.SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
            } catch (LastErrorException e) {
                throw new IOException("cannot open a sock_diag socket in " + namespace + " (errno " + e.getErrorCode() + ")");
            }
            try {
                Libc.setReceiveTimeout(fd, java.time.Duration.ofSeconds(5));
                int ended = 0;
                for (int protocol : tcp ? new int[] {6, 17} : new int[] {17}) {
                    for (int family : new int[] {AF_INET, AF_INET6}) {
                        for (byte[] id : list(fd, family, protocol)) {
                            ByteBuffer b = ByteBuffer.wrap(id);
                            int port = Short.toUnsignedInt(b.getShort(2));
                            IpAddress peer = peer(id, family);
                            long cookie = ByteBuffer.wrap(id, 40, 8).order(ByteOrder.nativeOrder()).getLong();
                            if (peer != null && backends.contains(peer) && balanced.test(cookie, peer, port, protocol == 6)) {
                                destroy(fd, family, protocol, id);
                                ended++;
                            }
                        }
                    }
                }
                return ended;
            } finally {
                Libc.close(fd);
            }
        });
    }

    /** The peer of a socket id (inet_diag_sockid: sport, dport, src[16], dst[16], if, cookie), IPv4 or IPv4-mapped. */
    private static IpAddress peer(byte[] id, int family) {
        ByteBuffer b = ByteBuffer.wrap(id);
        if (family == AF_INET6) {
            if (b.getInt(20) != 0 || b.getInt(24) != 0 || b.getInt(28) != 0xffff) {
                return null;
            }
            return new IpAddress(b.getInt(32) & 0xffffffffL);
        }
        long address = b.getInt(20) & 0xffffffffL;
        return address == 0 ? null : new IpAddress(address);
    }

    /** The ids (48 bytes each) of the namespace's sockets of one family and protocol (listening and unconnected ones have no peer). */
    private static List<byte[]> list(int fd, int family, int protocol) throws IOException {
        Memory request = request(SOCK_DIAG_BY_FAMILY, (short) (NLM_F_REQUEST | NLM_F_DUMP), family, protocol, new byte[48]);
        send(fd, request);
        List<byte[]> ids = new ArrayList<>();
        Memory buffer = new Memory(64 * 1024);
        while (true) {
            long n = Libc.readNoThrow(fd, buffer, buffer.size());
            if (n <= 0) {
                throw new IOException("sock_diag: no answer to a socket listing (errno " + com.sun.jna.Native.getLastError() + ")");
            }
            ByteBuffer b = buffer.getByteBuffer(0, n).order(ByteOrder.nativeOrder());
            int at = 0;
            while (at + 16 <= n) {
                int length = b.getInt(at);
                int type = Short.toUnsignedInt(b.getShort(at + 4));
                if (length < 16) {
                    return ids;
                }
                if (type == NLMSG_DONE) {
                    return ids;
                }
                if (type == NLMSG_ERROR) {
                    throw new IOException("sock_diag refused a socket listing: errno " + -b.getInt(at + 16));
                }
                if (type == SOCK_DIAG_BY_FAMILY) {
                    byte[] id = new byte[48];
                    b.get(at + 16 + 4, id);
                    ids.add(id);
                }
                at += (length + 3) & ~3;
            }
        }
    }

    private static void destroy(int fd, int family, int protocol, byte[] id) throws IOException {
        send(fd, request(SOCK_DESTROY, (short) (NLM_F_REQUEST | NLM_F_ACK), family, protocol, id));
        Memory answer = new Memory(4096);
        long n = Libc.readNoThrow(fd, answer, answer.size());
        if (n >= 20 && Short.toUnsignedInt(answer.getShort(4)) == NLMSG_ERROR) {
            int error = -answer.getInt(16);
            // gone meanwhile: what was wanted
            if (error != 0 && error != Libc.ENOENT) {
                throw new IOException("sock_diag refused to destroy a socket: errno " + error
                        + (error == 95 ? " (this kernel lacks CONFIG_INET_DIAG_DESTROY)" : ""));
            }
        }
    }

    /** nlmsghdr + inet_diag_req_v2 { family, protocol, ext, pad, states, id }. */
    private static Memory request(int type, short flags, int family, int protocol, byte[] id) {
        Memory m = new Memory(REQUEST);
        m.clear();
        m.setInt(0, REQUEST);
        m.setShort(4, (short) type);
        m.setShort(6, flags);
        m.setByte(16, (byte) family);
        m.setByte(17, (byte) protocol);
        m.setInt(20, ALL_STATES);
        m.write(24, id, 0, 48);
        return m;
    }

    private static void send(int fd, Memory request) throws IOException {
        if (Libc.writeNoThrow(fd, request, request.size()) != request.size()) {
            throw new IOException("sock_diag: sending a request failed (errno " + com.sun.jna.Native.getLastError() + ")");
        }
    }
}

package io.swarmnet.agent.encryption;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.swarmnet.agent.netns.Libc;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The UDP socket on port 4500 that makes the kernel decapsulate ESP-in-UDP (RFC 3948): a datagram arriving on
 * a socket marked {@code UDP_ENCAP_ESPINUDP} is handed to the xfrm input path as ESP instead of to the socket.
 * Kernel SAs with {@code encap espinudp 4500 4500} send without it; receiving needs it open, so the agent holds
 * it for as long as it runs the kernel path. Nothing is ever read from it.
 */
final class EspInUdpSocket implements AutoCloseable {

    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_UDP = 17;
    private static final int UDP_ENCAP = 100;
    private static final int UDP_ENCAP_ESPINUDP = 2;
    static final int PORT = 4500;

    private final int fd;
    private final IpAddress address;

    private EspInUdpSocket(int fd, IpAddress address) {
        this.fd = fd;
        this.address = address;
    }

    static EspInUdpSocket open(Optional<Path> namespace, IpAddress address) throws IOException {
        return NetworkNamespace.call(namespace, "swarmnet-espinudp", () -> create(address));
    }

    private static EspInUdpSocket create(IpAddress address) throws IOException {
        int fd;
        try {
            fd = Libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new IOException("cannot create the ESP-in-UDP socket (errno " + e.getErrorCode() + ")", e);
        }
        try {
            Memory option = new Memory(4);
            option.setInt(0, UDP_ENCAP_ESPINUDP);
            Libc.setsockopt(fd, SOL_UDP, UDP_ENCAP, option, 4);
            // struct sockaddr_in: family (host order), port and address (network order), 8 bytes of zero
            Memory sockaddr = new Memory(16);
            sockaddr.clear();
            sockaddr.setShort(0, (short) AF_INET);
            sockaddr.setByte(2, (byte) (PORT >>> 8));
            sockaddr.setByte(3, (byte) PORT);
            sockaddr.write(4, address.bytes(), 0, 4);
            Libc.bind(fd, sockaddr, 16);
        } catch (LastErrorException e) {
            Libc.close(fd);
            throw new IOException("cannot set up the ESP-in-UDP socket on " + address + ":" + PORT + " (errno " + e.getErrorCode()
                    + (e.getErrorCode() == 98 ? ": the port is in use" : "") + ")", e);
        }
        return new EspInUdpSocket(fd, address);
    }

    IpAddress address() {
        return address;
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}

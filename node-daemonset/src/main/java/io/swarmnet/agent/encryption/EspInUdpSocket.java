package io.swarmnet.agent.encryption;

import com.sun.jna.Memory;
import io.swarmnet.agent.encryption.userspace.EspSocket;
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
        Memory option = new Memory(4);
        option.setInt(0, UDP_ENCAP_ESPINUDP);
        int fd = EspSocket.openBound(address, PORT, socket -> Libc.setsockopt(socket, Libc.SOL_UDP, UDP_ENCAP, option, 4));
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

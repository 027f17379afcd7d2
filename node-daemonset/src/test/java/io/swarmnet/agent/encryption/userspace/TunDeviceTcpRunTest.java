package io.swarmnet.agent.encryption.userspace;

import static io.swarmnet.agent.encryption.userspace.VxlanDatagrams.ACK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.netns.TestNamespaces;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * A TCP run ({@link VxlanTcpRun}) written through the TUN device reaches a TCP socket behind a VXLAN device intact:
 * with the tunnel header as one packet (the VXLAN device counts one), and cut into its segments where the kernel
 * refused the header. The test plays the TCP peer itself through the TUN device: SYN in, SYN-ACK read back, ACK in,
 * then the run.
 */
@Timeout(60)
@Tag("kernel")
class TunDeviceTcpRunTest {

    private static final String LOCAL = "198.18.1.1";
    private static final int PEER = 0xC6120102; // 198.18.1.2
    private static final int MSS = 1000;
    private static final int SEGMENTS = 12;
    private static final int SYN = 0x02;

    private final String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xFFFF));
    private final String device = "sntcp" + suffix;
    private final String vxlan = "snvx" + suffix;
    private TestNamespaces namespaces;
    private Path namespace;
    private TunDevice tun;
    private ServerSocketChannel server;
    private final ByteBuffer read = ByteBuffer.allocateDirect(TunDevice.HEADROOM + 65_600);

    @BeforeEach
    void createDevices() throws Exception {
        namespaces = new TestNamespaces("sntcp");
        namespace = namespaces.create("t");
        tun = TunDevice.open(device, Optional.of(namespace));
        assumeTrue(tun.superPackets(), "the kernel offers no UDP tunnel segmentation on TUN (before Linux 6.17)");
        for (String step : List.of("ip link set " + device + " up", "ip addr add " + LOCAL + "/24 dev " + device,
                "ip link add " + vxlan + " address 02:00:00:00:00:01 type vxlan id 42 local " + LOCAL + " dstport 4789 nolearning",
                "ip addr add 10.99.0.1/24 dev " + vxlan, "ip link set " + vxlan + " up",
                "ip neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev " + vxlan,
                "bridge fdb add 02:00:00:00:00:02 dev " + vxlan + " dst 198.18.1.2")) {
            TestNamespaces.Result r = namespaces.exec("t", step.split(" "));
            assertThat(r.exit()).as(step + ": " + r.output()).isZero();
        }
        server = NetworkNamespace.call(Optional.of(namespace), "test-tcp-run", () -> {
            ServerSocketChannel channel = ServerSocketChannel.open();
            channel.bind(new InetSocketAddress("10.99.0.1", 7777));
            return channel;
        });
    }

    @AfterEach
    void deleteDevices() throws Exception {
        if (server != null) {
            server.close();
        }
        if (tun != null) {
            tun.close();
        }
        namespaces.close();
    }

    @Test
    void aTcpRunReachesTheSocketAsOnePacket() throws Exception {
        runReachesTheSocket(1);
    }

    @Test
    void whereTheKernelRefusedTheHeaderTheSegmentsReachTheSocketOneByOne() throws Exception {
        tun.disableTcpRuns();
        assertThat(tun.tcpRuns()).isFalse();
        runReachesTheSocket(SEGMENTS);
    }

    private void runReachesTheSocket(int packets) throws Exception {
        VxlanDatagrams peer = new VxlanDatagrams();
        int sequence = 1_000;
        peer.flags = SYN;
        inject(peer.datagram(sequence, 1, 0, 0));
        int[] synAck = synAck();
        peer.acknowledgement = synAck[0] + 1;
        peer.timestampEcho = synAck[1];
        peer.flags = ACK;
        inject(peer.datagram(sequence + 1, 2, 0, 0));
        server.configureBlocking(false);
        SocketChannel connection = null;
        for (long deadline = System.nanoTime() + 5_000_000_000L; connection == null && System.nanoTime() < deadline; ) {
            connection = server.accept();
            Thread.sleep(connection == null ? 5 : 0);
        }
        assertThat(connection).as("the handshake through the TUN and VXLAN devices completed").isNotNull();
        try (SocketChannel accepted = connection) {
            VxlanTcpRun run = new VxlanTcpRun();
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            for (int i = 0; i < SEGMENTS; i++) {
                ByteBuffer datagram = VxlanDatagrams.direct(peer.datagram(sequence + 1 + i * MSS, 3 + i, MSS, i));
                sent.write(VxlanDatagrams.bytes(datagram, VxlanDatagrams.TCP + VxlanDatagrams.TCP_HEADER, datagram.limit()));
                assertThat(run.examine(datagram)).isTrue();
                assertThat(i == 0 || run.continues(PEER, datagram)).isTrue();
                run.add(PEER, datagram);
            }
            long before = vxlanReceived();
            tun.writeTcpRun(run.finish(address(LOCAL)), MSS, VxlanTcpRun.INNER_NETWORK);

            accepted.configureBlocking(false);
            ByteBuffer received = ByteBuffer.allocate(SEGMENTS * MSS);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (received.hasRemaining() && System.nanoTime() < deadline) {
                if (accepted.read(received) == 0) {
                    Thread.sleep(5);
                }
            }
            assertThat(received.array()).as("what the socket received").isEqualTo(sent.toByteArray());
            assertThat(vxlanReceived() - before).as("packets the VXLAN device counted").isEqualTo(packets);
        }
    }

    /** Injects one datagram from the peer behind a plain IPv4 header. */
    private void inject(ByteBuffer datagram) throws Exception {
        ByteBuffer packet = ByteBuffer.allocateDirect(TunDevice.HEADROOM + 20 + datagram.remaining());
        packet.position(TunDevice.HEADROOM + 20);
        packet.put(datagram.duplicate()).flip();
        EspOpener.writeIpv4Header(packet.slice(TunDevice.HEADROOM, 20), packet.limit() - TunDevice.HEADROOM, PEER, address(LOCAL));
        tun.write(packet, 0);
    }

    /** The sequence number and timestamp (to echo) of the SYN-ACK the socket sends back through the device. */
    private int[] synAck() throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            read.clear();
            int length = tun.read(read, 200);
            int ip = TunDevice.HEADROOM;
            if (length < 20 + VxlanDatagrams.TCP + 20 || read.get(ip + 9) != 17) {
                continue; // nothing, or IPv6 chatter
            }
            int tcp = ip + 20 + VxlanDatagrams.TCP;
            if ((read.get(tcp + 13) & (SYN | ACK)) == (SYN | ACK)) {
                return new int[] {read.getInt(tcp + 4), timestamp(tcp)};
            }
        }
        throw new AssertionError("no SYN-ACK came out of the TUN device");
    }

    /** The TSval of the timestamp option in the TCP header at {@code tcp} in {@link #read}. */
    private int timestamp(int tcp) {
        int end = tcp + ((read.get(tcp + 12) >>> 4) & 0x0F) * 4;
        for (int at = tcp + 20; at < end; ) {
            int kind = read.get(at) & 0xFF;
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                at++;
                continue;
            }
            if (kind == 8) {
                return read.getInt(at + 2);
            }
            at += Math.max(2, read.get(at + 1) & 0xFF);
        }
        throw new AssertionError("the SYN-ACK carries no timestamp, though the SYN offered one");
    }

    private long vxlanReceived() throws Exception {
        TestNamespaces.Result r = namespaces.exec("t", "ip", "-s", "-o", "link", "show", "dev", vxlan);
        Matcher m = Pattern.compile("RX:.*?\\\\\\s+(\\d+)\\s+(\\d+)").matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        return Long.parseLong(m.group(2));
    }

    private static int address(String dotted) {
        int value = 0;
        for (String octet : dotted.split("\\.")) {
            value = (value << 8) | Integer.parseInt(octet);
        }
        return value;
    }
}

package io.swarmnet.agent.encryption.userspace;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.netns.TestNamespaces;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The TUN device with its virtio-net header, in a namespace of its own: a run of UDP datagrams injected with one
 * segmented write reaches a socket as separate datagrams (one packet on the device's counters); the one-by-one
 * path delivers the same; a read hands over the IP packet after the headroom with its checksum complete.
 */
@Timeout(60)
@Tag("kernel")
class TunDeviceTest {

    private static final String LOCAL = "198.18.1.1";
    private static final String PEER = "198.18.1.2";
    private static final int PORT = 7000;
    private static final Runs RUN = new Runs(500, 10, 123);

    private TestNamespaces namespaces;
    private Path namespace;
    private TunDevice tun;
    private final String device = "sntun" + Integer.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextInt(0x1000, 0xFFFF));

    @BeforeEach
    void createDevice() throws Exception {
        namespaces = new TestNamespaces("sntun");
        namespace = namespaces.create("t");
        tun = TunDevice.open(device, Optional.of(namespace));
        for (String step : List.of("ip link set " + device + " up", "ip addr add " + LOCAL + "/24 dev " + device)) {
            TestNamespaces.Result r = namespaces.exec("t", step.split(" "));
            assertThat(r.exit()).as(step + ": " + r.output()).isZero();
        }
    }

    @AfterEach
    void deleteDevice() throws Exception {
        if (tun != null) {
            tun.close();
        }
        namespaces.close();
    }

    @Test
    void aRunOfDatagramsInjectedWithOneWriteArrivesAsSeparateDatagrams() throws Exception {
        try (DatagramChannel socket = socket()) {
            long before = receivedPackets();
            tun.write(run(), RUN.segment());
            assertThat(RUN.receive(socket)).containsExactlyElementsOf(RUN.expected());
            assertThat(receivedPackets() - before).as("packets the device counted: the run went in as one").isEqualTo(1);
            assertThat(tun.segmentation()).isTrue();
        }
    }

    @Test
    void withoutSegmentationTheSameDatagramsAreInjectedOneByOne() throws Exception {
        try (DatagramChannel socket = socket()) {
            tun.disableSegmentation();
            long before = receivedPackets();
            tun.write(run(), RUN.segment());
            assertThat(RUN.receive(socket)).containsExactlyElementsOf(RUN.expected());
            assertThat(receivedPackets() - before).isEqualTo(RUN.segments() + 1);
        }
    }

    @Test
    void aReadHandsOverTheIpPacketAfterTheHeadroomWithItsChecksumComplete() throws Exception {
        readsOnePacketWithItsChecksumComplete();
    }

    @Test
    void withoutOffloadsTheDeviceUsesThePlainHeaderAndReadsTheSame() throws Exception {
        tun.close();
        tun = TunDevice.open(device, Optional.of(namespace), false);
        assertThat(tun.superPackets()).isFalse();
        for (String step : List.of("ip link set " + device + " up", "ip addr add " + LOCAL + "/24 dev " + device)) {
            assertThat(namespaces.exec("t", step.split(" ")).exit()).as(step).isZero();
        }
        readsOnePacketWithItsChecksumComplete();
        try (DatagramChannel socket = socket()) {
            tun.write(run(), RUN.segment());
            assertThat(RUN.receive(socket)).as("a run injected through the plain header").containsExactlyElementsOf(RUN.expected());
        }
    }

    private void readsOnePacketWithItsChecksumComplete() throws Exception {
        try (DatagramChannel socket = socket()) {
            byte[] payload = "through the device".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            socket.send(ByteBuffer.wrap(payload), new InetSocketAddress("198.18.1.9", 7001)); // routed into the device
            ByteBuffer packet = ByteBuffer.allocateDirect(TunDevice.HEADROOM + 2048);
            int length;
            long deadline = System.nanoTime() + 5_000_000_000L;
            do {
                length = tun.read(packet, 200);
            } while ((length == 0 || packet.get(TunDevice.HEADROOM + 9) != 17) && System.nanoTime() < deadline); // skip IPv6 chatter
            assertThat(length).isEqualTo(20 + 8 + payload.length);
            ByteBuffer ip = packet.slice(TunDevice.HEADROOM, length);
            assertThat(ip.get(0)).isEqualTo((byte) 0x45);
            assertThat(ip.getShort(20 + 2) & 0xFFFF).isEqualTo(7001);
            assertThat(ip.getShort(20 + 6)).as("the UDP checksum is filled in").isNotZero();
            int pseudo = Checksum.sum(ip, 12, 20, 17 + 8 + payload.length);
            assertThat(Checksum.fold(Checksum.sum(ip, 20, length, pseudo))).as("UDP checksum verifies").isEqualTo(0xFFFF);
            assertThat(Checksum.fold(Checksum.sum(ip, 0, 20, 0))).as("IPv4 header checksum verifies").isEqualTo(0xFFFF);
        }
    }

    /** IPv4 + UDP from PEER:7001 to LOCAL:7000 whose payload is the run; datagram i is filled with byte i. */
    private static ByteBuffer run() {
        int payload = RUN.bytes();
        ByteBuffer buffer = ByteBuffer.allocateDirect(TunDevice.HEADROOM + 28 + payload);
        buffer.position(TunDevice.HEADROOM + 20);
        buffer.putShort((short) 7001).putShort((short) PORT).putShort((short) (8 + payload)).putShort((short) 0);
        RUN.fill(buffer);
        EspOpener.writeIpv4Header(buffer.slice(TunDevice.HEADROOM, 20), 28 + payload, address(PEER), address(LOCAL));
        return buffer.flip();
    }

    private static int address(String dotted) {
        String[] octets = dotted.split("\\.");
        int value = 0;
        for (String octet : octets) {
            value = (value << 8) | Integer.parseInt(octet);
        }
        return value;
    }

    private DatagramChannel socket() throws Exception {
        return NetworkNamespace.call(Optional.of(namespace), "test-tun-udp", () -> {
            DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
            channel.bind(new InetSocketAddress(LOCAL, PORT));
            channel.configureBlocking(false);
            return channel;
        });
    }

    private long receivedPackets() throws Exception {
        TestNamespaces.Result r = namespaces.exec("t", "ip", "-s", "-o", "link", "show", "dev", device);
        Matcher m = Pattern.compile("RX:.*?\\\\\\s+(\\d+)\\s+(\\d+)").matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        return Long.parseLong(m.group(2));
    }
}

package io.swarmnet.agent.encryption.userspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.datapath.VxlanPort;
import io.swarmnet.agent.encryption.ClusterKey;
import io.swarmnet.agent.encryption.PairKeys;
import io.swarmnet.agent.encryption.SecurityAssociation;
import io.swarmnet.agent.encryption.SequenceLimit;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 point 8 at the tunnel: an outbound SA with the smallest allowed sequence limit, driven past it through the
 * real sealing path (a TUN device and the ESP-in-UDP socket in a namespace, a peer namespace behind a veth pair that
 * only listens). The SA stops at its limit instead of wrapping or repeating a number, and only a new key generation
 * sends again.
 */
@Timeout(60)
@Tag("kernel")
class EspTunnelSequenceLimitTest {

    private static final IpAddress LOCAL = IpAddress.parse("198.18.4.1");
    private static final IpAddress PEER = IpAddress.parse("198.18.4.2");
    private static final VxlanPort VXLAN = VxlanPort.DEFAULT;
    private static final SequenceLimit LIMIT = new SequenceLimit(SequenceLimit.MIN);
    private static final int SENT = 150;
    private static final int AFTER_ROTATION = 10;

    private final String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xFFFF));
    private TestNamespaces namespaces;
    private EspTunnel tunnel;
    private DatagramChannel sender;
    private DatagramChannel peer;
    @TempDir
    Path state;

    @BeforeEach
    void start() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun (the tun module) for the userspace ESP datapath");
        namespaces = new TestNamespaces("snesl");
        Path node = namespaces.create("node");
        Path remote = namespaces.create("peer");
        String tun = "snesl" + suffix;
        String veth = "sneslv" + suffix;
        for (String step : List.of("ip link add " + veth + " type veth peer name " + veth + "p netns " + remote.getFileName(),
                "ip addr add " + LOCAL + "/24 dev " + veth, "ip link set " + veth + " up")) {
            run("node", step);
        }
        for (String step : List.of("ip addr add " + PEER + "/24 dev " + veth + "p", "ip link set " + veth + "p up")) {
            run("peer", step);
        }
        tunnel = EspTunnel.start(tun, Optional.of(node), LOCAL, VXLAN, SequenceStore.open(state), LIMIT, () -> { });
        // VXLAN to the peer goes into the TUN device (as the agent's fwmark rule sends it), ESP-in-UDP over the veth
        for (String step : List.of("ip link set " + tun + " up", "ip route add default dev " + tun + " table 100",
                "ip rule add pref 100 ipproto udp dport " + VXLAN + " lookup 100")) {
            run("node", step);
        }
        sender = bound(node, LOCAL, 0);
        peer = bound(remote, PEER, EspTunnel.ESP_IN_UDP_PORT);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable open : new AutoCloseable[] {sender, peer, tunnel}) {
            if (open != null) {
                open.close();
            }
        }
        if (namespaces != null) {
            namespaces.close(); // takes the veth pair with it
        }
    }

    @Test
    void anSaStopsAtItsSequenceLimitAndOnlyTheNextKeyGenerationSendsAgain() throws Exception {
        SecurityAssociation first = sa(1);
        tunnel.configure(List.of(first), Map.of(PEER, first.spi()));
        send(0, SENT);
        List<Long> sequences = receiveOpened(first, 0, (int) LIMIT.last());
        EspTunnel.Counters counters = awaitHandled(SENT);

        assertThat(sequences).as("sequence numbers on the wire under the first key: 1..%d once each, in order", LIMIT.last())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, LIMIT.last()).boxed().toList());
        assertThat(receiveAny()).as("anything else on the wire (a packet past the limit)").isNull();
        assertThat(counters.sealed()).as("ESP packets sent").isEqualTo(LIMIT.last());
        assertThat(counters.sequenceExhausted()).as("datagrams dropped at the limit").isEqualTo(SENT - LIMIT.last());

        SecurityAssociation second = sa(2);
        tunnel.configure(List.of(first, second), Map.of(PEER, second.spi()));
        send(SENT, AFTER_ROTATION);
        assertThat(receiveOpened(second, SENT, AFTER_ROTATION)).as("sequence numbers under the next key generation")
                .containsExactlyElementsOf(LongStream.rangeClosed(1, AFTER_ROTATION).boxed().toList());
        assertThat(awaitHandled(SENT + AFTER_ROTATION).sequenceExhausted()).as("drops at the limit after the rotation")
                .isEqualTo(SENT - LIMIT.last());
    }

    private static SecurityAssociation sa(long generation) {
        byte[] material = new byte[ClusterKey.LENGTH];
        material[0] = (byte) generation;
        return PairKeys.derive(new ClusterKey(generation, material), LOCAL, PEER);
    }

    /** Datagrams {@code first}.. to the peer's VXLAN port, one every millisecond; datagram i carries i. */
    private void send(int first, int count) throws Exception {
        InetSocketAddress vxlan = new InetSocketAddress(PEER.toString(), VXLAN.value());
        for (int i = first; i < first + count; i++) {
            sender.send(ByteBuffer.allocate(64).putInt(0, i), vxlan);
            Thread.sleep(1);
        }
    }

    /**
     * The sequence numbers of {@code count} ESP packets the peer receives within 5 s, each opened with {@code sa}'s key
     * and checked to carry the next datagram from {@code firstDatagram} on.
     */
    private List<Long> receiveOpened(SecurityAssociation sa, int firstDatagram, int count) throws Exception {
        EspCodec codec = new EspCodec(sa);
        List<Long> sequences = new ArrayList<>();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (sequences.size() < count && System.nanoTime() < deadline) {
            ByteBuffer esp = receiveAny();
            if (esp == null) {
                continue;
            }
            assertThat(EspCodec.spi(esp)).as("SPI of ESP packet %d", sequences.size() + 1).isEqualTo(sa.spi());
            sequences.add(EspCodec.sequence(esp));
            ByteBuffer datagram = ByteBuffer.allocate(2048);
            assertThat(codec.open(esp, datagram)).as("next header: UDP").isEqualTo(17);
            assertThat(datagram.flip().getInt(8)).as("the datagram inside ESP packet %d", sequences.size())
                    .isEqualTo(firstDatagram + sequences.size() - 1);
        }
        return sequences;
    }

    /** The next ESP packet the peer receives within 500 ms, or null. */
    private ByteBuffer receiveAny() throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        long deadline = System.nanoTime() + 500_000_000L;
        while (System.nanoTime() < deadline) {
            if (peer.receive(buffer.clear()) != null) {
                return buffer.flip();
            }
            Thread.sleep(2);
        }
        return null;
    }

    /** The tunnel's counters once it has sent or dropped {@code datagrams} datagrams (within 5 s). */
    private EspTunnel.Counters awaitHandled(long datagrams) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        EspTunnel.Counters counters = tunnel.counters();
        while (counters.sealed() + counters.sequenceExhausted() < datagrams && System.nanoTime() < deadline) {
            Thread.sleep(10);
            counters = tunnel.counters();
        }
        return counters;
    }

    private DatagramChannel bound(Path namespace, IpAddress address, int port) throws Exception {
        return NetworkNamespace.call(Optional.of(namespace), "test-esp-limit-udp", () -> {
            DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
            channel.bind(new InetSocketAddress(address.toString(), port));
            channel.configureBlocking(false);
            return channel;
        });
    }

    private void run(String namespace, String step) throws Exception {
        TestNamespaces.Result r = namespaces.exec(namespace, step.split(" "));
        assertThat(r.exit()).as(step + ": " + r.output()).isZero();
    }
}

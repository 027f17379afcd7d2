package io.swarmnet.agent.encryption.userspace;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The userspace datapath's UDP socket in a namespace of its own, on real kernel sockets: a run of datagrams
 * leaves with one segmented send and, on a socket with UDP GRO, arrives in one receive; anyone else (a kernel
 * ESP peer, here a plain socket) gets ordinary separate datagrams, also when segmentation is off.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
@Tag("kernel")
class EspSocketTest {

    private static final IpAddress A = IpAddress.parse("198.18.0.1");
    private static final IpAddress B = IpAddress.parse("198.18.0.2");
    private static final IpAddress PLAIN = IpAddress.parse("198.18.0.3");
    private static final Runs RUN = new Runs(1000, 10, 300);

    private TestNamespaces namespaces;
    private Path namespace;

    @BeforeAll
    void createNamespace() throws Exception {
        namespaces = new TestNamespaces("snesk");
        namespace = namespaces.create("udp");
        for (IpAddress address : List.of(A, B, PLAIN)) {
            assertThat(namespaces.exec("udp", "ip", "addr", "add", address + "/32", "dev", "lo").exit()).isZero();
        }
    }

    @AfterAll
    void deleteNamespace() throws Exception {
        namespaces.close();
    }

    @Test
    void aRunOfDatagramsLeavesInOneSendAndArrivesInOneReceive() throws Exception {
        try (EspSocket a = EspSocket.open(Optional.of(namespace), A); EspSocket b = EspSocket.open(Optional.of(namespace), B)) {
            assertThat(b.coalescing()).as("the kernel accepted UDP_GRO").isTrue();
            assertThat(a.send(run(), RUN.segment(), (int) B.value())).isZero();
            assertThat(a.segmentation()).as("the kernel accepted UDP_SEGMENT").isTrue();

            ByteBuffer received = ByteBuffer.allocateDirect(65_535);
            int length = b.receive(received);
            assertThat(length).as("one receive holds the whole run").isEqualTo(RUN.bytes());
            assertThat(b.segment()).as("the size of each datagram in it").isEqualTo(RUN.segment());
            assertThat(b.source()).isEqualTo((int) A.value());
            received.limit(length);
            assertThat(datagrams(received, b.segment())).containsExactlyElementsOf(RUN.expected());
        }
    }

    @Test
    void aPeerWithoutCoalescingGetsSeparateDatagramsInOrder() throws Exception {
        try (EspSocket a = EspSocket.open(Optional.of(namespace), A); DatagramChannel plain = plainSocket()) {
            assertThat(a.send(run(), RUN.segment(), (int) PLAIN.value())).isZero();
            assertThat(RUN.receive(plain)).containsExactlyElementsOf(RUN.expected());
        }
    }

    @Test
    void withoutSegmentationTheRunIsSentOneDatagramPerCall() throws Exception {
        try (EspSocket a = EspSocket.open(Optional.of(namespace), A); DatagramChannel plain = plainSocket()) {
            a.disableSegmentation();
            assertThat(a.send(run(), RUN.segment(), (int) PLAIN.value())).isZero();
            assertThat(RUN.receive(plain)).containsExactlyElementsOf(RUN.expected());
            assertThat(a.segmentation()).isFalse();
        }
    }

    @Test
    void aRunTheKernelRefusesToSegmentGoesOneByOneAndSmallerRunsStillGoInOneSend() throws Exception {
        // a 1,500-byte MTU: 1,600-byte datagrams cannot be segmented (each would exceed it), one by one they fragment
        Path small = namespaces.create("mtu");
        for (String step : List.of("ip link set lo mtu 1500", "ip addr add " + A + "/32 dev lo", "ip addr add " + B + "/32 dev lo")) {
            assertThat(namespaces.exec("mtu", step.split(" ")).exit()).as(step).isZero();
        }
        Runs large = new Runs(1600, 3, 100);
        try (EspSocket a = EspSocket.open(Optional.of(small), A); EspSocket b = EspSocket.open(Optional.of(small), B)) {
            assertThat(a.send(large.fill(ByteBuffer.allocateDirect(large.bytes())).flip(), large.segment(), (int) B.value())).isZero();
            assertThat(a.segmentation()).as("segmentation after the kernel refused 1,600-byte datagrams").isFalse();
            ByteBuffer received = ByteBuffer.allocateDirect(65_535);
            List<String> datagrams = new ArrayList<>();
            for (int i = 0; i < 20 && datagrams.size() <= large.segments(); i++) {
                received.clear();
                int length = b.receive(received);
                if (length > 0) {
                    datagrams.addAll(datagrams(received.limit(length), b.segment()));
                }
            }
            assertThat(datagrams).as("the refused run, sent one by one").containsExactlyElementsOf(large.expected());

            assertThat(a.send(run(), RUN.segment(), (int) B.value())).isZero();
            received.clear();
            int length = b.receive(received);
            assertThat(length).as("a run of smaller datagrams still arrives in one receive").isEqualTo(RUN.bytes());
        }
    }

    @Test
    void aReceiveWithNothingQueuedReturnsWithinItsTimeoutAndShutdownEndsIt() throws Exception {
        try (EspSocket b = EspSocket.open(Optional.of(namespace), B)) {
            long started = System.nanoTime();
            assertThat(b.receive(ByteBuffer.allocateDirect(2048))).isZero();
            assertThat(System.nanoTime() - started).as("nanoseconds waited").isLessThan(2_000_000_000L);
            b.shutdown();
            assertThat(b.receive(ByteBuffer.allocateDirect(2048))).isEqualTo(-1);
        }
    }

    private static ByteBuffer run() {
        return RUN.fill(ByteBuffer.allocateDirect(RUN.bytes())).flip();
    }

    /** Each datagram of a received run, by the size the kernel reported. */
    private static List<String> datagrams(ByteBuffer run, int segment) {
        List<String> out = new ArrayList<>();
        for (int at = run.position(); at < run.limit(); at += segment) {
            out.add(Runs.describe(run.slice(at, Math.min(segment, run.limit() - at))));
        }
        return out;
    }

    private DatagramChannel plainSocket() throws Exception {
        return NetworkNamespace.call(Optional.of(namespace), "test-plain-udp", () -> {
            DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
            channel.bind(new InetSocketAddress(PLAIN.toString(), EspTunnel.ESP_IN_UDP_PORT));
            channel.configureBlocking(false);
            return channel;
        });
    }
}

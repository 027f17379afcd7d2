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
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole super-packets between two userspace ESP datapaths ({@link SuperPackets}), on real kernel objects: two
 * namespaces joined by a veth pair (the underlay), in each a VXLAN device whose traffic policy routing sends into that
 * node's TUN device, and an {@link EspTunnel} on each side. A TCP stream between the VXLAN devices' addresses must
 * arrive intact whatever the peers understand: whole between two datapaths that take super-packets, cut for one that
 * does not (an agent from before them), and segment by segment where the receiving kernel refuses the super-packet.
 */
@Timeout(120)
@Tag("kernel")
class EspSuperPacketsTest {

    private static final IpAddress NODE_1 = IpAddress.parse("198.18.61.1");
    private static final IpAddress NODE_2 = IpAddress.parse("198.18.61.2");
    private static final VxlanPort VXLAN = VxlanPort.DEFAULT;
    private static final int STREAM = 16 << 20;
    private static final int PORT = 5061;

    private final String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xFFFF));
    private TestNamespaces namespaces;
    private EspTunnel first;
    private EspTunnel second;
    /** The nodes' namespaces: node 1's, node 2's. */
    private final Path[] nodes = new Path[3];
    @TempDir
    Path state;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable open : new AutoCloseable[] {first, second}) {
            if (open != null) {
                open.close();
            }
        }
        if (namespaces != null) {
            namespaces.close(); // takes the veth pair and the VXLAN devices with it
        }
    }

    @Test
    void twoDatapathsThatTakeSuperPacketsSendThemWholeAndTheStreamArrivesIntact() throws Exception {
        start(true, true);

        String digest = stream(1, 2);

        assertThat(digest).as("SHA-256 of the %d bytes received on node 2 equals what node 1 sent", STREAM).isEqualTo(sentDigest());
        EspTunnel.Counters sender = first.counters();
        EspTunnel.Counters receiver = second.counters();
        assertThat(sender.sealedSuperPackets()).as("super-packets node 1 sealed whole").isPositive();
        assertThat(receiver.openedSuperPackets()).as("super-packets node 2 opened whole").isEqualTo(sender.sealedSuperPackets());
        assertThat(sender.hellosSent()).as("node 1 asked node 2 whether it takes them").isPositive();
        assertThat(sender.hellosReceived()).as("node 2's answers").isPositive();
        assertThat(receiver.malformed() + receiver.authenticationFailed() + receiver.replayed() + receiver.unknownSpi())
                .as("packets node 2 dropped").isZero();
        assertThat(receiver.openedBytes()).as("bytes node 2 opened: at least the stream").isGreaterThan(STREAM);
        // whole super-packets are what the kernel made of the stream: far fewer ESP packets than segments of it
        assertThat(sender.sealed()).as("ESP packets node 1 sealed for %d bytes", STREAM).isLessThan(STREAM / 1400 / 4);
    }

    @Test
    void aPeerThatDoesNotTakeSuperPacketsGetsThemCutAndTheHellosAreAllItDrops() throws Exception {
        start(true, false);

        assertThat(stream(1, 2)).as("stream node 1 → node 2 intact").isEqualTo(sentDigest());
        assertThat(stream(2, 1)).as("stream node 2 → node 1 intact").isEqualTo(sentDigest());

        EspTunnel.Counters current = first.counters();
        EspTunnel.Counters old = second.counters();
        assertThat(current.sealedSuperPackets()).as("super-packets node 1 sealed whole for a peer that never answered").isZero();
        assertThat(current.hellosSent()).as("node 1 asked").isPositive();
        assertThat(current.hellosReceived()).as("answers from a peer that does not take super-packets").isZero();
        assertThat(current.sealed()).as("ESP packets node 1 sealed: at least one per segment").isGreaterThan(STREAM / 1400);
        assertThat(old.malformed()).as("what the peer dropped: node 1's hellos, nothing else").isEqualTo(current.hellosSent());
        assertThat(old.sealedSuperPackets() + old.hellosSent()).as("whole super-packets or hellos from the peer").isZero();
        assertThat(current.malformed() + current.authenticationFailed()).as("packets node 1 dropped").isZero();
    }

    @Test
    void aReceivingKernelThatRefusesTheSuperPacketGetsItsSegmentsOneByOne() throws Exception {
        start(true, true);
        second.refuseTcpRuns();

        assertThat(stream(1, 2)).as("stream node 1 → node 2 intact").isEqualTo(sentDigest());
        assertThat(first.counters().sealedSuperPackets()).as("super-packets node 1 sealed whole").isPositive();
        assertThat(second.counters().openedSuperPackets()).as("super-packets node 2 opened and cut").isEqualTo(first.counters().sealedSuperPackets());
    }

    @Test
    void aSuperPacketTooLongForOneEspPacketGoesAsTwoSmallerOnes() throws Exception {
        start(true, true);
        first.limitWholeTo(40_000);

        assertThat(stream(1, 2)).as("stream node 1 → node 2 intact").isEqualTo(sentDigest());
        EspTunnel.Counters sender = first.counters();
        assertThat(sender.sealedSuperPackets()).as("super-packets node 1 sealed whole").isPositive();
        // the stream's 64 KB super-packets each went as two: more ESP packets sealed whole than super-packets read
        assertThat(sender.sealedSuperPackets()).as("ESP packets sealed whole against TUN reads").isGreaterThan(sender.reads());
        assertThat(second.counters().openedSuperPackets()).as("super-packets node 2 opened whole").isEqualTo(sender.sealedSuperPackets());
    }

    @Test
    void switchedOffTheSenderCutsEverySuperPacketAndStillOpensWholeOnes() throws Exception {
        start(true, true);
        first.sendSuperPackets(false);

        assertThat(stream(1, 2)).as("stream node 1 → node 2 intact").isEqualTo(sentDigest());
        assertThat(first.counters().sealedSuperPackets()).as("super-packets node 1 sealed whole while switched off").isZero();
        assertThat(first.counters().hellosSent()).as("hellos node 1 sent while switched off").isZero();
        assertThat(stream(2, 1)).as("stream node 2 → node 1 intact").isEqualTo(sentDigest());
        assertThat(first.counters().openedSuperPackets()).as("super-packets node 1 opened whole from node 2").isPositive();
    }

    // --- set-up ---------------------------------------------------------------------------------------------

    /** Two nodes; each one's datapath takes super-packets or not (an agent from before them). */
    private void start(boolean firstTakes, boolean secondTakes) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun (the tun module) for the userspace ESP datapath");
        namespaces = new TestNamespaces("snesp");
        Path one = namespaces.create("one");
        Path two = namespaces.create("two");
        nodes[1] = one;
        nodes[2] = two;
        String veth = "snespv" + suffix;
        run("one", "ip link add " + veth + " type veth peer name " + veth + "p netns " + two.getFileName());
        first = node("one", one, veth, NODE_1, NODE_2, "10.61.0.1", firstTakes, 1);
        assumeTrue(first.readsSuperPackets(), "needs a kernel whose TUN device offers UDP tunnel segmentation (Linux 6.17+):"
                + " without it no super-packet is ever read");
        second = node("two", two, veth + "p", NODE_2, NODE_1, "10.61.0.2", secondTakes, 2);
        SecurityAssociation oneToTwo = sa(NODE_1, NODE_2);
        SecurityAssociation twoToOne = sa(NODE_2, NODE_1);
        first.configure(List.of(oneToTwo, twoToOne), Map.of(NODE_2, oneToTwo.spi()));
        second.configure(List.of(oneToTwo, twoToOne), Map.of(NODE_1, twoToOne.spi()));
    }

    private EspTunnel node(String name, Path namespace, String veth, IpAddress local, IpAddress peer, String overlay, boolean takes, int n)
            throws Exception {
        String tun = "snesp" + suffix + "t" + n;
        String vxlan = "snesp" + suffix + "x" + n;
        run(name, "ip addr add " + local + "/24 dev " + veth);
        run(name, "ip link set " + veth + " up");
        EspTunnel tunnel = EspTunnel.start(tun, Optional.of(namespace), local, VXLAN, SequenceStore.open(state.resolve(name)),
                SequenceLimit.ESP, () -> { }, takes);
        // VXLAN to the peer goes into the TUN device (as the agent's fwmark rule sends it), ESP-in-UDP over the veth;
        // the VXLAN device's MTU leaves room for ESP in the veth's 1,500 bytes
        for (String step : List.of("ip link set " + tun + " up", "ip route add default dev " + tun + " table 100",
                "ip rule add pref 100 ipproto udp dport " + VXLAN + " lookup 100",
                "ip link add " + vxlan + " type vxlan id 61 local " + local + " remote " + peer + " dstport " + VXLAN,
                "ip link set " + vxlan + " mtu 1400", "ip addr add " + overlay + "/24 dev " + vxlan, "ip link set " + vxlan + " up")) {
            run(name, step);
        }
        return tunnel;
    }

    private static SecurityAssociation sa(IpAddress from, IpAddress to) {
        byte[] material = new byte[ClusterKey.LENGTH];
        material[0] = 61;
        return PairKeys.derive(new ClusterKey(1, material), from, to);
    }

    // --- the stream -----------------------------------------------------------------------------------------

    private static byte[] content() {
        byte[] bytes = new byte[STREAM];
        new Random(61).nextBytes(bytes);
        return bytes;
    }

    private static String sentDigest() throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content()));
    }

    /** Sends the content from node {@code from}'s overlay address to node {@code to}'s over TCP; the digest of what arrived. */
    private String stream(int from, int to) throws Exception {
        Path receiver = nodes[to];
        Path sender = nodes[from];
        String address = "10.61.0." + to;
        try (ServerSocket server = NetworkNamespace.call(Optional.of(receiver), "test-esp-super-server", () -> {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(address, PORT));
            return s;
        })) {
            server.setSoTimeout(30_000);
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
                try (Socket accepted = server.accept(); InputStream in = accepted.getInputStream()) {
                    accepted.setSoTimeout(30_000);
                    MessageDigest digest = MessageDigest.getInstance("SHA-256");
                    byte[] buffer = new byte[1 << 16];
                    long total = 0;
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        digest.update(buffer, 0, n);
                        total += n;
                    }
                    return total == STREAM ? HexFormat.of().formatHex(digest.digest()) : "only " + total + " bytes";
                } catch (Exception e) {
                    return e.toString();
                }
            });
            // connected inside: a Socket makes its descriptor only when it connects
            try (Socket client = NetworkNamespace.call(Optional.of(sender), "test-esp-super-client", () -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(address, PORT), 10_000);
                return s;
            })) {
                try (OutputStream out = client.getOutputStream()) {
                    byte[] bytes = content();
                    for (int at = 0; at < bytes.length; at += 1 << 20) {
                        out.write(bytes, at, Math.min(1 << 20, bytes.length - at));
                    }
                } catch (IOException e) {
                    throw new IOException("sending from node " + from + " to " + address + " failed; the receiver: "
                            + received.get(30, TimeUnit.SECONDS), e);
                }
            }
            return received.get(60, TimeUnit.SECONDS);
        }
    }

    private void run(String namespace, String step) throws IOException {
        TestNamespaces.Result r = namespaces.exec(namespace, step.split(" "));
        assertThat(r.exit()).as(step + ": " + r.output()).isZero();
    }
}

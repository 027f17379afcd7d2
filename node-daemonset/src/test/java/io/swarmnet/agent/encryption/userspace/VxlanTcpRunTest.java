package io.swarmnet.agent.encryption.userspace;

import static io.swarmnet.agent.encryption.userspace.VxlanDatagrams.ACK;
import static io.swarmnet.agent.encryption.userspace.VxlanDatagrams.PSH;
import static io.swarmnet.agent.encryption.userspace.VxlanDatagrams.TCP;
import static io.swarmnet.agent.encryption.userspace.VxlanDatagrams.TCP_HEADER;
import static io.swarmnet.agent.encryption.userspace.VxlanDatagrams.bytes;
import static io.swarmnet.agent.encryption.userspace.VxlanDatagrams.direct;
import static io.swarmnet.agent.encryption.userspace.VxlanDatagrams.onesComplement;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Joining opened TCP-in-VXLAN datagrams into one super-packet: consecutive segments of one flow are joined, with
 * every header and checksum right (cutting the super-packet as the sender's segmentation does gives back the very
 * datagrams that were joined); what GRO would not join is not joined: another flow, peer or acknowledgement, a gap
 * or a repeat in the sequence, a changed window or timestamp, SYN, FIN, RST, URG or CWR, a bad checksum, IPv4
 * options or fragments, and nothing follows a PSH or a short segment.
 */
class VxlanTcpRunTest {

    private static final int PEER = 0xC6120202; // 198.18.2.2
    private static final int LOCAL = 0xC6120201;
    private static final int MSS = 1000;
    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int URG = 0x20;
    private static final int CWR = 0x80;

    private final VxlanTcpRun run = new VxlanTcpRun();

    @Test
    void consecutiveSegmentsOfOneFlowBecomeOneSuperPacketThatCutsBackIntoThem() {
        VxlanDatagrams flow = new VxlanDatagrams();
        List<ByteBuffer> datagrams = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            datagrams.add(flow.segment(i, MSS, MSS));
        }
        flow.flags = ACK | PSH;
        datagrams.add(flow.segment(5, MSS, 300));
        for (ByteBuffer datagram : datagrams) {
            assertThat(offer(datagram)).isTrue();
        }
        assertThat(run.count()).isEqualTo(6);
        assertThat(run.segmentSize()).isEqualTo(MSS);
        assertThat(run.datagramBytes()).isEqualTo(datagrams.stream().mapToInt(ByteBuffer::remaining).sum());

        ByteBuffer packet = run.finish(LOCAL);
        int ip = packet.position() + TunDevice.HEADROOM;
        int end = packet.limit();
        int udp = ip + VxlanTcpRun.OUTER_IPV4;
        int inner = ip + VxlanTcpRun.INNER_NETWORK;
        int tcp = ip + VxlanTcpRun.INNER_TRANSPORT;
        int payload = 5 * MSS + 300;
        assertThat(packet.get(ip)).as("IPv4, 9 words of header").isEqualTo((byte) 0x49);
        assertThat(packet.getShort(ip + 2) & 0xFFFF).as("outer total length").isEqualTo(end - ip);
        assertThat(packet.get(ip + 9)).as("outer protocol UDP").isEqualTo((byte) 17);
        assertThat(packet.getInt(ip + 12)).isEqualTo(PEER);
        assertThat(packet.getInt(ip + 16)).isEqualTo(LOCAL);
        assertThat(bytes(packet, ip + 20, udp)).as("options: NOP").containsOnly(1);
        assertThat(onesComplement(bytes(packet, ip, udp), 0, 36, 0)).as("outer header checksum verifies").isEqualTo(0xFFFF);
        assertThat(packet.getShort(udp + 4) & 0xFFFF).as("UDP length").isEqualTo(end - udp);
        assertThat(packet.getShort(udp + 6)).as("UDP checksum: none").isZero();
        assertThat(packet.getShort(inner + 2) & 0xFFFF).as("inner total length").isEqualTo(20 + TCP_HEADER + payload);
        assertThat(packet.getShort(inner + 4) & 0xFFFF).as("the first segment's identification").isEqualTo(0x1234);
        assertThat(onesComplement(bytes(packet, inner, tcp), 0, 20, 0)).as("inner header checksum verifies").isEqualTo(0xFFFF);
        assertThat(packet.getInt(tcp + 4)).as("the first segment's sequence number").isEqualTo(0xFFFF_FF00);
        assertThat(packet.get(tcp + 13) & 0xFF).as("the last segment's PSH carried over").isEqualTo(ACK | PSH);

        // the checksum field holds the pseudo-header sum: completed as the kernel completes a partial checksum, it verifies
        byte[] segment = bytes(packet, tcp, end);
        int completed = ~onesComplement(segment, 0, segment.length, 0) & 0xFFFF;
        segment[16] = (byte) (completed >> 8);
        segment[17] = (byte) completed;
        byte[] pseudo = ByteBuffer.allocate(12).put(bytes(packet, inner + 12, inner + 20)).put((byte) 0).put((byte) 6)
                .putShort((short) segment.length).array();
        assertThat(onesComplement(segment, 0, segment.length, onesComplement(pseudo, 0, 12, 0))).as("TCP checksum of the whole run verifies")
                .isEqualTo(0xFFFF);

        VxlanTcpSegments cutter = new VxlanTcpSegments();
        int count = cutter.prepare(packet, ip, end - ip, MSS, VxlanTcpRun.INNER_NETWORK);
        assertThat(count).isEqualTo(6);
        byte[] cut = new byte[2048];
        for (int i = 0; i < count; i++) {
            int length = cutter.segment(i, count, cut);
            assertThat(ByteBuffer.wrap(cut, 0, length)).as("segment %d, cut again", i).isEqualTo(datagrams.get(i));
        }
    }

    @Test
    void aRunOfOneIsTheDatagramUnchangedBehindAPlainHeader() {
        ByteBuffer datagram = new VxlanDatagrams().segment(0, MSS, MSS);
        assertThat(offer(datagram)).isTrue();
        ByteBuffer packet = run.finish(LOCAL);
        int ip = packet.position() + TunDevice.HEADROOM;
        assertThat(packet.get(ip)).isEqualTo((byte) 0x45);
        assertThat(packet.getShort(ip + 2) & 0xFFFF).isEqualTo(20 + datagram.remaining());
        assertThat(onesComplement(bytes(packet, ip, ip + 20), 0, 20, 0)).isEqualTo(0xFFFF);
        assertThat(packet.slice(ip + 20, packet.limit() - ip - 20)).isEqualTo(datagram);
        assertThat(run.count()).as("empty again").isZero();
    }

    @Test
    void segmentsThatGroWouldNotJoinAreNotJoined() {
        assertNotJoined("another flow", f -> f.sourcePort = 5556);
        assertNotJoined("another acknowledgement", f -> f.acknowledgement = 78);
        assertNotJoined("another window", f -> f.window = 503);
        assertNotJoined("another timestamp", f -> f.timestamp = 10);
        assertNotJoined("another TOS (ECN mark)", f -> f.tos = 3);

        VxlanDatagrams flow = new VxlanDatagrams();
        assertThat(offer(flow.segment(0, MSS, MSS))).isTrue();
        assertThat(offer(flow.segment(2, MSS, MSS))).as("a gap in the sequence (out of order)").isFalse();
        assertThat(offer(flow.segment(0, MSS, MSS))).as("a repeat").isFalse();
        assertThat(offer(flow.datagram(0xFFFF_FF00 + MSS, 0x1234 + 5, MSS, 1))).as("an identification that does not follow").isFalse();
        assertThat(offerFrom(PEER + 1, direct(flow.segment(1, MSS, MSS)))).as("another peer").isFalse();
        assertThat(offer(flow.segment(1, MSS, MSS + 1))).as("a larger segment").isFalse();
        assertThat(offer(flow.segment(1, MSS, MSS))).as("the next segment").isTrue();
        assertThat(run.count()).isEqualTo(2);
    }

    @Test
    void nothingFollowsAPshOrAShortSegment() {
        VxlanDatagrams flow = new VxlanDatagrams();
        assertThat(offer(flow.segment(0, MSS, MSS))).isTrue();
        flow.flags = ACK | PSH;
        assertThat(offer(flow.segment(1, MSS, MSS))).as("PSH ends the run, joining it").isTrue();
        flow.flags = ACK;
        assertThat(offer(flow.segment(2, MSS, MSS))).as("after PSH").isFalse();
        run.finish(LOCAL);

        assertThat(offer(flow.segment(0, MSS, MSS))).isTrue();
        assertThat(offer(flow.segment(1, MSS, 10))).as("a short segment ends the run, joining it").isTrue();
        assertThat(offer(flow.datagram(0xFFFF_FF00 + MSS + 10, 0x1236, MSS, 2))).as("after a short segment").isFalse();
    }

    @Test
    void onlyChecksummedTcpDataWithAckAndNoOtherFlagsInPlainIpv4InVxlanMayJoin() {
        for (int flag : new int[] {FIN, SYN, RST, URG, CWR}) {
            VxlanDatagrams flow = new VxlanDatagrams();
            flow.flags = ACK | flag;
            assertThat(run.examine(direct(flow.segment(0, MSS, MSS)))).as("flags %x", flow.flags).isFalse();
        }
        assertThat(examine(f -> f.flags = PSH)).as("no ACK").isFalse();
        assertThat(examine(f -> f.badTcpChecksum = true)).as("a TCP checksum that fails").isFalse();
        assertThat(examine(f -> f.badIpChecksum = true)).as("an IPv4 header checksum that fails").isFalse();
        assertThat(examine(f -> f.ipHeaderWords = 6)).as("IPv4 options").isFalse();
        assertThat(examine(f -> f.fragment = 0x2000)).as("a first fragment").isFalse();
        assertThat(examine(f -> f.etherType = 0x8100)).as("a VLAN tag").isFalse();
        assertThat(run.examine(direct(new VxlanDatagrams().segment(0, MSS, 0)))).as("no payload (a pure ACK)").isFalse();
        assertThat(examine(f -> { })).as("a plain data segment").isTrue();
    }

    @Test
    void aRunStopsBeforeTheSuperPacketWouldPass64Kilobytes() {
        VxlanDatagrams flow = new VxlanDatagrams();
        int mss = 1448;
        int i = 0;
        while (offer(flow.segment(i, mss, mss))) {
            i++;
        }
        assertThat(i).isEqualTo(run.count());
        ByteBuffer packet = run.finish(LOCAL);
        int length = packet.limit() - packet.position() - TunDevice.HEADROOM;
        assertThat(length).isLessThanOrEqualTo(65_535);
        assertThat(length + mss).isGreaterThan(65_535);
    }

    /** Offers the datagram from PEER: true if it joined the run in progress or started one on an empty run. */
    private boolean offer(ByteBuffer datagram) {
        return offerFrom(PEER, direct(datagram));
    }

    /** As the opening thread does: a datagram that may join starts a run on an empty one or continues the run in progress. */
    private boolean offerFrom(int peer, ByteBuffer datagram) {
        if (!run.examine(datagram) || run.count() > 0 && !run.continues(peer, datagram)) {
            return false;
        }
        run.add(peer, datagram);
        return true;
    }

    private boolean examine(Consumer<VxlanDatagrams> change) {
        VxlanDatagrams flow = new VxlanDatagrams();
        change.accept(flow);
        return run.examine(direct(flow.segment(0, MSS, MSS)));
    }

    private void assertNotJoined(String what, Consumer<VxlanDatagrams> change) {
        VxlanDatagrams flow = new VxlanDatagrams();
        assertThat(offer(flow.segment(0, MSS, MSS))).isTrue();
        change.accept(flow);
        assertThat(offer(flow.segment(1, MSS, MSS))).as(what).isFalse();
        run.finish(LOCAL);
    }
}

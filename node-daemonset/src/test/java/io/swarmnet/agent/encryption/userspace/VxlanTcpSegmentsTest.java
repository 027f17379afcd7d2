package io.swarmnet.agent.encryption.userspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Cutting a TCP-in-VXLAN super-packet as the kernel's segmentation would: lengths, IDs, sequence numbers, flags
 * and both checksums of every segment, checked with an independent 16-bit checksum, and the payload intact.
 */
class VxlanTcpSegmentsTest {

    private static final int IP = 24; // as after the TUN headroom
    private static final int MSS = 1000;
    private static final int SEGMENTS = 6;
    private static final int PAYLOAD = (SEGMENTS - 1) * MSS + 300;
    private static final int OUTER_IP = 20;
    private static final int INNER_IP = OUTER_IP + 8 + 8 + 14; // from the outer IPv4 header: UDP, VXLAN, Ethernet
    private static final int TCP = INNER_IP + 20;
    private static final int TCP_HEADER = 32; // with 12 bytes of options (NOP, NOP, timestamps)
    private static final int FIN = 0x01;
    private static final int PSH = 0x08;
    private static final int ACK = 0x10;
    private static final int CWR = 0x80;

    @Test
    void eachSegmentIsWhatKernelSegmentationWouldHaveSent() {
        ByteBuffer superPacket = superPacket(CWR | ACK | PSH | FIN);
        VxlanTcpSegments segments = new VxlanTcpSegments();
        int count = prepared(segments, superPacket);

        byte[] datagram = new byte[2048];
        ByteBuffer joined = ByteBuffer.allocate(PAYLOAD);
        for (int i = 0; i < count; i++) {
            int length = segments.segment(i, count, datagram);
            ByteBuffer d = ByteBuffer.wrap(datagram, 0, length);
            int bytes = i < count - 1 ? MSS : 300;
            int innerIp = INNER_IP - OUTER_IP;
            int tcp = TCP - OUTER_IP;
            assertThat(length).as("segment %d: UDP datagram length", i).isEqualTo(tcp + TCP_HEADER + bytes);
            assertThat(d.getShort(0) & 0xFFFF).isEqualTo(40_000);
            assertThat(d.getShort(2) & 0xFFFF).isEqualTo(4789);
            assertThat(d.getShort(4) & 0xFFFF).as("UDP length").isEqualTo(length);
            assertThat(d.getShort(6)).as("outer UDP checksum: none, as VXLAN over IPv4 may send").isZero();
            assertThat(Arrays.copyOfRange(datagram, 8, innerIp)).as("VXLAN and Ethernet headers").isEqualTo(
                    Arrays.copyOfRange(superPacket.array(), IP + OUTER_IP + 8, IP + INNER_IP));

            assertThat(d.getShort(innerIp + 2) & 0xFFFF).as("inner IPv4 total length").isEqualTo(20 + TCP_HEADER + bytes);
            assertThat(d.getShort(innerIp + 4) & 0xFFFF).as("inner IPv4 identification").isEqualTo(0x1234 + i);
            assertThat(onesComplement(datagram, innerIp, innerIp + 20, 0)).as("inner IPv4 header checksum verifies").isEqualTo(0xFFFF);

            assertThat(d.getInt(tcp + 4) & 0xFFFF_FFFFL).as("sequence number").isEqualTo(0xFFFF_FF00L + (long) i * MSS & 0xFFFF_FFFFL);
            assertThat(d.getInt(tcp + 8)).as("acknowledgement").isEqualTo(77);
            int flags = datagram[tcp + 13] & 0xFF;
            assertThat(flags & ACK).isEqualTo(ACK);
            assertThat(flags & (FIN | PSH)).as("FIN and PSH on the last segment only").isEqualTo(i == count - 1 ? FIN | PSH : 0);
            assertThat(flags & CWR).as("CWR on the first segment only").isEqualTo(i == 0 ? CWR : 0);
            assertThat(Arrays.copyOfRange(datagram, tcp + 20, tcp + TCP_HEADER)).as("TCP options").isEqualTo(
                    Arrays.copyOfRange(superPacket.array(), IP + TCP + 20, IP + TCP + TCP_HEADER));
            byte[] pseudo = ByteBuffer.allocate(12).put(datagram, innerIp + 12, 8).put((byte) 0).put((byte) 6)
                    .putShort((short) (TCP_HEADER + bytes)).array();
            int pseudoSum = onesComplement(pseudo, 0, 12, 0);
            assertThat(onesComplement(datagram, tcp, length, pseudoSum)).as("TCP checksum verifies").isEqualTo(0xFFFF);
            joined.put(datagram, tcp + TCP_HEADER, bytes);
        }
        assertThat(joined.array()).as("the payload, in order").isEqualTo(Arrays.copyOfRange(superPacket.array(), IP + TCP + TCP_HEADER,
                IP + TCP + TCP_HEADER + PAYLOAD));
    }

    @Test
    void whatIsNotTcpInVxlanIsNotCut() {
        ByteBuffer packet = superPacket(ACK);
        VxlanTcpSegments segments = new VxlanTcpSegments();
        packet.put(IP + INNER_IP + 9, (byte) 17); // inner UDP
        assertThat(segments.prepare(packet, IP, TCP + TCP_HEADER + PAYLOAD, MSS, INNER_IP)).isZero();
        assertThat(segments.prepare(superPacket(ACK), IP, TCP + TCP_HEADER + PAYLOAD, MSS, 10)).as("inner header inside the outer UDP header")
                .isZero();
        assertThat(segments.prepare(superPacket(ACK), IP, TCP + TCP_HEADER + PAYLOAD, 0, INNER_IP)).as("no segment size").isZero();
        assertThat(segments.prepare(superPacket(ACK), IP, TCP + 10, MSS, INNER_IP)).as("cut short in the TCP header").isZero();
    }

    /** Prepares the test's super-packet (FIN, PSH and CWR set) in {@code segments}: its {@value #SEGMENTS} segments. */
    private static int prepared(VxlanTcpSegments segments, ByteBuffer superPacket) {
        int count = segments.prepare(superPacket, IP, TCP + TCP_HEADER + PAYLOAD, MSS, INNER_IP);
        assertThat(count).isEqualTo(SEGMENTS);
        return count;
    }

    @Test
    void runsOfSegmentsCutAsTheWholeSuperPacketWould() {
        ByteBuffer superPacket = superPacket(CWR | ACK | PSH | FIN);
        VxlanTcpSegments whole = new VxlanTcpSegments();
        int total = prepared(whole, superPacket);
        byte[][] expected = new byte[total][];
        byte[] datagram = new byte[2048];
        for (int i = 0; i < total; i++) {
            expected[i] = Arrays.copyOf(datagram, whole.segment(i, total, datagram));
        }

        for (int split = 1; split < total; split++) {
            int[][] runs = {{0, split}, {split, total - split}};
            for (int[] run : runs) {
                int first = run[0];
                int count = run[1];
                String which = "segments " + first + ".." + (first + count - 1) + " of " + total;
                whole.prepare(superPacket, IP, TCP + TCP_HEADER + PAYLOAD, MSS, INNER_IP);
                byte[] out = new byte[8 + TCP - OUTER_IP + TCP_HEADER + PAYLOAD + 8];
                Arrays.fill(out, (byte) 0xEE);
                int at = 8; // behind room for a header, as the sealer writes it
                int length = whole.run(first, count, total, out, at);
                int bytes = Math.min(count * MSS, PAYLOAD - first * MSS);
                int innerIp = at + INNER_IP - OUTER_IP;
                int tcp = at + TCP - OUTER_IP;
                assertThat(length).as(which + ": UDP datagram length").isEqualTo(TCP - OUTER_IP + TCP_HEADER + bytes);
                assertThat(Arrays.copyOfRange(out, 0, at)).as(which + ": nothing before it written").containsOnly((byte) 0xEE);
                assertThat(Arrays.copyOfRange(out, at + length, out.length)).as(which + ": nothing after it written").containsOnly((byte) 0xEE);
                ByteBuffer d = ByteBuffer.wrap(out);
                assertThat(d.getShort(at + 4) & 0xFFFF).as(which + ": UDP length").isEqualTo(length);
                assertThat(d.getShort(at + 6)).as(which + ": outer UDP checksum").isZero();
                assertThat(d.getShort(innerIp + 2) & 0xFFFF).as(which + ": inner IPv4 total length").isEqualTo(20 + TCP_HEADER + bytes);
                assertThat(onesComplement(out, innerIp, innerIp + 20, 0)).as(which + ": inner IPv4 header checksum verifies").isEqualTo(0xFFFF);
                byte[] pseudo = ByteBuffer.allocate(12).put(out, innerIp + 12, 8).put((byte) 0).put((byte) 6)
                        .putShort((short) (TCP_HEADER + bytes)).array();
                assertThat(d.getShort(tcp + 16) & 0xFFFF).as(which + ": TCP checksum field holds the pseudo-header sum")
                        .isEqualTo(onesComplement(pseudo, 0, 12, 0));
                assertThat(Arrays.copyOfRange(out, tcp + TCP_HEADER, tcp + TCP_HEADER + bytes)).as(which + ": payload").isEqualTo(
                        Arrays.copyOfRange(superPacket.array(), IP + TCP + TCP_HEADER + first * MSS, IP + TCP + TCP_HEADER + first * MSS + bytes));

                // the run as a super-packet of its own: behind the original outer IPv4 header, at the same offsets
                ByteBuffer runPacket = ByteBuffer.allocate(IP + OUTER_IP + length);
                runPacket.put(IP, superPacket, IP, OUTER_IP).put(IP + OUTER_IP, out, at, length);
                runPacket.putShort(IP + 2, (short) (OUTER_IP + length));
                VxlanTcpSegments part = new VxlanTcpSegments();
                assertThat(part.prepare(runPacket, IP, OUTER_IP + length, MSS, INNER_IP)).as(which + ": segments in the run").isEqualTo(count);
                for (int i = 0; i < count; i++) {
                    byte[] cut = Arrays.copyOf(datagram, part.segment(i, count, datagram));
                    assertThat(cut).as(which + ": segment %d cut from the run", first + i).isEqualTo(expected[first + i]);
                }
            }
        }
    }

    /** Outer IPv4 | UDP 40000 -> 4789 | VXLAN 42 | Ethernet | IPv4 (id 0x1234, DF) | TCP (seq 2^32 - 256: it wraps) | payload. */
    private static ByteBuffer superPacket(int flags) {
        int total = TCP + TCP_HEADER + PAYLOAD;
        ByteBuffer b = ByteBuffer.allocate(IP + total);
        b.position(IP);
        b.put((byte) 0x45).put((byte) 0).putShort((short) total).putShort((short) 7).putShort((short) 0x4000).put((byte) 64).put((byte) 17)
                .putShort((short) 0).put(new byte[] {(byte) 198, 18, 2, 2}).put(new byte[] {(byte) 198, 18, 2, 1});
        b.putShort((short) 40_000).putShort((short) 4789).putShort((short) (total - OUTER_IP)).putShort((short) 0x5A5A);
        b.putInt(0x0800_0000).putInt(42 << 8);
        b.put(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (total - INNER_IP)).putShort((short) 0x1234).putShort((short) 0x4000).put((byte) 64)
                .put((byte) 6).putShort((short) 0x7777).put(new byte[] {10, 99, 0, 2}).put(new byte[] {10, 99, 0, 1});
        b.putShort((short) 5555).putShort((short) 7777).putInt(0xFFFF_FF00).putInt(77).put((byte) ((TCP_HEADER / 4) << 4)).put((byte) flags)
                .putShort((short) 502).putShort((short) 0x1111).putShort((short) 0);
        b.put(new byte[] {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 3});
        for (int i = 0; i < PAYLOAD; i++) {
            b.put((byte) (i * 7 + i / 251));
        }
        return b.flip();
    }

    /** RFC 1071 the plain way, 16 bits at a time: independent of the code under test. */
    private static int onesComplement(byte[] data, int from, int to, int initial) {
        int sum = initial;
        for (int i = from; i < to; i += 2) {
            int word = (data[i] & 0xFF) << 8 | (i + 1 < to ? data[i + 1] & 0xFF : 0);
            sum += word;
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return sum;
    }
}

package io.swarmnet.agent.encryption.userspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The parts of {@link SuperPackets} that need no kernel: how an ESP packet is counted into pieces and the pieces into
 * UDP segmentation sends, cutting pieces and joining them again (and what the joiner drops), the hellos' bookkeeping
 * against a clock of the test's own, and the header of the payload.
 */
class SuperPacketsTest {

    /** The datagram of a piece as the sealer picks it for a 1,448-byte segment: as large as a cut ESP packet. */
    private static final int DATAGRAM = 1468;
    private static final int PEER = 0xC612_0202; // 198.18.2.2
    private static final int OTHER_PEER = 0xC612_0203;

    @Test
    void aSixtyFourKilobytePacketTravelsInPiecesThatFitOneSend() {
        int length = 65_020;
        int pieces = SuperPackets.pieces(length, DATAGRAM);

        assertThat(pieces).isEqualTo(45); // 44 of 1,460 bytes hold 64,240: one more for the rest
        assertThat(length + pieces * SuperPackets.PIECE_HEADER).as("bytes of all pieces").isLessThanOrEqualTo(EspSocket.MAX_BYTES);
        assertThat(SuperPackets.piecesInSend(length, DATAGRAM, 0, pieces)).as("all in one send").isEqualTo(pieces);
        assertThat(sends(length, DATAGRAM)).hasSize(1);
    }

    @Test
    void piecesThatDoNotFitOneSendAreSplitOverSendsWithinTheSocketsLimits() {
        // too many bytes with their pieces' headers; too many pieces for one send; a mix, and one piece
        int[][] cases = {{SuperPackets.MAX_ESP, DATAGRAM}, {65_400, 1468}, {60_000, 508}, {30_000, 200}, {50_000, 9000},
            {1000, DATAGRAM}, {DATAGRAM - SuperPackets.PIECE_HEADER, DATAGRAM}};
        Random random = new Random(7);
        List<int[]> all = new ArrayList<>(Arrays.asList(cases));
        for (int i = 0; i < 200; i++) {
            all.add(new int[] {1 + random.nextInt(SuperPackets.MAX_ESP), 300 + random.nextInt(9000)});
        }
        int split = 0;
        for (int[] c : all) {
            int length = c[0];
            int datagram = c[1];
            int pieces = SuperPackets.pieces(length, datagram);
            if (pieces == 0) {
                continue; // more than a piece count holds: not sent in pieces at all
            }
            int carried = datagram - SuperPackets.PIECE_HEADER;
            List<int[]> sends = sends(length, datagram);
            int covered = 0;
            for (int[] send : sends) {
                int first = send[0];
                int count = send[1];
                assertThat(first).as("%d in %d: sends follow each other", length, datagram).isEqualTo(covered);
                assertThat(count).as("%d in %d from %d: pieces in one send", length, datagram, first)
                        .isBetween(1, EspSocket.MAX_SEGMENTS);
                assertThat(bytes(length, carried, first, count)).as("%d in %d from %d: bytes in one send", length, datagram, first)
                        .isLessThanOrEqualTo(EspSocket.MAX_BYTES);
                if (first + count < pieces) {
                    // as few sends as carry them: the next piece would not have fitted this one
                    assertThat(count == EspSocket.MAX_SEGMENTS || bytes(length, carried, first, count + 1) > EspSocket.MAX_BYTES)
                            .as("%d in %d from %d: send of %d pieces is full", length, datagram, first, count).isTrue();
                }
                covered += count;
            }
            assertThat(covered).as("%d in %d: the sends carry every piece", length, datagram).isEqualTo(pieces);
            if (sends.size() > 1) {
                split++;
            }
        }
        assertThat(split).as("cases that needed more than one send").isGreaterThanOrEqualTo(4);
    }

    @Test
    void noPiecesForAPacketLongerThanAUdpDatagramOrForMoreThanACountHolds() {
        assertThat(SuperPackets.pieces(SuperPackets.MAX_ESP, DATAGRAM)).isEqualTo(45);
        assertThat(SuperPackets.pieces(SuperPackets.MAX_ESP + 1, DATAGRAM)).as("longer than a UDP datagram").isZero();
        int carried = 100;
        int datagram = carried + SuperPackets.PIECE_HEADER;
        assertThat(SuperPackets.pieces(SuperPackets.MAX_PIECES * carried, datagram)).isEqualTo(SuperPackets.MAX_PIECES);
        assertThat(SuperPackets.pieces(SuperPackets.MAX_PIECES * carried + 1, datagram)).as("256 pieces").isZero();
        assertThat(SuperPackets.pieces(1000, SuperPackets.PIECE_HEADER)).as("pieces that carry nothing").isZero();
        assertThat(SuperPackets.pieces(1, datagram)).isEqualTo(1);
        assertThat(SuperPackets.pieces(carried, datagram)).isEqualTo(1);
        assertThat(SuperPackets.pieces(carried + 1, datagram)).isEqualTo(2);
    }

    @Test
    void piecesCutAsTheSealerSendsThemJoinToThePacket() {
        Random random = new Random(11);
        SuperPackets.Joiner joiner = new SuperPackets.Joiner();
        for (int round = 0; round < 60; round++) {
            int datagram = round < 10 ? DATAGRAM : 200 + random.nextInt(9000);
            int length = round == 0 ? 65_020 : round == 1 ? SuperPackets.MAX_ESP : round == 2 ? 40 : 16 + random.nextInt(SuperPackets.MAX_ESP - 16);
            if (SuperPackets.pieces(length, datagram) == 0) {
                continue;
            }
            byte[] esp = espPacket(random, length);
            long sequence = 0x1_0000_0000L + random.nextInt(1 << 20); // above 32 bits: only the low 16 travel
            List<ByteBuffer> pieces = cut(esp, sequence, datagram);

            assertThat(pieces).hasSize(SuperPackets.pieces(length, datagram));
            for (int i = 0; i < pieces.size(); i++) {
                ByteBuffer piece = pieces.get(i);
                int at = piece.position();
                assertThat(piece.remaining()).as("piece %d of %d", i, pieces.size()).isEqualTo(i < pieces.size() - 1 ? datagram
                        : SuperPackets.PIECE_HEADER + length - i * (datagram - SuperPackets.PIECE_HEADER));
                assertThat(piece.getInt(at)).as("non-ESP marker").isZero();
                assertThat(piece.get(at + 4) & 0xFF).as("index").isEqualTo(i);
                assertThat(piece.get(at + 5) & 0xFF).as("count").isEqualTo(pieces.size());
                assertThat(piece.getShort(at + 6) & 0xFFFF).as("low 16 bits of the sequence number").isEqualTo((int) (sequence & 0xFFFF));
                assertThat(SuperPackets.isPiece(piece)).isTrue();

                ByteBuffer joined = joiner.add(piece);
                if (i < pieces.size() - 1) {
                    assertThat(joined).as("round %d: piece %d of %d completes nothing", round, i, pieces.size()).isNull();
                } else {
                    assertThat(joined).as("round %d: the last piece completes the packet", round).isNotNull();
                    assertThat(bytes(joined)).as("round %d: %d bytes in %d-byte pieces", round, length, datagram).isEqualTo(esp);
                }
            }
        }
        assertThat(joiner.dropped).isZero();
        assertThat(SuperPackets.isPiece(ByteBuffer.wrap(espPacket(random, 100)))).as("an ESP packet").isFalse();
        assertThat(SuperPackets.isPiece(ByteBuffer.wrap(new byte[3]))).as("shorter than the marker").isFalse();
    }

    @Test
    void aMissingPieceDropsThePacketOnceAndTheNextOneJoins() {
        assertOneDropThenJoins(13, 5, new int[] {0, 1, 3, 4});
    }

    @Test
    void aRepeatedPieceDropsThePacket() {
        assertOneDropThenJoins(17, 4, new int[] {0, 1, 1, 2, 3});
    }

    /**
     * Feeds the pieces of a packet of {@code count} pieces in {@code order} to a new joiner: nothing is joined, one
     * packet counts as dropped, and the next packet joins.
     */
    private static void assertOneDropThenJoins(long seed, int count, int[] order) {
        Random random = new Random(seed);
        SuperPackets.Joiner joiner = new SuperPackets.Joiner();
        List<ByteBuffer> pieces = cut(espPacket(random, count * 1000), 1, 1008);
        assertThat(pieces).hasSize(count);

        for (int i : order) {
            assertThat(joiner.add(pieces.get(i))).as("piece %d", i).isNull();
        }
        assertThat(joiner.dropped).as("one packet dropped, its other pieces ignored").isEqualTo(1);

        assertJoins(joiner, random, 2);
        assertThat(joiner.dropped).isEqualTo(1);
    }

    @Test
    void aNewPacketBeforeTheLastEndedDropsTheLastAndJoins() {
        Random random = new Random(19);
        SuperPackets.Joiner joiner = new SuperPackets.Joiner();
        List<ByteBuffer> cutShort = cut(espPacket(random, 4 * 1000), 1, 1008);
        byte[] next = espPacket(random, 3 * 1000 - 1);
        List<ByteBuffer> pieces = cut(next, 2, 1008);

        assertThat(joiner.add(cutShort.get(0))).isNull();
        assertThat(joiner.add(cutShort.get(1))).isNull();
        assertThat(joiner.add(pieces.get(0))).isNull();
        assertThat(joiner.dropped).as("the packet under way").isEqualTo(1);
        assertThat(joiner.add(pieces.get(1))).isNull();
        assertThat(bytes(joiner.add(pieces.get(2)))).isEqualTo(next);
        assertThat(joiner.dropped).isEqualTo(1);
        assertThat(joiner.add(cutShort.get(2))).as("the dropped packet's rest").isNull();
        assertThat(joiner.add(cutShort.get(3))).isNull();
        assertThat(joiner.dropped).isEqualTo(1);

        assertJoins(joiner, random, 3);
    }

    @Test
    void malformedPiecesCountAsDropped() {
        Random random = new Random(23);
        SuperPackets.Joiner joiner = new SuperPackets.Joiner();
        ByteBuffer beyondCount = cut(espPacket(random, 3000), 1, 1008).get(2);
        beyondCount.put(beyondCount.position() + 5, (byte) 2); // piece 2 of 2
        assertThat(joiner.add(beyondCount)).isNull();
        assertThat(joiner.dropped).as("index beyond the count").isEqualTo(1);

        assertThat(joiner.add(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 1, 0, 1}))).isNull();
        assertThat(joiner.dropped).as("a header and no bytes").isEqualTo(2);
        assertThat(joiner.add(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0}))).isNull();
        assertThat(joiner.dropped).as("less than a header").isEqualTo(3);

        assertJoins(joiner, random, 4);
        assertThat(joiner.dropped).isEqualTo(3);

        List<ByteBuffer> underWay = cut(espPacket(random, 3000), 5, 1008);
        assertThat(joiner.add(underWay.get(0))).isNull();
        assertThat(joiner.add(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 1, 0, 0, 5}))).as("count 0 while a packet is under way").isNull();
        assertThat(joiner.dropped).as("more than before: the malformed piece drops the packet under way").isGreaterThan(3);
        long dropped = joiner.dropped;
        assertThat(joiner.add(underWay.get(1))).isNull();
        assertThat(joiner.add(underWay.get(2))).isNull();
        assertThat(joiner.dropped).isEqualTo(dropped);

        assertJoins(joiner, random, 6);
    }

    @Test
    void piecesOfAnotherSequenceNumberOrCountInTheMiddleDropThePacket() {
        Random random = new Random(29);
        SuperPackets.Joiner joiner = new SuperPackets.Joiner();
        byte[] esp = espPacket(random, 4 * 1000);
        List<ByteBuffer> first = cut(esp, 0x2_0007, 1008);
        List<ByteBuffer> other = cut(esp, 0x2_0008, 1008);

        assertThat(joiner.add(first.get(0))).isNull();
        assertThat(joiner.add(first.get(1))).isNull();
        assertThat(joiner.add(other.get(2))).as("another sequence number").isNull();
        assertThat(joiner.add(first.get(3))).isNull();
        assertThat(joiner.dropped).isEqualTo(1);
        assertJoins(joiner, random, 0x2_0009);

        List<ByteBuffer> again = cut(esp, 10, 1008);
        assertThat(joiner.add(again.get(0))).isNull();
        ByteBuffer miscounted = again.get(1);
        miscounted.put(miscounted.position() + 5, (byte) 5);
        assertThat(joiner.add(miscounted)).as("another count").isNull();
        assertThat(joiner.add(again.get(2))).isNull();
        assertThat(joiner.add(again.get(3))).isNull();
        assertThat(joiner.dropped).isEqualTo(2);
        assertJoins(joiner, random, 11);
        assertThat(joiner.dropped).isEqualTo(2);
    }

    @Test
    void aPeerIsAcceptedForHeardMillisAfterItsHello() {
        AtomicLong clock = new AtomicLong(50_000);
        SuperPackets superPackets = new SuperPackets(clock::get);
        assertThat(superPackets.now()).isEqualTo(50_000);
        assertThat(superPackets.accepts(PEER)).as("never heard").isFalse();

        superPackets.heard(PEER, false);
        assertThat(superPackets.accepts(PEER)).isTrue();
        assertThat(superPackets.accepts(OTHER_PEER)).as("another peer, never heard").isFalse();
        clock.addAndGet(SuperPackets.HEARD_MILLIS);
        assertThat(superPackets.accepts(PEER)).as("HEARD_MILLIS after").isTrue();
        clock.incrementAndGet();
        assertThat(superPackets.accepts(PEER)).as("a millisecond later").isFalse();

        superPackets.heard(PEER, false);
        clock.addAndGet(SuperPackets.HELLO_MILLIS);
        assertThat(superPackets.accepts(PEER)).as("heard again").isTrue();
    }

    @Test
    void aHelloThatAsksIsAnsweredOnce() {
        SuperPackets superPackets = new SuperPackets(() -> 1_000);
        assertThat(superPackets.takeAnswerDue()).isNull();

        superPackets.heard(PEER, false);
        assertThat(superPackets.takeAnswerDue()).as("not asked").isNull();

        superPackets.heard(PEER, true);
        assertThat(superPackets.takeAnswerDue()).isEqualTo(PEER);
        assertThat(superPackets.takeAnswerDue()).as("taken").isNull();

        superPackets.heard(PEER, true);
        superPackets.heard(OTHER_PEER, true);
        superPackets.heard(PEER, true);
        Set<Integer> taken = new HashSet<>();
        taken.add(superPackets.takeAnswerDue());
        taken.add(superPackets.takeAnswerDue());
        assertThat(taken).containsExactlyInAnyOrder(PEER, OTHER_PEER);
        assertThat(superPackets.takeAnswerDue()).as("one answer per peer, however often it asked").isNull();
    }

    @Test
    void theHeaderReadsBackWhatWasWritten() {
        byte[] plain = new byte[20];
        Arrays.fill(plain, (byte) 0xEE);
        int at = 5;
        SuperPackets.writeHeader(plain, at, SuperPackets.SUPER_PACKET, 0x81, 0xFEDC, 0x8032);

        ByteBuffer read = ByteBuffer.wrap(plain);
        assertThat(SuperPackets.kind(read, at)).isEqualTo(SuperPackets.SUPER_PACKET);
        assertThat(SuperPackets.flags(read, at)).isEqualTo(0x81);
        assertThat(SuperPackets.segment(read, at)).isEqualTo(0xFEDC);
        assertThat(SuperPackets.innerNetworkFromUdp(read, at)).isEqualTo(0x8032);
        assertThat(Arrays.copyOfRange(plain, at + 6, at + 8)).as("reserved").containsExactly(0, 0);
        assertThat(Arrays.copyOfRange(plain, 0, at)).as("before").containsOnly((byte) 0xEE);
        assertThat(Arrays.copyOfRange(plain, at + SuperPackets.HEADER, plain.length)).as("after").containsOnly((byte) 0xEE);

        SuperPackets.writeHeader(plain, at, SuperPackets.HELLO, SuperPackets.ANSWER, 1448, 50);
        assertThat(SuperPackets.kind(read, at)).isEqualTo(SuperPackets.HELLO);
        assertThat(SuperPackets.flags(read, at)).isEqualTo(SuperPackets.ANSWER);
        assertThat(SuperPackets.segment(read, at)).isEqualTo(1448);
        assertThat(SuperPackets.innerNetworkFromUdp(read, at)).isEqualTo(50);
    }

    /** Feeds a new packet's pieces to {@code joiner} and checks that only the last completes it, intact. */
    @Test
    void joinersOfManyPeersShareAsManyBuffersAsPacketsWereUnderWayAtOnce() {
        Random random = new Random(23);
        java.util.Deque<ByteBuffer> spare = new java.util.ArrayDeque<>();
        List<SuperPackets.Joiner> peers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            peers.add(new SuperPackets.Joiner(spare));
        }
        // one peer after the other sends a whole packet, which is opened and released before the next
        for (SuperPackets.Joiner joiner : peers) {
            byte[] esp = espPacket(random, 5000);
            List<ByteBuffer> pieces = cut(esp, 7, 1008);
            ByteBuffer whole = null;
            for (ByteBuffer piece : pieces) {
                whole = joiner.add(piece);
            }
            assertThat(whole).as("the joined packet").isNotNull();
            assertThat(toArray(whole)).isEqualTo(esp);
            joiner.release();
            assertThat(joiner.holdsBuffer()).as("a joiner after its packet was released").isFalse();
        }
        assertThat(spare).as("buffers made for 100 peers whose packets came one at a time").hasSize(1);

        // two packets under way at once, from two peers: two buffers; a dropped packet gives its buffer back
        List<ByteBuffer> first = cut(espPacket(random, 5000), 8, 1008);
        List<ByteBuffer> second = cut(espPacket(random, 5000), 9, 1008);
        assertThat(peers.get(0).add(first.get(0))).isNull();
        assertThat(peers.get(1).add(second.get(0))).isNull();
        assertThat(peers.get(0).holdsBuffer() && peers.get(1).holdsBuffer()).as("both under way hold a buffer").isTrue();
        assertThat(spare).as("spare while two are under way").isEmpty();
        assertThat(peers.get(0).add(first.get(2))).as("a gap").isNull();
        assertThat(peers.get(0).holdsBuffer()).as("a joiner whose packet was dropped").isFalse();
        assertThat(spare).hasSize(1);
        for (int i = 1; i < second.size() - 1; i++) {
            assertThat(peers.get(1).add(second.get(i))).isNull();
        }
        assertThat(peers.get(1).add(second.get(second.size() - 1))).isNotNull();
        peers.get(1).release();
        assertThat(spare).as("every buffer back once nothing is under way: as many as were in use at once").hasSize(2);
    }

    private static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static void assertJoins(SuperPackets.Joiner joiner, Random random, long sequence) {
        byte[] esp = espPacket(random, 2500 + random.nextInt(3000));
        List<ByteBuffer> pieces = cut(esp, sequence, 1008);
        for (int i = 0; i < pieces.size() - 1; i++) {
            assertThat(joiner.add(pieces.get(i))).isNull();
        }
        ByteBuffer joined = joiner.add(pieces.get(pieces.size() - 1));
        assertThat(joined).as("the next packet after a drop").isNotNull();
        assertThat(bytes(joined)).isEqualTo(esp);
    }

    /** Random bytes, the first four not all zero: like an ESP packet, whose SPI is never 0. */
    private static byte[] espPacket(Random random, int length) {
        byte[] esp = new byte[length];
        random.nextBytes(esp);
        esp[0] = (byte) (1 + random.nextInt(255));
        return esp;
    }

    /**
     * Cuts {@code esp} into pieces as the sealer does, one {@link SuperPackets#cut} per send, and returns each piece
     * as a view of its send's buffer between position and limit (the views do not start at 0).
     */
    private static List<ByteBuffer> cut(byte[] esp, long sequence, int datagram) {
        // the packet inside a larger buffer: cut takes it between position and limit
        ByteBuffer whole = ByteBuffer.allocate(esp.length + 10).position(3);
        whole.put(esp).flip().position(3);
        int pieces = SuperPackets.pieces(esp.length, datagram);
        List<ByteBuffer> out = new ArrayList<>();
        for (int first = 0, inSend; first < pieces; first += inSend) {
            inSend = SuperPackets.piecesInSend(esp.length, datagram, first, pieces);
            ByteBuffer train = ByteBuffer.allocate(EspSocket.MAX_BYTES + 64);
            train.position(1); // a send's pieces need not start at the buffer's start
            SuperPackets.cut(whole, sequence, datagram, pieces, first, inSend, train);
            int end = train.position();
            assertThat(whole.position()).as("the packet's position stays").isEqualTo(3);
            for (int at = 1; at < end; at += datagram) {
                out.add(train.duplicate().limit(Math.min(end, at + datagram)).position(at));
            }
        }
        return out;
    }

    /** Sends of {@code length} bytes in {@code datagram}-byte pieces, as the sealer makes them: first piece, count. */
    private static List<int[]> sends(int length, int datagram) {
        int pieces = SuperPackets.pieces(length, datagram);
        List<int[]> sends = new ArrayList<>();
        for (int first = 0, inSend; first < pieces; first += inSend) {
            inSend = SuperPackets.piecesInSend(length, datagram, first, pieces);
            sends.add(new int[] {first, inSend});
        }
        return sends;
    }

    /** The bytes of pieces {@code first} to {@code first + count - 1} with their headers, counted independently. */
    private static long bytes(int length, int carried, int first, int count) {
        long bytes = 0;
        for (int i = first; i < first + count; i++) {
            long from = (long) i * carried;
            if (from >= length) {
                return Long.MAX_VALUE; // no such piece
            }
            bytes += SuperPackets.PIECE_HEADER + Math.min(carried, length - from);
        }
        return bytes;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}

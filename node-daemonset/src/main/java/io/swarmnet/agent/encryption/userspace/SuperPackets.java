package io.swarmnet.agent.encryption.userspace;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Whole TCP-in-VXLAN super-packets in one ESP packet, between two userspace ESP datapaths that both understand
 * them. What a task's TCP send becomes on the VXLAN device (up to 64 KB) is sealed as it is, instead of being cut into
 * the datagrams the kernel's segmentation would send and sealed one by one: one AES-GCM call, one send and one TUN
 * write per 64 KB on either side, and the receiving kernel's UDP, VXLAN, bridge and TCP see one packet.
 *
 * <p>Such an ESP packet is larger than the underlay's MTU. It is not left to IP fragmentation, whose fragments each
 * take the whole path through both kernels (measured: the sealing thread spent 150 µs in the kernel per 64 KB, and
 * the path was slower than cutting): it travels in <em>pieces</em>, each one UDP datagram no larger than the ESP
 * packets of the cut super-packet would be, sent with one UDP segmentation send per 64 KB of pieces and, where the
 * receiver's socket coalesces (UDP GRO), received with as few calls. A piece is {@code 0(4) | index(1) | count(1) |
 * sequence(2) | bytes}: the four zero bytes are RFC 3948's non-ESP marker (no SPI is 0), the sequence is the low 16
 * bits of the ESP packet's sequence number, and the pieces' bytes in index order are the ESP packet (eight bytes of
 * header, not more: a 64 KB super-packet's pieces then still fit one send). The receiver joins the pieces of one sender
 * in order; a piece missing or out of order drops the packet (as a lost fragment would), and TCP sends it again.
 *
 * <p>Wire format: an ESP packet of the pair's SA as any other (same SPI, sequence numbers, replay window), whose next
 * header is {@value #NEXT_HEADER} (RFC 3692's value for experiments, which no kernel ESP peer delivers anywhere) and
 * whose payload begins with this {@value #HEADER}-byte header, big-endian:
 * {@code kind(1) | 0(1) | segment size(2) | inner IPv4 header's offset from the UDP header(2) | 0(2)}, then for
 * {@link #SUPER_PACKET} the outer UDP datagram (VXLAN) carrying the super-packet, whose inner TCP checksum field holds
 * the pseudo-header sum (the segments' checksums are the receiving kernel's to make, or unnecessary: AES-GCM has
 * authenticated every byte). {@link #HELLO} carries nothing after the header.
 *
 * <p>Who may be sent one: a datapath with a super-packet for a peer asks it, at most once per {@value #HELLO_MILLIS}
 * ms, with a {@link #HELLO} that asks for an answer ({@link #ANSWER}); one that understands super-packets takes the
 * hello as the asker's word that it does too, and answers with a hello of its own. A peer whose hello was
 * authenticated within the last {@value #HEARD_MILLIS} ms gets super-packets; any other (a kernel ESP peer, an older
 * agent, one that went quiet) gets the datagrams one by one, as before. Nothing is said while no super-packet is
 * sent. A kernel ESP peer receives a hello as a packet of an unknown protocol and drops it.
 */
final class SuperPackets {

    /** The ESP next header that marks the payload as this format (RFC 3692: for experimentation and testing). */
    static final int NEXT_HEADER = 253;
    static final int HEADER = 8;
    static final int SUPER_PACKET = 1;
    static final int HELLO = 2;
    /** A hello's flag (second byte): the sender wants a hello back. */
    static final int ANSWER = 1;
    static final long HELLO_MILLIS = 2_000;
    static final long HEARD_MILLIS = 3 * HELLO_MILLIS + 500;
    /** The largest UDP payload an IPv4 datagram holds: no ESP packet may be longer. */
    static final int MAX_ESP = 65_535 - 20 - 8;
    /** Before a piece's bytes: the non-ESP marker, index, count, the low 16 bits of the ESP packet's sequence number. */
    static final int PIECE_HEADER = 8;

    private final LongSupplier clockMillis;
    /** Per peer (IPv4 address as an int), when its last hello was authenticated. */
    private final ConcurrentHashMap<Integer, Long> heard = new ConcurrentHashMap<>();

    SuperPackets(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
    }

    SuperPackets() {
        this(() -> System.nanoTime() / 1_000_000);
    }

    /** Peers whose hello asked for an answer: the sealing thread sends them one. */
    private final java.util.Set<Integer> answerDue = ConcurrentHashMap.newKeySet();

    /** An authenticated hello came from {@code peer}; {@code answer}: it asked for one back. */
    void heard(int peer, boolean answer) {
        heard.put(peer, clockMillis.getAsLong());
        if (answer) {
            answerDue.add(peer);
        }
    }

    /** Takes one peer owed an answer, or null (the sealing thread asks). */
    Integer takeAnswerDue() {
        for (Integer peer : answerDue) {
            if (answerDue.remove(peer)) {
                return peer;
            }
        }
        return null;
    }

    /** Whether {@code peer} said recently enough that it opens super-packets. */
    boolean accepts(int peer) {
        Long at = heard.get(peer);
        return at != null && clockMillis.getAsLong() - at <= HEARD_MILLIS;
    }

    long now() {
        return clockMillis.getAsLong();
    }

    /** Writes the header at {@code at} in {@code plain}. */
    static void writeHeader(byte[] plain, int at, int kind, int flags, int segment, int innerNetworkFromUdp) {
        plain[at] = (byte) kind;
        plain[at + 1] = (byte) flags;
        plain[at + 2] = (byte) (segment >>> 8);
        plain[at + 3] = (byte) segment;
        plain[at + 4] = (byte) (innerNetworkFromUdp >>> 8);
        plain[at + 5] = (byte) innerNetworkFromUdp;
        plain[at + 6] = 0;
        plain[at + 7] = 0;
    }

    /** The most pieces an ESP packet travels in (the count is one byte). */
    static final int MAX_PIECES = 255;

    /** How many pieces of at most {@code datagram} bytes an ESP packet of {@code length} bytes travels in; 0: too many. */
    static int pieces(int length, int datagram) {
        int carried = datagram - PIECE_HEADER;
        if (carried <= 0 || length > MAX_ESP) {
            return 0;
        }
        int pieces = (length + carried - 1) / carried;
        return pieces > MAX_PIECES ? 0 : pieces;
    }

    /**
     * How many pieces, from piece {@code first} on, of an ESP packet of {@code length} bytes in {@code pieces} pieces
     * of at most {@code datagram} bytes one UDP segmentation send carries (at least one).
     */
    static int piecesInSend(int length, int datagram, int first, int pieces) {
        int carried = datagram - PIECE_HEADER;
        int count = 0;
        int bytes = 0;
        while (first + count < pieces && count < EspSocket.MAX_SEGMENTS) {
            int next = PIECE_HEADER + Math.min(carried, length - (first + count) * carried);
            if (bytes + next > EspSocket.MAX_BYTES) {
                break;
            }
            bytes += next;
            count++;
        }
        return Math.max(1, count);
    }

    /**
     * Writes pieces {@code first} to {@code first + count - 1} of the ESP packet between {@code esp}'s position and
     * limit (number {@code sequence}, in {@code pieces} pieces of at most {@code datagram} bytes) into {@code out},
     * back to back: all {@code datagram} bytes long but the packet's last.
     */
    static void cut(ByteBuffer esp, long sequence, int datagram, int pieces, int first, int count, ByteBuffer out) {
        int carried = datagram - PIECE_HEADER;
        int start = esp.position();
        int end = esp.limit();
        for (int index = first; index < first + count; index++) {
            int from = start + index * carried;
            out.putInt(0).put((byte) index).put((byte) pieces).putShort((short) sequence);
            out.put(esp.slice(from, Math.min(carried, end - from)));
        }
    }

    /** Whether the datagram between {@code datagram}'s position and limit is a piece (it starts with the non-ESP marker). */
    static boolean isPiece(ByteBuffer datagram) {
        return datagram.remaining() >= 4 && datagram.getInt(datagram.position()) == 0;
    }

    /**
     * Joins the pieces from one sender (one per sender, the opening thread's): each {@link #add}ed in order, the
     * last one completes the ESP packet. A joiner holds a 64 KB buffer only while a packet is under way (or handed
     * out, until {@link #release}): the buffers come from a pool the joiners of one opening thread share, so that a
     * node with many peers keeps as many buffers as packets were ever under way at once, not one per peer.
     */
    static final class Joiner {
        /** The buffers not in use, shared with the other joiners of the same thread. */
        private final Deque<ByteBuffer> spare;
        /** A heap buffer (opened from directly: see {@link EspCodec#open(ByteBuffer, ByteBuffer)}); null: none held. */
        private ByteBuffer packet;
        private int sequence;
        private int count;
        /** The index expected next; -1: none (nothing begun, or the packet under way was dropped). */
        private int next = -1;
        /** Packets dropped for a piece missing, repeated or out of order, and malformed pieces. */
        long dropped;

        Joiner(Deque<ByteBuffer> spare) {
            this.spare = spare;
        }

        /** A joiner with a pool of its own. */
        Joiner() {
            this(new ArrayDeque<>());
        }

        /**
         * Adds the piece between {@code piece}'s position and limit. Returns the ESP packet once its last piece came
         * (valid until {@link #release} or the next call), else null. A piece that is not the one expected (a gap, a repeat, a new packet
         * before the one under way ended) drops the packet under way; the rest of a dropped packet's pieces are
         * ignored.
         */
        ByteBuffer add(ByteBuffer piece) {
            int at = piece.position();
            int bytes = piece.remaining() - PIECE_HEADER;
            int index = bytes > 0 ? piece.get(at + 4) & 0xFF : 0;
            int pieces = bytes > 0 ? piece.get(at + 5) & 0xFF : 0;
            if (index >= pieces) {
                abandon();
                dropped++;
                return null;
            }
            int number = piece.getShort(at + 6) & 0xFFFF;
            if (index == 0) {
                abandon();
                packet = spare.isEmpty() ? ByteBuffer.allocate(MAX_ESP) : spare.pop();
                packet.clear();
                sequence = number;
                count = pieces;
                next = 0;
            } else if (index != next || number != sequence || pieces != count) {
                abandon();
                return null;
            }
            if (packet.remaining() < bytes) {
                abandon();
                dropped++;
                return null;
            }
            packet.put(piece.slice(at + PIECE_HEADER, bytes));
            if (++next < count) {
                return null;
            }
            next = -1;
            return packet.flip();
        }

        private void abandon() {
            if (next >= 0) {
                dropped++;
            }
            next = -1;
            release();
        }

        /** Gives the buffer back to the pool: the packet handed out is no longer used. */
        void release() {
            if (packet != null) {
                spare.push(packet);
                packet = null;
            }
        }

        /** Whether this joiner holds a buffer (for tests). */
        boolean holdsBuffer() {
            return packet != null;
        }
    }

    static int kind(ByteBuffer plain, int at) {
        return plain.get(at) & 0xFF;
    }

    static int flags(ByteBuffer plain, int at) {
        return plain.get(at + 1) & 0xFF;
    }

    static int segment(ByteBuffer plain, int at) {
        return plain.getShort(at + 2) & 0xFFFF;
    }

    static int innerNetworkFromUdp(ByteBuffer plain, int at) {
        return plain.getShort(at + 4) & 0xFFFF;
    }
}

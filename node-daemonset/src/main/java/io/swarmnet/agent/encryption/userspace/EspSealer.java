package io.swarmnet.agent.encryption.userspace;

import static io.swarmnet.agent.encryption.userspace.EspTunnel.IPV4_HEADER;
import static io.swarmnet.agent.encryption.userspace.EspTunnel.MAX_PACKET;
import static io.swarmnet.agent.encryption.userspace.EspTunnel.UDP;

import io.swarmnet.agent.encryption.SecurityAssociation;
import io.swarmnet.agent.encryption.SequenceLimit;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sealing path of an {@link EspTunnel}, run by its sealing thread: reads what the TUN device has queued, seals
 * each VXLAN datagram for its peer's outbound SA, and sends each run of equal-size ESP packets to one peer with one
 * UDP segmentation send.
 */
final class EspSealer implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(EspSealer.class);
    private static final int POLL_MILLIS = 200;

    private final TunDevice tun;
    private final EspSocket udp;
    private final IpAddress local;
    /** Only VXLAN on this port is sealed. */
    private final int vxlanPort;
    private final SequenceStore sequences;
    private final SequenceLimit limit;
    /** Told (on the sealing thread, once per SA) when an outbound SA comes near its limit. */
    private final Runnable onNearLimit;
    private final Running running;
    /** Which peers take whole super-packets; null: this datapath never sends them (nor answers hellos). */
    private final SuperPackets superPackets;
    /** Whether super-packets go whole to the peers that take them (false: cut, as to any other peer). */
    volatile boolean sendWhole = true;
    /** The longest ESP packet a super-packet is sealed whole into: a UDP datagram's most, or less for tests of the split. */
    volatile int maxWhole = SuperPackets.MAX_ESP;
    /** The outbound SA in use per peer (the peer's IPv4 address as an int). */
    private volatile Map<Integer, Outbound> byPeer = Map.of();
    final AtomicLong sealed = new AtomicLong();
    final AtomicLong sealedBytes = new AtomicLong();
    final AtomicLong noAssociation = new AtomicLong();
    final AtomicLong notVxlan = new AtomicLong();
    final AtomicLong exhausted = new AtomicLong();
    final AtomicLong sendFailed = new AtomicLong();
    final AtomicLong sends = new AtomicLong();
    final AtomicLong reads = new AtomicLong();
    /** Of {@link #sealed}: the whole super-packets, and the hellos about them. */
    final AtomicLong sealedSuperPackets = new AtomicLong();
    final AtomicLong hellos = new AtomicLong();
    private long lastSendFailureLog;
    /** The datagram being sealed, and the cutter of super-packets. */
    private final byte[] sealScratch = new byte[SuperPackets.HEADER + MAX_PACKET + EspCodec.MAX_TRAILER];
    private final VxlanTcpSegments segments = new VxlanTcpSegments();
    private final byte[] hello = new byte[SuperPackets.HEADER + EspCodec.MAX_TRAILER];
    /** A super-packet sealed whole, and the datagrams of its pieces. */
    private final ByteBuffer whole = ByteBuffer.allocate(SuperPackets.MAX_ESP + 64); // a heap buffer: sealed into directly
    private final ByteBuffer train = ByteBuffer.allocateDirect(EspSocket.MAX_BYTES + 64);

    /** Sending state of one SA; its counter is touched by the sealing thread only (and by configure before publication). */
    private static final class Outbound {
        final SecurityAssociation sa;
        final EspCodec codec;
        final int peer;
        long sequence;
        long reserved;
        /** When this SA last carried a hello asking for an answer (SuperPackets' clock; sealing thread only). */
        long asked = Long.MIN_VALUE / 2;
        /** Set once by the sealing thread (or configure): read by whoever asks for {@link #generationsNearLimit}. */
        volatile boolean nearLimit;

        Outbound(SecurityAssociation sa, long used, long reserved) {
            this.sa = sa;
            this.codec = new EspCodec(sa);
            this.peer = (int) sa.destination().value();
            this.sequence = used;
            this.reserved = reserved;
        }
    }

    EspSealer(TunDevice tun, EspSocket udp, IpAddress local, int vxlanPort, SequenceStore sequences, SequenceLimit limit,
            Runnable onNearLimit, Running running, SuperPackets superPackets) {
        this.tun = tun;
        this.udp = udp;
        this.local = local;
        this.vxlanPort = vxlanPort;
        this.sequences = sequences;
        this.limit = limit;
        this.onNearLimit = onNearLimit;
        this.running = running;
        this.superPackets = superPackets;
    }

    /**
     * Replaces the outbound table: per peer, the SA from this node with {@code outboundSpi}; one that stays keeps its
     * counter. Before a new one is used, its sequence numbers are reserved durably; when that fails, nothing changes.
     *
     * @return whether a new SA is already near its limit (e.g. after a restart late in its life)
     */
    boolean configure(List<SecurityAssociation> associations, Map<IpAddress, Integer> outboundSpi) throws IOException {
        Map<Integer, Outbound> current = byPeer;
        Map<Integer, Outbound> next = new HashMap<>();
        boolean nearLimit = false;
        for (SecurityAssociation sa : associations) {
            if (!sa.destination().equals(local) && sa.source().equals(local)
                    && Integer.valueOf(sa.spi()).equals(outboundSpi.get(sa.destination()))) {
                Outbound existing = current.get((int) sa.destination().value());
                if (existing != null && existing.sa.equals(sa)) {
                    next.put((int) sa.destination().value(), existing);
                } else {
                    long used = sequences.used(sa);
                    // never below what is on record: a limit lowered since must not make used numbers look free
                    long reserved = sequences.reserve(sa, Math.max(used, Math.min(used + SequenceStore.BLOCK, limit.last())));
                    Outbound out = new Outbound(sa, used, reserved);
                    out.nearLimit = limit.nearLimit(used);
                    nearLimit |= out.nearLimit;
                    next.put((int) sa.destination().value(), out);
                }
            }
        }
        byPeer = Map.copyOf(next);
        return nearLimit;
    }

    /** The key generations of the outbound SAs in use that are near their sequence limit: the next key is due. */
    Set<Long> generationsNearLimit() {
        Set<Long> generations = new TreeSet<>();
        byPeer.values().stream().filter(out -> out.nearLimit).forEach(out -> generations.add(out.sa.generation()));
        return generations;
    }

    /** The ESP packets sealed for one peer and not yet sent: back to back in {@code buffer}, all {@code segment} bytes but the last. */
    private final class SendBatch {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(EspSocket.MAX_BYTES + MAX_PACKET);
        Outbound peer;
        int segment;
        int count;
        boolean closed;

        /** Whether a sealed packet of {@code length} bytes for {@code out} may join, without breaking the run. */
        boolean admits(Outbound out, int length) {
            return count == 0 || (out == peer && !closed && length <= segment && count < EspSocket.MAX_SEGMENTS
                    && buffer.position() + length <= EspSocket.MAX_BYTES);
        }

        void added(Outbound out, int length) {
            if (count++ == 0) {
                peer = out;
                segment = length;
            } else if (length < segment) {
                closed = true; // a shorter packet ends the run
            }
        }

        void send() {
            if (count == 0) {
                return;
            }
            buffer.flip();
            sent(udp.send(buffer, segment, peer.peer), peer, count, buffer.remaining(), 1);
            buffer.clear();
            count = 0;
            closed = false;
            peer = null;
        }
    }

    /**
     * Counts {@code calls} sends of {@code count} ESP packets of {@code bytes} in all to {@code peer}, the last of which
     * ended with {@code errno}.
     */
    private void sent(int errno, Outbound peer, int count, int bytes, int calls) {
        if (errno == 0) {
            sends.addAndGet(calls);
            sealed.addAndGet(count);
            sealedBytes.addAndGet(bytes);
            return;
        }
        // one unreachable peer must not hold up the others: drop these packets, count them, log now and then
        sendFailed.addAndGet(count);
        long now = System.nanoTime();
        if (now - lastSendFailureLog > 10_000_000_000L || lastSendFailureLog == 0) {
            lastSendFailureLog = now;
            LOG.warn("userspace ESP on {}: sending to {} failed (errno {}; {} packets dropped so far)", tun.name(), peer.sa.destination(),
                    errno, sendFailed.get());
        }
    }

    /** The sealing thread. */
    @Override
    public void run() {
        // room for more than any IPv4 packet, so that one that is too large shows as such instead of being cut off
        ByteBuffer packet = ByteBuffer.allocateDirect(TunDevice.HEADROOM + 2 * MAX_PACKET);
        SendBatch batch = new SendBatch();
        while (running.get()) {
            try {
                packet.clear();
                // take what is queued without waiting; only when the device is empty, send the batch and wait
                int length = tun.read(packet, 0);
                if (length == 0) {
                    batch.send();
                    length = tun.read(packet, POLL_MILLIS);
                }
                if (length < 0) {
                    return;
                }
                if (length > 0) {
                    reads.incrementAndGet();
                    seal(packet, length, batch);
                }
                if (superPackets != null) {
                    answerHellos(batch);
                }
            } catch (IOException | RuntimeException e) {
                batch.send();
                running.pauseAfter(tun.name(), "sending", e);
            }
        }
    }

    /**
     * Seals the IP packet read into {@code packet} (after the TUN headroom) into {@code batch}, or drops and counts
     * it; a super-packet is first cut into the VXLAN datagrams it stands for, each sealed as its own ESP packet.
     */
    private void seal(ByteBuffer packet, int length, SendBatch batch) throws IOException {
        int ip = TunDevice.HEADROOM;
        if (length < IPV4_HEADER + 8 || length > MAX_PACKET || (packet.get(ip) & 0xF0) != 0x40 || packet.get(ip + 9) != UDP) {
            notVxlan.incrementAndGet(); // e.g. IPv6 router solicitations the kernel sends on any new device
            return;
        }
        int headerLength = (packet.get(ip) & 0x0F) * 4;
        if (length < headerLength + 8 || (packet.getShort(ip + headerLength + 2) & 0xFFFF) != vxlanPort) {
            notVxlan.incrementAndGet();
            return;
        }
        Outbound out = byPeer.get(packet.getInt(ip + 16));
        if (out == null) {
            noAssociation.incrementAndGet();
            return;
        }
        int segmentSize = tun.segmentSize();
        if (segmentSize == 0) {
            int datagram = length - headerLength;
            packet.get(ip + headerLength, sealScratch, 0, datagram);
            seal(out, sealScratch, datagram, UDP, batch);
            return;
        }
        int count = segmentSize < 0 ? 0 : segments.prepare(packet, ip, length, segmentSize, tun.innerNetworkOffset());
        if (count == 0) {
            notVxlan.incrementAndGet(); // a super-packet that is not TCP in VXLAN: nothing the VXLAN device makes
            return;
        }
        if (count > 1 && superPackets != null && sendWhole && sealWhole(count, headerLength, segmentSize, out, batch)) {
            return;
        }
        for (int i = 0; i < count; i++) {
            seal(out, sealScratch, segments.segment(i, count, sealScratch), UDP, batch);
        }
    }

    /**
     * Seals the super-packet {@link #segments} holds ({@code count} segments) whole, as one ESP packet ({@link
     * SuperPackets}) sent in pieces — or, when the ESP packet would be longer than a UDP datagram may be, as two
     * smaller super-packets — if its peer takes them; false if it is to be cut. Asks the peer (again) whether it
     * takes them when it was not asked for {@link SuperPackets#HELLO_MILLIS}.
     */
    private boolean sealWhole(int count, int headerLength, int segmentSize, Outbound out, SendBatch batch) throws IOException {
        long now = superPackets.now();
        if (now - out.asked >= SuperPackets.HELLO_MILLIS) {
            out.asked = now;
            hello(out, SuperPackets.ANSWER, batch);
        }
        if (!superPackets.accepts(out.peer)) {
            return false;
        }
        // each piece's datagram as large as the largest ESP packet of the cut super-packet: that fits the underlay
        int piece = EspCodec.sealedLength(segments.headerBytes() + segmentSize);
        // whole, or (where the ESP packet would be longer than a UDP datagram may be) as two smaller super-packets
        for (int parts = 1; parts <= 2; parts++) {
            int perPart = (count + parts - 1) / parts;
            int sealed = EspCodec.sealedLength(SuperPackets.HEADER + segments.headerBytes() + perPart * segmentSize);
            if (perPart > 1 && sealed <= maxWhole && SuperPackets.pieces(sealed, piece) > 0) {
                batch.send(); // after what was read before it
                for (int first = 0; first < count; first += perPart) {
                    int segmentsInPart = Math.min(perPart, count - first);
                    if (segmentsInPart == 1) {
                        seal(out, sealScratch, segments.segment(first, count, sealScratch), UDP, batch);
                    } else {
                        int datagram = segments.run(first, segmentsInPart, count, sealScratch, SuperPackets.HEADER);
                        SuperPackets.writeHeader(sealScratch, 0, SuperPackets.SUPER_PACKET, 0, segmentSize,
                                tun.innerNetworkOffset() - headerLength);
                        sealInPieces(out, SuperPackets.HEADER + datagram, piece);
                    }
                }
                return true;
            }
        }
        return false;
    }

    /**
     * Seals the super-packet at the start of {@link #sealScratch} whole and sends it in pieces of {@code piece} bytes,
     * with as few UDP segmentation sends as carry them.
     */
    private void sealInPieces(Outbound out, int plain, int piece) throws IOException {
        long sequence = nextSequence(out);
        if (sequence < 0) {
            return;
        }
        whole.clear();
        out.codec.seal(sealScratch, plain, SuperPackets.NEXT_HEADER, sequence, whole);
        whole.flip();
        int pieces = SuperPackets.pieces(whole.limit(), piece);
        int errno = 0;
        int calls = 0;
        for (int first = 0, inSend; first < pieces && errno == 0; first += inSend) {
            inSend = SuperPackets.piecesInSend(whole.limit(), piece, first, pieces);
            train.clear();
            SuperPackets.cut(whole, sequence, piece, pieces, first, inSend, train);
            train.flip();
            errno = udp.send(train, piece, out.peer);
            calls++;
        }
        sent(errno, out, 1, whole.limit(), calls);
        if (errno == 0) {
            sealedSuperPackets.incrementAndGet();
        }
    }

    /** Seals a hello for {@code out}'s peer into {@code batch}. */
    private void hello(Outbound out, int flags, SendBatch batch) throws IOException {
        SuperPackets.writeHeader(hello, 0, SuperPackets.HELLO, flags, 0, 0);
        if (seal(out, hello, SuperPackets.HEADER, SuperPackets.NEXT_HEADER, batch)) {
            hellos.incrementAndGet();
        }
    }

    /** Answers the hellos that asked for one, each with a hello of this datapath's own (it takes super-packets too). */
    private void answerHellos(SendBatch batch) throws IOException {
        for (Integer peer = superPackets.takeAnswerDue(); peer != null; peer = superPackets.takeAnswerDue()) {
            Outbound out = byPeer.get(peer);
            if (out != null) {
                hello(out, 0, batch);
            }
        }
    }

    /**
     * Seals the first {@code length} bytes of {@code datagram} (of protocol {@code nextHeader}) for {@code out} into
     * {@code batch}; false when the SA may send no more.
     */
    private boolean seal(Outbound out, byte[] datagram, int length, int nextHeader, SendBatch batch) throws IOException {
        int sealedLength = EspCodec.sealedLength(length);
        if (!batch.admits(out, sealedLength)) {
            batch.send();
        }
        long sequence = nextSequence(out);
        if (sequence < 0) {
            return false;
        }
        int start = batch.buffer.position();
        try {
            out.codec.seal(datagram, length, nextHeader, sequence, batch.buffer);
        } catch (RuntimeException e) {
            batch.buffer.position(start); // nothing half-written may go out with the run
            throw e;
        }
        batch.added(out, sealedLength);
        return true;
    }

    /**
     * Takes {@code out}'s next sequence number, reserving more on disk when the reservation is used up; -1 (and
     * counted) when the SA may send no more.
     */
    private long nextSequence(Outbound out) throws IOException {
        if (limit.exhausted(out.sequence)) {
            exhausted.incrementAndGet(); // never wrap (a repeated nonce): only the next key generation may send
            return -1;
        }
        if (out.sequence >= out.reserved) {
            out.reserved = sequences.reserve(out.sa, Math.min(out.reserved + SequenceStore.BLOCK, limit.last()));
        }
        long sequence = ++out.sequence;
        if (!out.nearLimit && limit.nearLimit(sequence)) {
            out.nearLimit = true;
            onNearLimit.run();
        }
        return sequence;
    }
}

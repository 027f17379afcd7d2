package io.swarmnet.agent.encryption.userspace;

import io.swarmnet.agent.datapath.VxlanPort;
import io.swarmnet.agent.encryption.SecurityAssociation;
import io.swarmnet.agent.encryption.SequenceLimit;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The userspace ESP datapath of one node: VXLAN datagrams that policy routing sends into the TUN device are
 * sealed as ESP (RFC 4303, AES-GCM as RFC 4106) and sent to the peer in UDP port 4500 (RFC 3948); ESP-in-UDP
 * arriving on port 4500 is replay-checked, authenticated and decrypted, and the VXLAN datagram inside is
 * injected through the TUN device with the peer as source, to reach the node's VXLAN sockets.
 *
 * <p>Transport mode, as the kernel path: the ESP payload is the UDP datagram (next header 17) and the outer
 * IP header is the original one, so the wire format is what a kernel SA with {@code encap espinudp 4500 4500}
 * and the same keys and SPIs sends and accepts.
 *
 * <p>Batching: the sealing thread reads what the TUN device has queued and sends each run of equal-size ESP
 * packets to one peer with one UDP segmentation send; the opening thread receives what the kernel coalesced
 * (UDP GRO) and injects each run of equal-size VXLAN datagrams from one peer with one segmented TUN write. The
 * packets on the wire and every check on them are the same as one by one; only the number of trips through the
 * kernel's IP layer drops, by up to {@value EspSocket#MAX_SEGMENTS} times.
 *
 * <p>Two threads: one reads the TUN device and seals, one receives and opens. The SA tables are replaced as a
 * whole by {@link #configure}; SAs that stay keep their sequence counter and replay window. Anything that
 * cannot be sealed or opened is dropped and counted; nothing is ever sent in clear.
 *
 * <p>Sequence numbers never wrap ({@link SequenceLimit}): an outbound SA that reaches its limit drops what it would
 * send, counted as {@code sequenceExhausted}; one that passes three quarters of it is reported near its limit
 * ({@link #generationsNearLimit}), so that the node asks the operator for a new key generation in time.
 */
public final class EspTunnel implements AutoCloseable {

    public static final int ESP_IN_UDP_PORT = 4500;
    private static final Logger LOG = LoggerFactory.getLogger(EspTunnel.class);
    private static final int IPV4_HEADER = 20;
    private static final int UDP = 17;
    private static final int MAX_PACKET = 65_535;
    private static final int POLL_MILLIS = 200;
    private static final int KEEP_MILLIS = 1_000;

    /** What the datapath did, since it started. Drops are counted by cause. */
    public record Counters(long sealed, long sealedBytes, long opened, long openedBytes, long noAssociation, long notVxlan,
            long sequenceExhausted, long unknownSpi, long authenticationFailed, long replayed, long malformed, long sendFailed,
            long sends, long injections, long reads) {

        /** A datapath that does not run. */
        public static final Counters NONE = new Counters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    private final TunDevice tun;
    private final EspSocket udp;
    private final IpAddress local;
    /** Only VXLAN on this port is sealed or, once opened, injected. */
    private final int vxlanPort;
    private final SequenceStore sequences;
    private final SequenceLimit limit;
    /** Told (on the sealing thread, once per SA) when an outbound SA comes near its limit. */
    private final Runnable onNearLimit;
    /** The inbound SAs' newest authenticated sequence numbers, kept across restarts (see {@link #keepWindows}). */
    private final SequenceStore windows;
    private volatile Tables tables = new Tables(Map.of(), Map.of());
    private volatile boolean running = true;
    private final Thread sealer;
    private final Thread opener;
    private final Thread keeper;
    private final AtomicLong sealed = new AtomicLong();
    private final AtomicLong sealedBytes = new AtomicLong();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong openedBytes = new AtomicLong();
    private final AtomicLong noAssociation = new AtomicLong();
    private final AtomicLong notVxlan = new AtomicLong();
    private final AtomicLong exhausted = new AtomicLong();
    private final AtomicLong unknownSpi = new AtomicLong();
    private final AtomicLong authenticationFailed = new AtomicLong();
    private final AtomicLong replayed = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong sendFailed = new AtomicLong();
    private final AtomicLong sends = new AtomicLong();
    private final AtomicLong injections = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    private long lastSendFailureLog;
    /** The sealing thread's: the datagram being sealed, and the cutter of super-packets. */
    private final byte[] sealScratch = new byte[MAX_PACKET + EspCodec.MAX_TRAILER];
    private final VxlanTcpSegments segments = new VxlanTcpSegments();

    private record Tables(Map<Integer, Outbound> byPeer, Map<Integer, Inbound> bySpi) {
    }

    /** Sending state of one SA; its counter is touched by the sealing thread only (and by configure before publication). */
    private static final class Outbound {
        final SecurityAssociation sa;
        final EspCodec codec;
        final int peer;
        long sequence;
        long reserved;
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

    /** Receiving state of one SA: touched by the opening thread only. */
    private static final class Inbound {
        final SecurityAssociation sa;
        final EspCodec codec;
        final int source;
        final ReplayWindow window;
        /** The newest authenticated sequence number: written by the opening thread, read by the window keeper. */
        volatile long newest;
        /** The newest one on disk: the window keeper's. */
        long kept;

        /** {@code floor}: the newest number this SA had recorded before the agent restarted (0: none). */
        Inbound(SecurityAssociation sa, long floor) {
            this.sa = sa;
            this.codec = new EspCodec(sa);
            this.source = (int) sa.source().value();
            this.window = floor > 0 ? ReplayWindow.above(floor) : new ReplayWindow();
            this.newest = floor;
            this.kept = floor;
        }
    }

    private EspTunnel(TunDevice tun, EspSocket udp, IpAddress local, int vxlanPort, SequenceStore sequences, SequenceStore windows,
            SequenceLimit limit, Runnable onNearLimit, String name) {
        this.tun = tun;
        this.udp = udp;
        this.local = local;
        this.vxlanPort = vxlanPort;
        this.sequences = sequences;
        this.windows = windows;
        this.limit = limit;
        this.onNearLimit = onNearLimit;
        this.sealer = new Thread(this::sealLoop, name + "-seal");
        this.opener = new Thread(this::openLoop, name + "-open");
        this.keeper = new Thread(this::keepLoop, name + "-windows");
        sealer.setDaemon(true);
        opener.setDaemon(true);
        keeper.setDaemon(true);
    }

    /**
     * Creates the TUN device {@code device} and binds UDP {@code local}:4500, both in the network namespace at
     * {@code namespace} (empty: the agent's own), and starts the two threads. No SA yet: everything is dropped.
     * Carries VXLAN to and from UDP port {@code vxlanPort}, nothing else.
     */
    public static EspTunnel start(String device, Optional<Path> namespace, IpAddress local, VxlanPort vxlanPort, SequenceStore sequences)
            throws IOException {
        return start(device, namespace, local, vxlanPort, sequences, SequenceLimit.ESP, () -> { });
    }

    /**
     * As above, with outbound SAs limited to {@code limit}; {@code onNearLimit} runs (on the sealing thread: it must not
     * block) when an outbound SA comes near it.
     */
    public static EspTunnel start(String device, Optional<Path> namespace, IpAddress local, VxlanPort vxlanPort, SequenceStore sequences,
            SequenceLimit limit, Runnable onNearLimit) throws IOException {
        SequenceStore windows = sequences.windows();
        TunDevice tun = TunDevice.open(device, namespace);
        EspSocket udp;
        try {
            udp = EspSocket.open(namespace, local);
        } catch (IOException | RuntimeException e) {
            tun.close();
            throw e;
        }
        EspTunnel tunnel = new EspTunnel(tun, udp, local, vxlanPort.value(), sequences, windows, limit, onNearLimit,
                "swarmnet-esp-" + device);
        tunnel.sealer.start();
        tunnel.opener.start();
        tunnel.keeper.start();
        return tunnel;
    }

    public String device() {
        return tun.name();
    }

    /** Whether the TUN device hands over TCP-in-VXLAN super-packets (the kernel offers UDP tunnel segmentation). */
    public boolean readsSuperPackets() {
        return tun.superPackets();
    }

    /**
     * Installs the SAs of a plan: every inbound SA (every key generation: rotation adds one before using it) and,
     * per peer, the outbound SA with {@code outboundSpi}. A peer without an outbound SA gets nothing sent. Before an
     * outbound SA is first used, its sequence numbers are reserved durably (see {@link SequenceStore}).
     */
    public void configure(List<SecurityAssociation> associations, Map<IpAddress, Integer> outboundSpi) throws IOException {
        Tables current = tables;
        Map<Integer, Outbound> byPeer = new HashMap<>();
        Map<Integer, Inbound> bySpi = new HashMap<>();
        boolean nearLimit = false;
        for (SecurityAssociation sa : associations) {
            if (sa.destination().equals(local)) {
                Inbound existing = current.bySpi.get(sa.spi());
                bySpi.put(sa.spi(), existing != null && existing.sa.equals(sa) ? existing : new Inbound(sa, windows.used(sa)));
            } else if (sa.source().equals(local) && Integer.valueOf(sa.spi()).equals(outboundSpi.get(sa.destination()))) {
                Outbound existing = current.byPeer.get((int) sa.destination().value());
                if (existing != null && existing.sa.equals(sa)) {
                    byPeer.put((int) sa.destination().value(), existing);
                } else {
                    long used = sequences.used(sa);
                    // never below what is on record: a limit lowered since must not make used numbers look free
                    long reserved = sequences.reserve(sa, Math.max(used, Math.min(used + SequenceStore.BLOCK, limit.last())));
                    Outbound out = new Outbound(sa, used, reserved);
                    out.nearLimit = limit.nearLimit(used); // e.g. after a restart late in the SA's life
                    nearLimit |= out.nearLimit;
                    byPeer.put((int) sa.destination().value(), out);
                }
            }
        }
        tables = new Tables(Map.copyOf(byPeer), Map.copyOf(bySpi));
        sequences.retain(associations.stream().filter(sa -> sa.source().equals(local)).toList());
        windows.retain(associations.stream().filter(sa -> sa.destination().equals(local)).toList());
        if (nearLimit) {
            onNearLimit.run();
        }
    }

    /** The key generations of the outbound SAs in use that are near their sequence limit: the next key is due. */
    public Set<Long> generationsNearLimit() {
        Set<Long> generations = new TreeSet<>();
        tables.byPeer.values().stream().filter(out -> out.nearLimit).forEach(out -> generations.add(out.sa.generation()));
        return generations;
    }

    public Counters counters() {
        return new Counters(sealed.get(), sealedBytes.get(), opened.get(), openedBytes.get(), noAssociation.get(), notVxlan.get(),
                exhausted.get(), unknownSpi.get(), authenticationFailed.get(), replayed.get(), malformed.get(), sendFailed.get(),
                sends.get(), injections.get(), reads.get());
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
            int bytes = buffer.remaining();
            int errno = udp.send(buffer, segment, peer.peer);
            if (errno == 0) {
                sends.incrementAndGet();
                sealed.addAndGet(count);
                sealedBytes.addAndGet(bytes);
            } else {
                // one unreachable peer must not hold up the others: drop these packets, count them, log now and then
                sendFailed.addAndGet(count);
                long now = System.nanoTime();
                if (now - lastSendFailureLog > 10_000_000_000L || lastSendFailureLog == 0) {
                    lastSendFailureLog = now;
                    LOG.warn("userspace ESP on {}: sending to {} failed (errno {}; {} packets dropped so far)", tun.name(),
                            peer.sa.destination(), errno, sendFailed.get());
                }
            }
            buffer.clear();
            count = 0;
            closed = false;
            peer = null;
        }
    }

    private void sealLoop() {
        // room for more than any IPv4 packet, so that one that is too large shows as such instead of being cut off
        ByteBuffer packet = ByteBuffer.allocateDirect(TunDevice.HEADROOM + 2 * MAX_PACKET);
        SendBatch batch = new SendBatch();
        while (running) {
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
            } catch (IOException | RuntimeException e) {
                batch.send();
                pauseAfter("sending", e);
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
        Outbound out = tables.byPeer.get(packet.getInt(ip + 16));
        if (out == null) {
            noAssociation.incrementAndGet();
            return;
        }
        int segmentSize = tun.segmentSize();
        if (segmentSize == 0) {
            int datagram = length - headerLength;
            packet.get(ip + headerLength, sealScratch, 0, datagram);
            seal(out, sealScratch, datagram, batch);
            return;
        }
        int count = segmentSize < 0 ? 0 : segments.prepare(packet, ip, length, segmentSize, tun.innerNetworkOffset());
        if (count == 0) {
            notVxlan.incrementAndGet(); // a super-packet that is not TCP in VXLAN: nothing the VXLAN device makes
            return;
        }
        for (int i = 0; i < count; i++) {
            seal(out, sealScratch, segments.segment(i, count, sealScratch), batch);
        }
    }

    /** Seals the UDP datagram in the first {@code length} bytes of {@code datagram} for {@code out} into {@code batch}. */
    private void seal(Outbound out, byte[] datagram, int length, SendBatch batch) throws IOException {
        if (limit.exhausted(out.sequence)) {
            exhausted.incrementAndGet(); // never wrap (a repeated nonce): only the next key generation may send
            return;
        }
        if (out.sequence >= out.reserved) {
            out.reserved = sequences.reserve(out.sa, Math.min(out.reserved + SequenceStore.BLOCK, limit.last()));
        }
        int sealedLength = EspCodec.sealedLength(length);
        if (!batch.admits(out, sealedLength)) {
            batch.send();
        }
        long sequence = ++out.sequence;
        if (!out.nearLimit && limit.nearLimit(sequence)) {
            out.nearLimit = true;
            onNearLimit.run();
        }
        int start = batch.buffer.position();
        try {
            out.codec.seal(datagram, length, UDP, sequence, batch.buffer);
        } catch (RuntimeException e) {
            batch.buffer.position(start); // nothing half-written may go out with the run
            throw e;
        }
        batch.added(out, sealedLength);
    }

    /**
     * The VXLAN datagrams opened and not yet injected: one IPv4 and one UDP header (after the TUN headroom), then
     * the payloads back to back, all {@code segment} bytes but the last; all from one peer and with one port pair.
     */
    private final class Injection {
        static final int FIRST = TunDevice.HEADROOM + IPV4_HEADER + 8;
        final ByteBuffer buffer = ByteBuffer.allocateDirect(FIRST + MAX_PACKET);
        int source;
        int ports;
        short checksum;
        int segment;
        int count;
        boolean closed;

        Injection() {
            buffer.position(FIRST);
        }

        boolean admits(int from, int portPair, int length) {
            return count == 0 || (from == source && portPair == ports && !closed && length <= segment && count < EspSocket.MAX_SEGMENTS
                    && buffer.position() + length <= TunDevice.HEADROOM + IPV4_HEADER + 8 + EspSocket.MAX_BYTES);
        }

        /** Appends the payload of the datagram between {@code datagram}'s position and limit. */
        void add(int from, ByteBuffer datagram) {
            int length = datagram.remaining() - 8;
            if (count++ == 0) {
                source = from;
                ports = datagram.getInt(datagram.position());
                checksum = datagram.getShort(datagram.position() + 6);
                segment = length;
            } else if (length < segment) {
                closed = true;
            }
            buffer.put(datagram.position(datagram.position() + 8));
        }

        void inject() throws IOException {
            if (count == 0) {
                return;
            }
            int payload = buffer.position() - FIRST;
            try {
                int ip = TunDevice.HEADROOM;
                buffer.putInt(ip + IPV4_HEADER, ports).putShort(ip + IPV4_HEADER + 4, (short) (8 + payload))
                        .putShort(ip + IPV4_HEADER + 6, count == 1 ? checksum : 0);
                writeIpv4Header(buffer.slice(ip, IPV4_HEADER), IPV4_HEADER + 8 + payload, source, (int) local.value());
                buffer.flip();
                tun.write(buffer, count == 1 ? 0 : segment);
                injections.incrementAndGet();
                opened.addAndGet(count);
                openedBytes.addAndGet(payload + 8L * count);
            } finally {
                buffer.clear().position(FIRST);
                count = 0;
                closed = false;
            }
        }
    }

    private void openLoop() {
        ByteBuffer received = ByteBuffer.allocateDirect(MAX_PACKET);
        ByteBuffer datagram = ByteBuffer.allocateDirect(MAX_PACKET);
        Injection injection = new Injection();
        while (running) {
            try {
                received.clear();
                int length = udp.receive(received);
                if (length < 0) {
                    return;
                }
                int segment = udp.segment();
                int source = udp.source();
                for (int offset = 0; offset < length; offset += segment) {
                    received.limit(Math.min(length, offset + segment)).position(offset);
                    open(received, source, datagram, injection);
                }
                injection.inject();
            } catch (IOException | RuntimeException e) {
                pauseAfter("receiving", e);
            }
        }
    }

    /** Checks and opens the ESP packet between {@code esp}'s position and limit, adding its datagram to {@code injection}. */
    private void open(ByteBuffer esp, int source, ByteBuffer datagram, Injection injection) throws IOException {
        if (esp.remaining() < EspCodec.HEADER) {
            malformed.incrementAndGet(); // includes RFC 3948's one-byte NAT keepalives, which nobody here sends
            return;
        }
        Inbound in = tables.bySpi.get(EspCodec.spi(esp));
        if (in == null || in.source != source) {
            unknownSpi.incrementAndGet();
            return;
        }
        long sequence = EspCodec.sequence(esp);
        if (!in.window.mayAccept(sequence)) {
            replayed.incrementAndGet();
            return;
        }
        datagram.clear();
        int nextHeader;
        try {
            nextHeader = in.codec.open(esp, datagram);
        } catch (EspException e) {
            authenticationFailed.incrementAndGet();
            return;
        }
        in.window.record(sequence);
        if (sequence > in.newest) {
            in.newest = sequence;
        }
        datagram.flip();
        if (nextHeader != UDP || datagram.remaining() < 8 || (datagram.getShort(2) & 0xFFFF) != vxlanPort) {
            malformed.incrementAndGet();
            return;
        }
        int length = datagram.remaining() - 8;
        if (!injection.admits(source, datagram.getInt(0), length)) {
            injection.inject();
        }
        injection.add(source, datagram);
    }

    /**
     * After an unexpected failure (the device deleted under us, a peer unreachable): log, and wait a little so that a
     * lasting fault neither spins a core nor floods the log. The packet at hand is dropped, never sent in clear.
     */
    private void pauseAfter(String what, Exception e) {
        if (!running) {
            return;
        }
        LOG.warn("userspace ESP on {}: {} failed: {}", tun.name(), what, e.toString());
        try {
            Thread.sleep(100);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** The IPv4 header transport mode restores: the ESP packet's addresses, protocol UDP, TTL 64. */
    static void writeIpv4Header(ByteBuffer packet, int totalLength, int source, int destination) {
        packet.put(0, (byte) 0x45).put(1, (byte) 0).putShort(2, (short) totalLength).putShort(4, (short) 0)
                .putShort(6, (short) 0x4000).put(8, (byte) 64).put(9, (byte) UDP).putShort(10, (short) 0)
                .putInt(12, source).putInt(16, destination);
        packet.putShort(10, (short) ~Checksum.sum(packet, 0, IPV4_HEADER, 0));
    }

    private void keepLoop() {
        while (running) {
            try {
                Thread.sleep(KEEP_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            keepWindows();
        }
    }

    /**
     * Writes each inbound SA's newest authenticated sequence number that moved since the last write, so that after
     * a restart the receiver refuses everything up to it (RFC 4303's window would otherwise start empty, and packets
     * captured earlier could be replayed once each). Every second, and when the tunnel closes: after a clean stop
     * nothing can be replayed; after a crash at most the last second's packets, once each.
     */
    private void keepWindows() {
        Map<SecurityAssociation, Long> moved = new HashMap<>();
        List<Inbound> inbound = List.copyOf(tables.bySpi.values());
        for (Inbound in : inbound) {
            long newest = in.newest;
            if (newest > in.kept) {
                moved.put(in.sa, newest);
            }
        }
        if (moved.isEmpty()) {
            return;
        }
        try {
            windows.recordAll(moved);
            for (Inbound in : inbound) {
                Long newest = moved.get(in.sa);
                if (newest != null) {
                    in.kept = newest;
                }
            }
        } catch (IOException e) {
            LOG.warn("userspace ESP on {}: cannot keep the replay windows in the state directory: {}", tun.name(), e.toString());
        }
    }

    /**
     * Stops the threads, keeps the replay windows a last time, then closes the socket and the TUN device (which the
     * kernel then deletes).
     */
    @Override
    public void close() {
        running = false;
        udp.shutdown(); // wakes the receiving thread
        keeper.interrupt();
        try {
            sealer.join(5_000);
            opener.join(5_000);
            keeper.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        keepWindows();
        udp.close();
        tun.close();
    }
}

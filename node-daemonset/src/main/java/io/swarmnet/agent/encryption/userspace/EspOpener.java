package io.swarmnet.agent.encryption.userspace;

import static io.swarmnet.agent.encryption.userspace.EspTunnel.IPV4_HEADER;
import static io.swarmnet.agent.encryption.userspace.EspTunnel.MAX_PACKET;
import static io.swarmnet.agent.encryption.userspace.EspTunnel.UDP;

import io.swarmnet.agent.encryption.SecurityAssociation;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opening path of an {@link EspTunnel}, run by its opening thread: receives ESP-in-UDP (what the kernel coalesced
 * with UDP GRO), replay-checks, authenticates and decrypts each packet, and injects each run of equal-size VXLAN
 * datagrams from one peer with one segmented TUN write, with the peer as source.
 */
final class EspOpener implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(EspOpener.class);

    private final TunDevice tun;
    private final EspSocket udp;
    private final IpAddress local;
    /** Only VXLAN on this port is injected. */
    private final int vxlanPort;
    /** The inbound SAs' newest authenticated sequence numbers, kept across restarts (see {@link #keepWindows}). */
    private final SequenceStore windows;
    private final Running running;
    /** Where hellos are noted; null: this datapath does not take super-packets (drops them as malformed). */
    private final SuperPackets superPackets;
    private volatile Map<Integer, Inbound> bySpi = Map.of();
    /** Per sender (IPv4 address as an int), the pieces of a super-packet under way (opening thread only). */
    private final Map<Integer, SuperPackets.Joiner> joiners = new HashMap<>();
    /** The join buffers not in use, shared by the joiners. */
    private final Deque<ByteBuffer> spareJoinBuffers = new ArrayDeque<>();
    /** The SA table {@link #joiners} was last checked against. */
    private Map<Integer, Inbound> joinersFor;
    final AtomicLong opened = new AtomicLong();
    final AtomicLong openedBytes = new AtomicLong();
    final AtomicLong unknownSpi = new AtomicLong();
    final AtomicLong authenticationFailed = new AtomicLong();
    final AtomicLong replayed = new AtomicLong();
    final AtomicLong malformed = new AtomicLong();
    final AtomicLong injections = new AtomicLong();
    /** Of {@link #opened}: whole super-packets. */
    final AtomicLong openedSuperPackets = new AtomicLong();
    final AtomicLong hellos = new AtomicLong();

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

    EspOpener(TunDevice tun, EspSocket udp, IpAddress local, int vxlanPort, SequenceStore windows, Running running,
            SuperPackets superPackets) {
        this.tun = tun;
        this.udp = udp;
        this.local = local;
        this.vxlanPort = vxlanPort;
        this.windows = windows;
        this.running = running;
        this.superPackets = superPackets;
    }

    /** Replaces the inbound table with every SA to this node; one that stays keeps its replay window. */
    void configure(List<SecurityAssociation> associations) {
        Map<Integer, Inbound> current = bySpi;
        Map<Integer, Inbound> next = new HashMap<>();
        for (SecurityAssociation sa : associations) {
            if (sa.destination().equals(local)) {
                Inbound existing = current.get(sa.spi());
                next.put(sa.spi(), existing != null && existing.sa.equals(sa) ? existing : new Inbound(sa, windows.used(sa)));
            }
        }
        bySpi = Map.copyOf(next);
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

    /** The opening thread. */
    @Override
    public void run() {
        ByteBuffer received = ByteBuffer.allocateDirect(MAX_PACKET);
        // opened at OPENED, so that a super-packet's datagram lands right where its TUN write needs it
        ByteBuffer datagram = ByteBuffer.allocateDirect(OPENED + SuperPackets.HEADER + MAX_PACKET + EspCodec.MAX_TRAILER + EspCodec.ICV);
        Injection injection = new Injection();
        while (running.get()) {
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
                running.pauseAfter(tun.name(), "receiving", e);
            }
        }
    }

    /** The joiner of {@code source}'s pieces, or null when no inbound SA is from it; drops those of former peers. */
    private SuperPackets.Joiner joiner(int source) {
        Map<Integer, Inbound> current = bySpi;
        if (current != joinersFor) {
            joinersFor = current;
            joiners.entrySet().removeIf(e -> {
                boolean gone = current.values().stream().noneMatch(in -> in.source == e.getKey());
                if (gone) {
                    e.getValue().release();
                }
                return gone;
            });
        }
        SuperPackets.Joiner joiner = joiners.get(source);
        if (joiner == null && current.values().stream().anyMatch(in -> in.source == source)) {
            joiner = new SuperPackets.Joiner(spareJoinBuffers);
            joiners.put(source, joiner);
        }
        return joiner;
    }

    /** Checks and opens the ESP packet between {@code esp}'s position and limit, adding its datagram to {@code injection}. */
    private void open(ByteBuffer esp, int source, ByteBuffer datagram, Injection injection) throws IOException {
        if (superPackets != null && SuperPackets.isPiece(esp)) {
            SuperPackets.Joiner joiner = joiner(source);
            if (joiner == null) {
                unknownSpi.incrementAndGet(); // not from a peer: nothing is kept for it
                return;
            }
            long dropped = joiner.dropped;
            ByteBuffer whole = joiner.add(esp);
            malformed.addAndGet(joiner.dropped - dropped);
            if (whole != null) {
                try {
                    open(whole, source, datagram, injection);
                } finally {
                    joiner.release();
                }
            }
            return;
        }
        if (esp.remaining() < EspCodec.HEADER) {
            malformed.incrementAndGet(); // includes RFC 3948's one-byte NAT keepalives, which nobody here sends
            return;
        }
        Inbound in = bySpi.get(EspCodec.spi(esp));
        if (in == null || in.source != source) {
            unknownSpi.incrementAndGet();
            return;
        }
        long sequence = EspCodec.sequence(esp);
        if (!in.window.mayAccept(sequence)) {
            replayed.incrementAndGet();
            return;
        }
        datagram.clear().position(OPENED);
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
        datagram.limit(datagram.position()).position(OPENED);
        if (nextHeader == SuperPackets.NEXT_HEADER && superPackets != null) {
            openedSpecial(datagram, source, injection);
            return;
        }
        if (nextHeader != UDP || datagram.remaining() < 8 || (datagram.getShort(OPENED + 2) & 0xFFFF) != vxlanPort) {
            malformed.incrementAndGet();
            return;
        }
        int length = datagram.remaining() - 8;
        if (!injection.admits(source, datagram.getInt(OPENED), length)) {
            injection.inject();
        }
        injection.add(source, datagram);
    }

    /** Where packets are opened into: a super-packet's header, then its datagram behind room for the TUN write's headers. */
    private static final int OPENED = TunDevice.HEADROOM + TunDevice.TUNNEL_OUTER_HEADER - SuperPackets.HEADER;

    /**
     * Takes an authenticated packet of {@link SuperPackets}' format (between {@code plain}'s position, {@link #OPENED},
     * and its limit): notes a hello, or injects a super-packet whole with one TUN write, after what is pending.
     */
    private void openedSpecial(ByteBuffer plain, int source, Injection injection) throws IOException {
        int length = plain.remaining();
        int kind = length >= SuperPackets.HEADER ? SuperPackets.kind(plain, OPENED) : 0;
        if (kind == SuperPackets.HELLO) {
            superPackets.heard(source, (SuperPackets.flags(plain, OPENED) & SuperPackets.ANSWER) != 0);
            hellos.incrementAndGet();
            opened.incrementAndGet(); // an ESP packet opened like any other, as the sealer counts it among the sealed
            return;
        }
        int udp = OPENED + SuperPackets.HEADER;
        int segment = kind == SuperPackets.SUPER_PACKET ? SuperPackets.segment(plain, OPENED) : 0;
        int innerFromUdp = SuperPackets.innerNetworkFromUdp(plain, OPENED);
        int end = plain.limit();
        // what the kernel must be able to take apart: VXLAN to our port, an inner IPv4 header and TCP behind it
        if (segment == 0 || innerFromUdp < 8 + 8 + 14 || udp + innerFromUdp + 40 > end
                || (plain.getShort(udp + 2) & 0xFFFF) != vxlanPort || (plain.get(udp + innerFromUdp) & 0xF0) != 0x40
                || plain.get(udp + innerFromUdp + 9) != 6) {
            malformed.incrementAndGet();
            return;
        }
        injection.inject();
        int ip = TunDevice.HEADROOM;
        writeIpv4Header(plain.slice(ip, IPV4_HEADER), end - ip, source, (int) local.value());
        plain.put(ip, (byte) (0x40 | TunDevice.TUNNEL_OUTER_HEADER / 4)).putShort(ip + 10, (short) 0);
        for (int i = ip + IPV4_HEADER; i < udp; i++) {
            plain.put(i, (byte) 1); // NOP options
        }
        plain.putShort(ip + 10, (short) ~Checksum.sum(plain, ip, udp, 0));
        plain.putShort(udp + 4, (short) (end - udp)).putShort(udp + 6, (short) 0);
        tun.writeTcpRun(plain.limit(end).position(0), segment, TunDevice.TUNNEL_OUTER_HEADER + innerFromUdp);
        injections.incrementAndGet();
        opened.incrementAndGet();
        openedSuperPackets.incrementAndGet();
        openedBytes.addAndGet(end - udp);
    }

    /** The IPv4 header transport mode restores: the ESP packet's addresses, protocol UDP, TTL 64. */
    static void writeIpv4Header(ByteBuffer packet, int totalLength, int source, int destination) {
        packet.put(0, (byte) 0x45).put(1, (byte) 0).putShort(2, (short) totalLength).putShort(4, (short) 0)
                .putShort(6, (short) 0x4000).put(8, (byte) 64).put(9, (byte) UDP).putShort(10, (short) 0)
                .putInt(12, source).putInt(16, destination);
        packet.putShort(10, (short) ~Checksum.sum(packet, 0, IPV4_HEADER, 0));
    }

    /**
     * Writes each inbound SA's newest authenticated sequence number that moved since the last write, so that after
     * a restart the receiver refuses everything up to it (RFC 4303's window would otherwise start empty, and packets
     * captured earlier could be replayed once each). Every second, and when the tunnel closes: after a clean stop
     * nothing can be replayed; after a crash at most the last second's packets, once each.
     */
    void keepWindows() {
        Map<SecurityAssociation, Long> moved = new HashMap<>();
        List<Inbound> inbound = List.copyOf(bySpi.values());
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
}

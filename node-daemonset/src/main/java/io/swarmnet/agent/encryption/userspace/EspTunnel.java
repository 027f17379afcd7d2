package io.swarmnet.agent.encryption.userspace;

import io.swarmnet.agent.encryption.SecurityAssociation;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * <p>Two threads: one reads the TUN device and seals, one receives and opens. The SA tables are replaced as a
 * whole by {@link #configure}; SAs that stay keep their sequence counter and replay window. Anything that
 * cannot be sealed or opened is dropped and counted; nothing is ever sent in clear.
 */
public final class EspTunnel implements AutoCloseable {

    public static final int ESP_IN_UDP_PORT = 4500;
    static final int VXLAN_PORT = 4789;
    private static final Logger LOG = LoggerFactory.getLogger(EspTunnel.class);
    private static final int IPV4_HEADER = 20;
    private static final int UDP = 17;
    private static final int MAX_PACKET = 65_535;
    private static final int POLL_MILLIS = 200;

    /** What the datapath did, since it started. Drops are counted by cause. */
    public record Counters(long sealed, long sealedBytes, long opened, long openedBytes, long noAssociation, long notVxlan,
            long sequenceExhausted, long unknownSpi, long authenticationFailed, long replayed, long malformed, long sendFailed) {
    }

    private final TunDevice tun;
    private final DatagramChannel udp;
    private final IpAddress local;
    private final SequenceStore sequences;
    private volatile Tables tables = new Tables(Map.of(), Map.of());
    private volatile boolean running = true;
    private final Thread sealer;
    private final Thread opener;
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
    private long lastSendFailureLog;

    private record Tables(Map<Integer, Outbound> byPeer, Map<Integer, Inbound> bySpi) {
    }

    /** Sending state of one SA; its counter is touched by the sealing thread only (and by configure before publication). */
    private static final class Outbound {
        final SecurityAssociation sa;
        final EspCodec codec;
        final InetSocketAddress peer;
        long sequence;
        long reserved;

        Outbound(SecurityAssociation sa, long used, long reserved) throws IOException {
            this.sa = sa;
            this.codec = new EspCodec(sa);
            this.peer = new InetSocketAddress(InetAddress.getByAddress(sa.destination().bytes()), ESP_IN_UDP_PORT);
            this.sequence = used;
            this.reserved = reserved;
        }
    }

    /** Receiving state of one SA: touched by the opening thread only. */
    private static final class Inbound {
        final SecurityAssociation sa;
        final EspCodec codec;
        final int source;
        final ReplayWindow window = new ReplayWindow();

        Inbound(SecurityAssociation sa) {
            this.sa = sa;
            this.codec = new EspCodec(sa);
            this.source = (int) sa.source().value();
        }
    }

    private EspTunnel(TunDevice tun, DatagramChannel udp, IpAddress local, SequenceStore sequences, String name) {
        this.tun = tun;
        this.udp = udp;
        this.local = local;
        this.sequences = sequences;
        this.sealer = new Thread(this::sealLoop, name + "-seal");
        this.opener = new Thread(this::openLoop, name + "-open");
        sealer.setDaemon(true);
        opener.setDaemon(true);
    }

    /**
     * Creates the TUN device {@code device} and binds UDP {@code local}:4500, both in the network namespace at
     * {@code namespace} (empty: the agent's own), and starts the two threads. No SA yet: everything is dropped.
     */
    public static EspTunnel start(String device, Optional<Path> namespace, IpAddress local, SequenceStore sequences) throws IOException {
        TunDevice tun = TunDevice.open(device, namespace);
        DatagramChannel udp;
        try {
            java.util.concurrent.Callable<DatagramChannel> bind = () -> {
                DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
                try {
                    channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
                    channel.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
                    channel.bind(new InetSocketAddress(InetAddress.getByAddress(local.bytes()), ESP_IN_UDP_PORT));
                    return channel;
                } catch (IOException e) {
                    channel.close();
                    throw new IOException("cannot bind UDP " + local + ":" + ESP_IN_UDP_PORT + " for ESP-in-UDP: " + e.getMessage(), e);
                }
            };
            udp = NetworkNamespace.call(namespace, "swarmnet-esp-bind", bind);
        } catch (IOException | RuntimeException e) {
            tun.close();
            throw e;
        }
        EspTunnel tunnel = new EspTunnel(tun, udp, local, sequences, "swarmnet-esp-" + device);
        tunnel.sealer.start();
        tunnel.opener.start();
        return tunnel;
    }

    public String device() {
        return tun.name();
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
        for (SecurityAssociation sa : associations) {
            if (sa.destination().equals(local)) {
                Inbound existing = current.bySpi.get(sa.spi());
                bySpi.put(sa.spi(), existing != null && existing.sa.equals(sa) ? existing : new Inbound(sa));
            } else if (sa.source().equals(local) && Integer.valueOf(sa.spi()).equals(outboundSpi.get(sa.destination()))) {
                Outbound existing = current.byPeer.get((int) sa.destination().value());
                if (existing != null && existing.sa.equals(sa)) {
                    byPeer.put((int) sa.destination().value(), existing);
                } else {
                    long used = sequences.used(sa);
                    long reserved = sequences.reserve(sa, used + SequenceStore.BLOCK);
                    byPeer.put((int) sa.destination().value(), new Outbound(sa, used, reserved));
                }
            }
        }
        tables = new Tables(Map.copyOf(byPeer), Map.copyOf(bySpi));
        sequences.retain(associations.stream().filter(sa -> sa.source().equals(local)).toList());
    }

    public Counters counters() {
        return new Counters(sealed.get(), sealedBytes.get(), opened.get(), openedBytes.get(), noAssociation.get(), notVxlan.get(),
                exhausted.get(), unknownSpi.get(), authenticationFailed.get(), replayed.get(), malformed.get(), sendFailed.get());
    }

    private void sealLoop() {
        ByteBuffer packet = ByteBuffer.allocateDirect(MAX_PACKET + EspCodec.MAX_TRAILER);
        ByteBuffer esp = ByteBuffer.allocateDirect(MAX_PACKET + 64);
        while (running) {
            try {
                packet.clear();
                int length = tun.read(packet, POLL_MILLIS);
                if (length <= 0) {
                    continue;
                }
                packet.limit(length);
                if (length < IPV4_HEADER + 8 || (packet.get(0) & 0xF0) != 0x40 || packet.get(9) != UDP) {
                    notVxlan.incrementAndGet(); // e.g. IPv6 router solicitations the kernel sends on any new device
                    continue;
                }
                int headerLength = (packet.get(0) & 0x0F) * 4;
                if (length < headerLength + 8 || (packet.getShort(headerLength + 2) & 0xFFFF) != VXLAN_PORT) {
                    notVxlan.incrementAndGet();
                    continue;
                }
                Outbound out = tables.byPeer.get(packet.getInt(16));
                if (out == null) {
                    noAssociation.incrementAndGet();
                    continue;
                }
                if (out.sequence >= out.reserved) {
                    if (out.reserved >= SequenceStore.LAST_SEQUENCE) {
                        exhausted.incrementAndGet(); // 2^32 packets under one key: only the next key generation may send
                        continue;
                    }
                    out.reserved = sequences.reserve(out.sa, out.reserved + SequenceStore.BLOCK);
                }
                long sequence = ++out.sequence;
                packet.position(headerLength);
                esp.clear();
                out.codec.seal(packet, UDP, sequence, esp);
                esp.flip();
                int bytes = esp.remaining();
                try {
                    udp.send(esp, out.peer);
                } catch (ClosedChannelException e) {
                    return;
                } catch (IOException e) {
                    // one unreachable peer must not hold up the others: drop this packet, count it, log now and then
                    sendFailed.incrementAndGet();
                    long now = System.nanoTime();
                    if (now - lastSendFailureLog > 10_000_000_000L || lastSendFailureLog == 0) {
                        lastSendFailureLog = now;
                        LOG.warn("userspace ESP on {}: sending to {} failed: {} ({} such failures so far)", tun.name(), out.peer, e.toString(),
                                sendFailed.get());
                    }
                    continue;
                }
                sealed.incrementAndGet();
                sealedBytes.addAndGet(bytes);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                pauseAfter("sending", e);
            }
        }
    }

    private void openLoop() {
        ByteBuffer esp = ByteBuffer.allocateDirect(MAX_PACKET);
        ByteBuffer packet = ByteBuffer.allocateDirect(MAX_PACKET + IPV4_HEADER);
        while (running) {
            try {
                esp.clear();
                SocketAddress from = udp.receive(esp);
                esp.flip();
                if (esp.remaining() < EspCodec.HEADER || !(from instanceof InetSocketAddress sender)) {
                    malformed.incrementAndGet(); // includes RFC 3948's one-byte NAT keepalives, which nobody here sends
                    continue;
                }
                Inbound in = tables.bySpi.get(EspCodec.spi(esp));
                if (in == null || in.source != addressOf(sender)) {
                    unknownSpi.incrementAndGet();
                    continue;
                }
                long sequence = EspCodec.sequence(esp);
                if (!in.window.mayAccept(sequence)) {
                    replayed.incrementAndGet();
                    continue;
                }
                packet.clear();
                packet.position(IPV4_HEADER);
                int nextHeader;
                try {
                    nextHeader = in.codec.open(esp, packet);
                } catch (EspException e) {
                    authenticationFailed.incrementAndGet();
                    continue;
                }
                in.window.record(sequence);
                int datagram = packet.position() - IPV4_HEADER;
                if (nextHeader != UDP || datagram < 8 || (packet.getShort(IPV4_HEADER + 2) & 0xFFFF) != VXLAN_PORT) {
                    malformed.incrementAndGet();
                    continue;
                }
                writeIpv4Header(packet, datagram + IPV4_HEADER, in.source, (int) local.value());
                packet.flip();
                tun.write(packet);
                opened.incrementAndGet();
                openedBytes.addAndGet(datagram);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                pauseAfter("receiving", e);
            }
        }
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

    private static int addressOf(InetSocketAddress sender) {
        byte[] a = sender.getAddress().getAddress();
        return a.length != 4 ? 0 : ((a[0] & 0xFF) << 24) | ((a[1] & 0xFF) << 16) | ((a[2] & 0xFF) << 8) | (a[3] & 0xFF);
    }

    /** The IPv4 header transport mode restores: the ESP packet's addresses, protocol UDP, TTL 64. */
    static void writeIpv4Header(ByteBuffer packet, int totalLength, int source, int destination) {
        packet.put(0, (byte) 0x45).put(1, (byte) 0).putShort(2, (short) totalLength).putShort(4, (short) 0)
                .putShort(6, (short) 0x4000).put(8, (byte) 64).put(9, (byte) UDP).putShort(10, (short) 0)
                .putInt(12, source).putInt(16, destination);
        int sum = 0;
        for (int i = 0; i < IPV4_HEADER; i += 2) {
            sum += packet.getShort(i) & 0xFFFF;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        packet.putShort(10, (short) ~sum);
    }

    /** Stops both threads, then closes the socket and the TUN device (which the kernel then deletes). */
    @Override
    public void close() {
        running = false;
        try {
            udp.close(); // wakes the receiving thread
        } catch (IOException e) {
            LOG.debug("closing the ESP-in-UDP socket: {}", e.toString());
        }
        try {
            sealer.join(5_000);
            opener.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tun.close();
    }
}

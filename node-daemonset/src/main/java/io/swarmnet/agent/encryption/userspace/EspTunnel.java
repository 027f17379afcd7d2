package io.swarmnet.agent.encryption.userspace;

import io.swarmnet.agent.datapath.VxlanPort;
import io.swarmnet.agent.encryption.SecurityAssociation;
import io.swarmnet.agent.encryption.SequenceLimit;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
 * kernel's IP layer drops, by up to {@value EspSocket#MAX_SEGMENTS} times. Between two datapaths that both take
 * them, super-packets go whole instead ({@link SuperPackets}): one ESP packet, in pieces, per 64 KB.
 *
 * <p>Two threads: one reads the TUN device and seals ({@link EspSealer}), one receives and opens ({@link EspOpener});
 * a third keeps the replay windows on disk. The SA tables are replaced as a whole by {@link #configure}; SAs that
 * stay keep their sequence counter and replay window. Anything that cannot be sealed or opened is dropped and
 * counted; nothing is ever sent in clear.
 *
 * <p>Sequence numbers never wrap ({@link SequenceLimit}): an outbound SA that reaches its limit drops what it would
 * send, counted as {@code sequenceExhausted}; one that passes three quarters of it is reported near its limit
 * ({@link #generationsNearLimit}), so that the node asks the operator for a new key generation in time.
 */
public final class EspTunnel implements AutoCloseable {

    public static final int ESP_IN_UDP_PORT = 4500;
    static final int IPV4_HEADER = 20;
    static final int UDP = 17;
    static final int MAX_PACKET = 65_535;
    private static final int KEEP_MILLIS = 1_000;

    /** What the datapath did, since it started. Drops are counted by cause. */
    public record Counters(long sealed, long sealedBytes, long opened, long openedBytes, long noAssociation, long notVxlan,
            long sequenceExhausted, long unknownSpi, long authenticationFailed, long replayed, long malformed, long sendFailed,
            long sends, long injections, long reads, long sealedSuperPackets, long openedSuperPackets, long hellosSent,
            long hellosReceived) {

        /** A datapath that does not run. */
        public static final Counters NONE = new Counters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    private final TunDevice tun;
    private final EspSocket udp;
    private final IpAddress local;
    private final SequenceStore sequences;
    /** Told (once per SA) when an outbound SA comes near its limit. */
    private final Runnable onNearLimit;
    /** The inbound SAs' newest authenticated sequence numbers, kept across restarts (see {@link EspOpener#keepWindows}). */
    private final SequenceStore windows;
    private final Running running = new Running();
    private final EspSealer sealing;
    private final EspOpener opening;
    private final Thread sealer;
    private final Thread opener;
    private final Thread keeper;

    private EspTunnel(TunDevice tun, EspSocket udp, IpAddress local, int vxlanPort, SequenceStore sequences, SequenceStore windows,
            SequenceLimit limit, Runnable onNearLimit, String name, SuperPackets superPackets) {
        this.tun = tun;
        this.udp = udp;
        this.local = local;
        this.sequences = sequences;
        this.windows = windows;
        this.onNearLimit = onNearLimit;
        this.sealing = new EspSealer(tun, udp, local, vxlanPort, sequences, limit, onNearLimit, running, superPackets);
        this.opening = new EspOpener(tun, udp, local, vxlanPort, windows, running, superPackets);
        this.sealer = new Thread(sealing, name + "-seal");
        this.opener = new Thread(opening, name + "-open");
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
        return start(device, namespace, local, vxlanPort, sequences, limit, onNearLimit, true);
    }

    /**
     * As above; {@code superPackets} false makes a datapath that neither sends nor takes whole super-packets
     * ({@link SuperPackets}), as an agent from before them: for tests of a peer of that kind, and for measuring.
     */
    public static EspTunnel start(String device, Optional<Path> namespace, IpAddress local, VxlanPort vxlanPort, SequenceStore sequences,
            SequenceLimit limit, Runnable onNearLimit, boolean superPackets) throws IOException {
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
                "swarmnet-esp-" + device, superPackets ? new SuperPackets() : null);
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
        boolean nearLimit = sealing.configure(associations, outboundSpi); // reserves first: when that fails, nothing changes
        opening.configure(associations);
        sequences.retain(associations.stream().filter(sa -> sa.source().equals(local)).toList());
        windows.retain(associations.stream().filter(sa -> sa.destination().equals(local)).toList());
        if (nearLimit) {
            onNearLimit.run();
        }
    }

    /**
     * Whether this datapath seals super-packets whole for peers that take them ({@link SuperPackets}; on from the
     * start where it understands them): off, it cuts them for every peer, and still opens what peers send whole.
     * For measuring one against the other in one run.
     */
    public void sendSuperPackets(boolean whole) {
        sealing.sendWhole = whole;
    }

    /** Seals super-packets whole only into ESP packets of at most {@code bytes}: for the test of splitting them in two. */
    void limitWholeTo(int bytes) {
        sealing.maxWhole = bytes;
    }

    /** As after the kernel refused a TCP-in-VXLAN super-packet on the TUN device: for the test of the one-by-one path. */
    void refuseTcpRuns() {
        tun.disableTcpRuns();
    }

    /** The key generations of the outbound SAs in use that are near their sequence limit: the next key is due. */
    public Set<Long> generationsNearLimit() {
        return sealing.generationsNearLimit();
    }

    public Counters counters() {
        return new Counters(sealing.sealed.get(), sealing.sealedBytes.get(), opening.opened.get(), opening.openedBytes.get(),
                sealing.noAssociation.get(), sealing.notVxlan.get(), sealing.exhausted.get(), opening.unknownSpi.get(),
                opening.authenticationFailed.get(), opening.replayed.get(), opening.malformed.get(), sealing.sendFailed.get(),
                sealing.sends.get(), opening.injections.get(), sealing.reads.get(), sealing.sealedSuperPackets.get(),
                opening.openedSuperPackets.get(), sealing.hellos.get(), opening.hellos.get());
    }

    private void keepLoop() {
        while (running.get()) {
            try {
                Thread.sleep(KEEP_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            opening.keepWindows();
        }
    }

    /**
     * Stops the threads, keeps the replay windows a last time, then closes the socket and the TUN device (which the
     * kernel then deletes).
     */
    @Override
    public void close() {
        running.stop();
        udp.shutdown(); // wakes the receiving thread
        keeper.interrupt();
        try {
            sealer.join(5_000);
            opener.join(5_000);
            keeper.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        opening.keepWindows();
        udp.close();
        tun.close();
    }
}

package io.swarmnet.agent.encryption.userspace;

import java.nio.ByteBuffer;

/**
 * Joins opened VXLAN datagrams that carry consecutive segments of one TCP flow into one TCP-in-VXLAN super-packet,
 * as the kernel's GRO joins what a NIC receives, so that the kernel takes the whole run with one TUN write and
 * runs its UDP, VXLAN, bridge and TCP receive once per run instead of once per segment. The reverse of
 * {@link VxlanTcpSegments}: cutting the super-packet again gives back the datagrams that were joined.
 *
 * <p>A datagram may join a run ({@link #examine}) when it is VXLAN (Ethernet, no VLAN tag) carrying IPv4 without
 * options and not a fragment, whose header checksum verifies, carrying TCP with payload, ACK set and none of SYN,
 * RST, URG, FIN, CWR, whose checksum verifies. It joins the run in progress ({@link #continues}) when it came from
 * the same peer and ports, has the same VXLAN and Ethernet headers, the same inner TOS, TTL, DF and addresses, the
 * next identification (+1), the TCP ports, acknowledgement, flags, window and options of the first, the sequence
 * number right after the previous segment, and a payload of the first's size or smaller; a smaller one or one with
 * PSH ends the run (PSH is carried over to the super-packet, as GRO does). Everything else is injected as it came.
 *
 * <p>The super-packet ({@link #finish}): an outer IPv4 header with 16 bytes of NOP options (36 bytes: Linux checks
 * a tunnel packet's outer transport offset against an Ethernet and an IPv4 header even on a layer-3 TUN device, and
 * refuses 20), the outer UDP header (checksum 0, as VXLAN over IPv4 may send), the first datagram's VXLAN,
 * Ethernet, IPv4 (total length and checksum for the run) and TCP header (PSH of the last; its checksum field holds
 * the pseudo-header sum for the run's length, left for the kernel to complete, as with checksum offload), then
 * the payloads back to back. A run of one is written unchanged behind a plain 20-byte header.
 *
 * <p>One instance per opening thread.
 */
final class VxlanTcpRun {

    /** The outer IPv4 header of a super-packet: 20 bytes and four words of NOP options. */
    static final int OUTER_IPV4 = 36;
    private static final int PLAIN_IPV4 = 20;
    private static final int UDP_HEADER = 8;
    private static final int VXLAN_AND_ETHERNET = 8 + 14;
    /** From a datagram's UDP header: its inner IPv4 header. */
    private static final int INNER_IP = UDP_HEADER + VXLAN_AND_ETHERNET;
    private static final int TCP_FROM_DATAGRAM = INNER_IP + 20;
    /** From the super-packet's outer IPv4 header: the inner IPv4 and TCP headers. */
    static final int INNER_NETWORK = OUTER_IPV4 + INNER_IP;
    static final int INNER_TRANSPORT = INNER_NETWORK + 20;
    private static final int TCP = 6;
    private static final int IPV4 = 0x0800;
    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int PSH = 0x08;
    private static final int ACK = 0x10;
    private static final int URG = 0x20;
    private static final int CWR = 0x80;
    private static final int MOST_SEGMENTS = EspSocket.MAX_SEGMENTS;
    private static final int MOST_BYTES = 65_535;

    private final ByteBuffer buffer;
    /** Where the datagrams' UDP header lands in {@link #buffer}. */
    private final int udp = TunDevice.HEADROOM + OUTER_IPV4;
    private int source;
    private int count;
    private long datagramBytes;
    private int segment;
    private int tcpHeader;
    private boolean closed;
    private int nextSequence;
    private short nextIdentification;
    private boolean push;

    /** Of the datagram last {@link #examine}d: its TCP header's length and payload's, and its flags. */
    private int examinedHeader;
    private int examinedPayload;
    private int examinedFlags;

    VxlanTcpRun() {
        buffer = ByteBuffer.allocateDirect(TunDevice.HEADROOM + OUTER_IPV4 + MOST_BYTES);
    }

    /** How many datagrams the run holds. */
    int count() {
        return count;
    }

    /** The length of the datagrams in the run, added up. */
    long datagramBytes() {
        return datagramBytes;
    }

    /** The payload bytes of each segment but the last. */
    int segmentSize() {
        return segment;
    }

    /**
     * Whether the UDP datagram between {@code datagram}'s position and limit is a TCP segment in VXLAN that may be
     * part of a run (see the class); notes what {@link #continues} and {@link #add} need.
     */
    boolean examine(ByteBuffer datagram) {
        int udpAt = datagram.position();
        int length = datagram.remaining();
        if (length < TCP_FROM_DATAGRAM + 20 || (datagram.getShort(udpAt + INNER_IP - 2) & 0xFFFF) != IPV4) {
            return false;
        }
        int ip = udpAt + INNER_IP;
        int tcp = ip + 20;
        if (datagram.get(ip) != 0x45 || datagram.get(ip + 9) != TCP || (datagram.getShort(ip + 6) & 0x3FFF) != 0
                || (datagram.getShort(ip + 2) & 0xFFFF) != length - INNER_IP || Checksum.sum(datagram, ip, tcp, 0) != 0xFFFF) {
            return false;
        }
        int header = ((datagram.get(tcp + 12) >>> 4) & 0x0F) * 4;
        int flags = datagram.get(tcp + 13) & 0xFF;
        int payload = udpAt + length - tcp - header;
        if (header < 20 || payload <= 0 || (flags & ACK) == 0 || (flags & (FIN | SYN | RST | URG | CWR)) != 0) {
            return false;
        }
        int pseudo = Checksum.sum(datagram, ip + 12, ip + 20, TCP + header + payload);
        if (Checksum.sum(datagram, tcp, udpAt + length, pseudo) != 0xFFFF) {
            return false; // injected alone, the kernel counts and drops it as it would
        }
        examinedHeader = header;
        examinedPayload = payload;
        examinedFlags = flags;
        return true;
    }

    /** Whether the datagram just {@link #examine}d (true) from {@code from} continues the run in progress. */
    boolean continues(int from, ByteBuffer datagram) {
        if (count == 0 || closed || from != source || count == MOST_SEGMENTS || examinedHeader != tcpHeader || examinedPayload > segment
                || buffer.position() + examinedPayload - TunDevice.HEADROOM > MOST_BYTES) {
            return false;
        }
        int d = datagram.position();
        int ip = INNER_IP;
        int tcp = TCP_FROM_DATAGRAM;
        return buffer.getInt(udp) == datagram.getInt(d) // ports
                && same(datagram, d + UDP_HEADER, udp + UDP_HEADER, VXLAN_AND_ETHERNET) // VXLAN header, MAC addresses
                && datagram.getShort(d + ip) == buffer.getShort(udp + ip) // version, header length, TOS
                && datagram.getShort(d + ip + 4) == nextIdentification
                && datagram.getShort(d + ip + 6) == buffer.getShort(udp + ip + 6) // DF
                && datagram.get(d + ip + 8) == buffer.get(udp + ip + 8) // TTL
                && same(datagram, d + ip + 12, udp + ip + 12, 8) // addresses
                && datagram.getInt(d + tcp) == buffer.getInt(udp + tcp) // ports
                && datagram.getInt(d + tcp + 4) == nextSequence
                && datagram.getInt(d + tcp + 8) == buffer.getInt(udp + tcp + 8) // acknowledgement
                && ((datagram.getInt(d + tcp + 12) ^ buffer.getInt(udp + tcp + 12)) & ~(PSH << 16)) == 0 // header length, flags, window
                && same(datagram, d + tcp + 20, udp + tcp + 20, tcpHeader - 20); // options: timestamps and all
    }

    /** Whether {@code length} bytes (a multiple of 2) at {@code from} in {@code datagram} equal those at {@code at} in the run's buffer. */
    private boolean same(ByteBuffer datagram, int from, int at, int length) {
        int i = 0;
        for (; i + 8 <= length; i += 8) {
            if (datagram.getLong(from + i) != buffer.getLong(at + i)) {
                return false;
            }
        }
        for (; i < length; i += 2) {
            if (datagram.getShort(from + i) != buffer.getShort(at + i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Adds the datagram just {@link #examine}d: it starts a run from {@code from} when none is in progress, else it
     * must {@link #continues continue} this one.
     */
    void add(int from, ByteBuffer datagram) {
        int d = datagram.position();
        datagramBytes += datagram.remaining();
        if (count == 0) {
            source = from;
            segment = examinedPayload;
            tcpHeader = examinedHeader;
            buffer.clear().position(udp);
            buffer.put(datagram);
        } else {
            buffer.put(datagram.position(d + TCP_FROM_DATAGRAM + tcpHeader));
        }
        count++;
        nextSequence = datagram.getInt(d + TCP_FROM_DATAGRAM + 4) + examinedPayload;
        nextIdentification = (short) (datagram.getShort(d + INNER_IP + 4) + 1);
        push = (examinedFlags & PSH) != 0;
        closed = push || examinedPayload < segment;
    }

    /**
     * Completes the headers for a run from the peer to {@code local} and returns the buffer to write, the outer IPv4
     * header {@link TunDevice#HEADROOM} bytes after its position: a super-packet when {@link #count} &gt; 1 (its
     * outer header {@link #OUTER_IPV4} bytes long), else the one datagram behind a plain header. Then the run is
     * empty again; the buffer stays valid until the next {@link #add}.
     */
    ByteBuffer finish(int local) {
        int end = buffer.position();
        int runs = count;
        count = 0;
        datagramBytes = 0;
        closed = false;
        if (runs == 1) {
            int ip = udp - PLAIN_IPV4;
            EspOpener.writeIpv4Header(buffer.slice(ip, PLAIN_IPV4), end - ip, source, local);
            return buffer.limit(end).position(ip - TunDevice.HEADROOM);
        }
        int ip = TunDevice.HEADROOM;
        EspOpener.writeIpv4Header(buffer.slice(ip, PLAIN_IPV4), end - ip, source, local);
        buffer.put(ip, (byte) (0x40 | OUTER_IPV4 / 4)).putShort(ip + 10, (short) 0);
        for (int i = ip + PLAIN_IPV4; i < udp; i++) {
            buffer.put(i, (byte) 1); // NOP
        }
        buffer.putShort(ip + 10, (short) ~Checksum.sum(buffer, ip, udp, 0));
        buffer.putShort(udp + 4, (short) (end - udp)).putShort(udp + 6, (short) 0);

        int inner = udp + INNER_IP;
        int tcp = udp + TCP_FROM_DATAGRAM;
        buffer.putShort(inner + 2, (short) (end - inner)).putShort(inner + 10, (short) 0);
        buffer.putShort(inner + 10, (short) ~Checksum.sum(buffer, inner, tcp, 0));
        if (push) {
            buffer.put(tcp + 13, (byte) (buffer.get(tcp + 13) | PSH));
        }
        // the pseudo-header sum, not complemented: the kernel adds the segment's own sum (CHECKSUM_PARTIAL)
        buffer.putShort(tcp + 16, (short) Checksum.sum(buffer, inner + 12, inner + 20, TCP + end - tcp));
        return buffer.limit(end).position(0);
    }
}

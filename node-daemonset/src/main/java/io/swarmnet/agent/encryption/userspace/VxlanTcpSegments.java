package io.swarmnet.agent.encryption.userspace;

import java.nio.ByteBuffer;

/**
 * Cuts a super-packet that the VXLAN device made of a task's TCP send (outer IPv4 | UDP | VXLAN | Ethernet |
 * IPv4 | TCP | up to 64 KB of payload) into the VXLAN datagrams that segmentation in the kernel would have
 * produced: each the outer UDP datagram (what transport-mode ESP seals) carrying one TCP segment of at most
 * the segment size, with the inner IPv4 length, identification (counting up from the super-packet's) and
 * checksum, the TCP sequence number, flags (FIN and PSH on the last segment only, CWR on the first only) and
 * checksum of its own; the outer UDP length set and its checksum 0, as VXLAN over IPv4 sends it.
 *
 * <p>One instance per reading thread: {@link #prepare} a super-packet, then build each {@link #segment}.
 */
final class VxlanTcpSegments {

    private static final int TCP = 6;
    private static final int UDP_HEADER = 8;

    private ByteBuffer packet;
    /** Offsets in {@code packet}: the outer UDP header, the inner IPv4 and TCP headers, the TCP payload, the end. */
    private int udp;
    private int innerIp;
    private int tcp;
    private int payload;
    private int end;
    private int segmentSize;

    /**
     * Takes the super-packet whose outer IPv4 header starts at {@code ip} in {@code packet} and is {@code length}
     * bytes long, with its inner IPv4 header {@code innerNetwork} bytes after {@code ip}; returns how many
     * segments of {@code segmentSize} payload bytes it holds, or 0 if it is not well-formed TCP in VXLAN.
     */
    int prepare(ByteBuffer packet, int ip, int length, int segmentSize, int innerNetwork) {
        this.packet = packet;
        this.segmentSize = segmentSize;
        end = ip + length;
        udp = ip + (packet.get(ip) & 0x0F) * 4;
        innerIp = ip + innerNetwork;
        if (segmentSize <= 0 || innerIp + 20 > end || innerIp < udp + UDP_HEADER || (packet.get(innerIp) & 0xF0) != 0x40
                || packet.get(innerIp + 9) != TCP) {
            return 0;
        }
        tcp = innerIp + (packet.get(innerIp) & 0x0F) * 4;
        if (tcp + 20 > end) {
            return 0;
        }
        payload = tcp + ((packet.get(tcp + 12) >>> 4) & 0x0F) * 4;
        if (payload >= end || payload - udp > 512) {
            return 0;
        }
        return (end - payload + segmentSize - 1) / segmentSize;
    }

    /**
     * Writes segments {@code first} to {@code first + count - 1} (of {@link #prepare}'s {@code total}) as one smaller
     * super-packet, its UDP datagram into {@code datagram} at {@code at}, and returns its length: the inner IPv4
     * length, identification and checksum and the TCP sequence number and flags those segments start with, the TCP
     * checksum field holding the pseudo-header sum (the segments' checksums are still to be made, as in a super-packet
     * the kernel hands over); the outer UDP length set and its checksum 0.
     */
    int run(int first, int count, int total, byte[] datagram, int at) {
        int from = payload + first * segmentSize;
        int bytes = Math.min(count * segmentSize, end - from);
        int headers = payload - udp;
        packet.get(udp, datagram, at, headers);
        packet.get(from, datagram, at + headers, bytes);
        ByteBuffer view = ByteBuffer.wrap(datagram, at, headers + bytes).slice();
        int length = headers + bytes;
        view.putShort(4, (short) length).putShort(6, (short) 0);

        int ip = innerIp - udp;
        int ipHeader = tcp - innerIp;
        int th = tcp - udp;
        int tcpLength = length - th;
        view.putShort(ip + 2, (short) (ipHeader + tcpLength));
        view.putShort(ip + 4, (short) (view.getShort(ip + 4) + first));
        view.putShort(ip + 10, (short) 0);
        view.putShort(ip + 10, (short) ~Checksum.sum(view, ip, ip + ipHeader, 0));

        view.putInt(th + 4, view.getInt(th + 4) + first * segmentSize);
        int flags = view.get(th + 13);
        if (first + count < total) {
            flags &= ~0x09; // FIN and PSH belong to the last segment
        }
        if (first > 0) {
            flags &= ~0x80; // CWR to the first
        }
        view.put(th + 13, (byte) flags);
        view.putShort(th + 16, (short) Checksum.sum(view, ip + 12, ip + 20, TCP + tcpLength));
        return length;
    }

    /** Of the super-packet {@link #prepare}d: the bytes of each segment's datagram before its TCP payload (UDP to TCP headers). */
    int headerBytes() {
        return payload - udp;
    }

    /**
     * Writes segment {@code index} (of {@link #prepare}'s count) as a UDP datagram into {@code datagram} at 0 and
     * returns its length; {@code datagram} must hold the headers and one segment. It is a run of one segment whose
     * TCP checksum is completed: the field holds the pseudo-header sum, so summing the segment over it gives the total.
     */
    int segment(int index, int count, byte[] datagram) {
        int length = run(index, 1, count, datagram, 0);
        ByteBuffer view = ByteBuffer.wrap(datagram);
        int th = tcp - udp;
        view.putShort(th + 16, (short) ~Checksum.sum(view, th, length, 0));
        return length;
    }
}

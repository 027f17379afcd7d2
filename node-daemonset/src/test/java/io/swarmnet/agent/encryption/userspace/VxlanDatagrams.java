package io.swarmnet.agent.encryption.userspace;

import java.nio.ByteBuffer;

/**
 * Opened VXLAN datagrams carrying TCP segments, for the tests of {@link VxlanTcpRun}: UDP 40000 -&gt; 4789 | VXLAN
 * 42 | Ethernet | IPv4 10.99.0.2 -&gt; 10.99.0.1 (DF) | TCP 5555 -&gt; 7777 with 12 bytes of options (NOP, NOP,
 * timestamps) | payload, every checksum computed here with a plain 16-bit sum, independent of the code under test.
 * Each field is a knob, so that a test changes one and sees what that does.
 */
final class VxlanDatagrams {

    static final int ACK = 0x10;
    static final int PSH = 0x08;
    static final int TCP_HEADER = 32;
    /** From the UDP header: the inner IPv4 header and the TCP header. */
    static final int INNER_IP = 8 + 8 + 14;
    static final int TCP = INNER_IP + 20;

    int sourcePort = 5555;
    int flags = ACK;
    int window = 502;
    int acknowledgement = 77;
    int timestamp = 9;
    int timestampEcho = 3;
    int tos;
    int ipHeaderWords = 5;
    int fragment = 0x4000;
    int etherType = 0x0800;
    boolean badTcpChecksum;
    boolean badIpChecksum;

    /** Segment {@code index} of a flow whose segments before it all carried {@code mss} bytes: sequence number and identification follow. */
    ByteBuffer segment(int index, int mss, int payload) {
        return datagram(0xFFFF_FF00 + index * mss, 0x1234 + index, payload, index);
    }

    /** A datagram with sequence number {@code sequence}, identification {@code id} and {@code payload} bytes, each {@code fill + offset}. */
    ByteBuffer datagram(int sequence, int id, int payload, int fill) {
        int ipHeader = ipHeaderWords * 4;
        int length = 8 + 8 + 14 + ipHeader + TCP_HEADER + payload;
        ByteBuffer b = ByteBuffer.allocate(length);
        b.putShort((short) 40_000).putShort((short) 4789).putShort((short) length).putShort((short) 0);
        b.putInt(0x0800_0000).putInt(42 << 8);
        b.put(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}).putShort((short) etherType);
        int ip = b.position();
        b.put((byte) (0x40 | ipHeaderWords)).put((byte) tos).putShort((short) (ipHeader + TCP_HEADER + payload)).putShort((short) id)
                .putShort((short) fragment).put((byte) 64).put((byte) 6).putShort((short) 0).put(new byte[] {10, 99, 0, 2})
                .put(new byte[] {10, 99, 0, 1});
        for (int i = 20; i < ipHeader; i++) {
            b.put((byte) 1);
        }
        int tcp = b.position();
        b.putShort((short) sourcePort).putShort((short) 7777).putInt(sequence).putInt(acknowledgement)
                .put((byte) ((TCP_HEADER / 4) << 4)).put((byte) flags).putShort((short) window).putShort((short) 0).putShort((short) 0);
        b.put(new byte[] {1, 1, 8, 10}).putInt(timestamp).putInt(timestampEcho);
        for (int i = 0; i < payload; i++) {
            b.put((byte) (fill * 31 + i));
        }
        b.putShort(ip + 10, (short) (~onesComplement(b.array(), ip, tcp, 0) ^ (badIpChecksum ? 1 : 0)));
        int pseudo = onesComplement(new byte[] {10, 99, 0, 2, 10, 99, 0, 1, 0, 6, (byte) ((length - tcp) >> 8), (byte) (length - tcp)}, 0, 12, 0);
        b.putShort(tcp + 16, (short) (~onesComplement(b.array(), tcp, length, pseudo) ^ (badTcpChecksum ? 1 : 0)));
        return b.flip();
    }

    /** A heap copy in a direct buffer, as the opening thread holds it. */
    static ByteBuffer direct(ByteBuffer datagram) {
        ByteBuffer d = ByteBuffer.allocateDirect(datagram.remaining());
        d.put(datagram.duplicate()).flip();
        return d;
    }

    /** RFC 1071 the plain way, 16 bits at a time. */
    static int onesComplement(byte[] data, int from, int to, int initial) {
        int sum = initial;
        for (int i = from; i < to; i += 2) {
            int word = (data[i] & 0xFF) << 8 | (i + 1 < to ? data[i + 1] & 0xFF : 0);
            sum += word;
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return sum;
    }

    static byte[] bytes(ByteBuffer buffer, int from, int to) {
        byte[] out = new byte[to - from];
        buffer.get(from, out);
        return out;
    }
}

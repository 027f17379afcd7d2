package io.swarmnet.agent.encryption.userspace;

import java.nio.ByteBuffer;

/** The Internet checksum (RFC 1071) over parts of a buffer, for the headers the datapath writes or completes. */
final class Checksum {

    private Checksum() {
    }

    /**
     * The ones'-complement sum of the 16-bit big-endian words between {@code from} and {@code to} (an odd last
     * byte padded with zero) added to {@code initial}, folded to 16 bits, not complemented: chain calls through
     * {@code initial} for a pseudo-header and a datagram, then store {@code ~fold(sum)}.
     */
    static int sum(ByteBuffer buffer, int from, int to, int initial) {
        long sum = initial & 0xFFFF_FFFFL;
        int i = from;
        // 64 bits at a time, added as two 32-bit halves: 2^16 = 1 modulo 2^16 - 1, so summing words pairwise folds to
        // the same result (a third less time than 32 bits at a time over a segment, here); 64 KB of halves cannot overflow
        for (; i + 7 < to; i += 8) {
            long word = buffer.getLong(i);
            sum += (word >>> 32) + (word & 0xFFFF_FFFFL);
        }
        for (; i + 3 < to; i += 4) {
            sum += buffer.getInt(i) & 0xFFFF_FFFFL;
        }
        if (i + 1 < to) {
            sum += buffer.getShort(i) & 0xFFFF;
            i += 2;
        }
        if (i < to) {
            sum += (buffer.get(i) & 0xFF) << 8;
        }
        sum = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        sum = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        return fold((int) (sum & 0xFFFF) + (int) (sum >>> 16));
    }

    /** Folds carries above bit 16 back in. */
    static int fold(int sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return sum;
    }
}

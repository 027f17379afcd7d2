package io.swarmnet.agent.encryption;

/**
 * How far the sequence numbers of one outbound SA may go, and from where on the node asks for a new key. Pure.
 *
 * <p>ESP's sequence number is 32 bits, and with AES-GCM it is also the nonce: it must never repeat under one key, so
 * an SA never wraps. An SA whose numbers run out sends nothing more (fail closed) until the operator's next key
 * generation replaces it. So that traffic never gets there, the node reports an SA as <em>near its limit</em> once
 * three quarters of its numbers are used, and the operator then rotates the key at once instead of at its next
 * interval: the last quarter (2^30 packets by default, over a minute even at 10 million packets a second) covers the
 * report, the operator's check and the rotation's settle times.
 *
 * @param last the last sequence number an SA may carry: at most 2^32-1 (ESP's), lower to rotate earlier
 *             ({@code SWARMNET_ESP_SEQUENCE_LIMIT}, small in tests)
 */
public record SequenceLimit(long last) {

    /** ESP's own limit without extended sequence numbers. */
    public static final long ESP_LAST = 0xFFFF_FFFFL;
    public static final SequenceLimit ESP = new SequenceLimit(ESP_LAST);
    /** Below this, a rotation could not keep up with even a slow flow. */
    public static final long MIN = 100;

    public SequenceLimit {
        if (last < MIN || last > ESP_LAST) {
            throw new IllegalArgumentException("ESP sequence limit " + last + " is outside " + MIN + ".." + ESP_LAST
                    + " (2^32-1, the largest 32-bit ESP sequence number); leave SWARMNET_ESP_SEQUENCE_LIMIT unset for ESP's own");
        }
    }

    /** The sequence number from which on an SA is near its limit: three quarters of the way. */
    public long nearLimitAt() {
        return last - last / 4;
    }

    /** Whether an SA that has used numbers up to {@code used} should be replaced by a new key generation. */
    public boolean nearLimit(long used) {
        return used >= nearLimitAt();
    }

    /** Whether an SA that has used numbers up to {@code used} may send nothing more. */
    public boolean exhausted(long used) {
        return used >= last;
    }
}

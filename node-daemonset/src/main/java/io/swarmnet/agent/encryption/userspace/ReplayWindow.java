package io.swarmnet.agent.encryption.userspace;

/**
 * The receiver's anti-replay window of RFC 4303 section 3.4.3: a packet is accepted once, and only
 * while its sequence number is within {@link #SIZE} of the highest authenticated one. Check before
 * authenticating (cheap), record after (so forged packets cannot move the window).
 */
public final class ReplayWindow {

    /** Packets this far behind the newest may still arrive out of order (RFC 4303 asks for at least 32, suggests 64). */
    public static final int SIZE = 1024;
    private final long[] seen = new long[SIZE / 64];
    private long top;

    /** A window that has seen nothing yet. */
    public ReplayWindow() {
    }

    /**
     * A window that takes every sequence number up to {@code floor} as seen: for a receiver that restarted, with
     * {@code floor} the newest number it had recorded (durably) before.
     */
    public static ReplayWindow above(long floor) {
        ReplayWindow window = new ReplayWindow();
        window.top = Math.max(0, floor);
        java.util.Arrays.fill(window.seen, -1L);
        return window;
    }

    /** False for sequence 0, for one already recorded, and for one too far behind the newest. */
    public boolean mayAccept(long sequence) {
        if (sequence <= 0) {
            return false;
        }
        if (sequence > top) {
            return true;
        }
        if (top - sequence >= SIZE) {
            return false;
        }
        return !bit(sequence);
    }

    /** Records an authenticated sequence number, sliding the window when it is the newest. */
    public void record(long sequence) {
        if (sequence > top) {
            long shift = sequence - top;
            if (shift >= SIZE) {
                java.util.Arrays.fill(seen, 0);
            } else {
                for (long s = top + 1; s < sequence; s++) {
                    clear(s);
                }
            }
            top = sequence;
        }
        set(sequence);
    }

    public long newest() {
        return top;
    }

    private boolean bit(long sequence) {
        int index = (int) (sequence % SIZE);
        return (seen[index >>> 6] & (1L << (index & 63))) != 0;
    }

    private void set(long sequence) {
        int index = (int) (sequence % SIZE);
        seen[index >>> 6] |= 1L << (index & 63);
    }

    private void clear(long sequence) {
        int index = (int) (sequence % SIZE);
        seen[index >>> 6] &= ~(1L << (index & 63));
    }
}

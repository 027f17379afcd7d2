package io.swarmnet.sandbox.kubelet;

import java.time.Duration;

/** A pod's restartPolicy, and the back-off between restarts (shorter than the kubelet's 10 s .. 5 min, for a sandbox). */
public enum RestartPolicy {
    Always, OnFailure, Never;

    static final Duration FIRST_DELAY = Duration.ofSeconds(1);
    static final Duration MAX_DELAY = Duration.ofSeconds(30);
    /** A container that ran this long without failing starts over from the first delay, as the kubelet does. */
    static final Duration RESET_AFTER = Duration.ofMinutes(2);

    public static RestartPolicy of(String value) {
        if (value == null || value.isEmpty()) {
            return Always;
        }
        return valueOf(value);
    }

    public boolean restarts(int exitCode) {
        return switch (this) {
            case Always -> true;
            case OnFailure -> exitCode != 0;
            case Never -> false;
        };
    }

    /** Delay before restart number {@code restartCount + 1}: 1 s, 2 s, 4 s ... capped at 30 s. */
    public static Duration backoff(int restartCount) {
        long seconds = FIRST_DELAY.toSeconds() << Math.min(restartCount, 10);
        return Duration.ofSeconds(Math.min(seconds, MAX_DELAY.toSeconds()));
    }
}

package io.swarmnet.agent.encryption.userspace;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Whether an {@link EspTunnel}'s threads go on, and how they wait after an unexpected failure. */
final class Running {

    private static final Logger LOG = LoggerFactory.getLogger(Running.class);
    private volatile boolean running = true;

    boolean get() {
        return running;
    }

    void stop() {
        running = false;
    }

    /**
     * After an unexpected failure (the device deleted under us, a peer unreachable): log, and wait a little so that a
     * lasting fault neither spins a core nor floods the log. The packet at hand is dropped, never sent in clear.
     */
    void pauseAfter(String device, String what, Exception e) {
        if (!running) {
            return;
        }
        LOG.warn("userspace ESP on {}: {} failed: {}", device, what, e.toString());
        try {
            Thread.sleep(100);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}

package io.swarmnet.agent;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the agent's reconcile rounds run; what a round does is {@link ReconcileLoop}'s. A change marks the state
 * dirty; a burst of changes is collected for the debounce and then handled by one round. A failed round is retried
 * with exponential backoff from the minimum to the maximum; a round succeeding resets it. Every resync period a round
 * runs even when nothing changed, told that the resync is due. While the cluster is not {@code ready} no round runs
 * and readiness is polled: an unsynced cache looks like an empty cluster and would tear the node's datapath down.
 */
final class RoundRunner {

    private static final Logger LOG = LoggerFactory.getLogger(RoundRunner.class);
    /** Poll interval while not ready (an empty cluster sends no event once synced). */
    static final Duration READY_POLL = Duration.ofMillis(20);

    /** The monotonic clock the runner reads, and its two ways of waiting on it. */
    interface Time {
        long nanoTime();

        /** Waits out the debounce. */
        void sleep(Duration duration) throws InterruptedException;

        /** {@code lock.wait} (the caller holds {@code lock}) for at most {@code nanos}, or until notified. */
        void await(Object lock, long nanos) throws InterruptedException;

        Time SYSTEM = new Time() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void sleep(Duration duration) throws InterruptedException {
                Thread.sleep(duration.toMillis());
            }

            @Override
            public void await(Object lock, long nanos) throws InterruptedException {
                lock.wait(Math.max(1, nanos / 1_000_000), 0);
            }
        };
    }

    /** One round. */
    interface Round {
        /** @param resyncDue whether the resync period has passed since the last round that resynced */
        Result run(boolean resyncDue);
    }

    /**
     * @param failed   retry with backoff
     * @param resynced the round did the due resync: the next one is due a period from now
     */
    record Result(boolean failed, boolean resynced) {
    }

    private final String name;
    private final Duration debounce;
    private final long resyncNanos;
    private final long minBackoffNanos;
    private final long maxBackoffNanos;
    private final Time time;
    private final Object lock = new Object();
    private boolean dirty = true;
    private volatile boolean stopped;

    /** @param name what the log calls the one whose rounds these are (the node) */
    RoundRunner(String name, Duration debounce, Duration resync, Duration minBackoff, Duration maxBackoff, Time time) {
        this.name = name;
        this.debounce = debounce;
        this.resyncNanos = resync.toNanos();
        this.minBackoffNanos = minBackoff.toNanos();
        this.maxBackoffNanos = maxBackoff.toNanos();
        this.time = time;
    }

    void markDirty() {
        synchronized (lock) {
            dirty = true;
            lock.notifyAll();
        }
    }

    /** Ends {@link #run} before its next round. */
    void stop() {
        stopped = true;
        markDirty();
    }

    /** Runs rounds until {@link #stop}; the first one at once (the state starts dirty). */
    void run(BooleanSupplier ready, Round round) throws InterruptedException {
        long backoffNanos = minBackoffNanos;
        long retryAt = Long.MAX_VALUE;
        long resyncAt = time.nanoTime() + resyncNanos;
        while (!stopped) {
            boolean wasDirty;
            synchronized (lock) {
                while (!dirty && !stopped) {
                    long now = time.nanoTime();
                    long wakeAt = Math.min(retryAt, resyncAt);
                    if (now - wakeAt >= 0) {
                        break;
                    }
                    time.await(lock, wakeAt - now);
                }
                wasDirty = dirty;
            }
            if (stopped) {
                break;
            }
            if (wasDirty && !debounce.isZero()) {
                time.sleep(debounce); // let the rest of a burst arrive: one round for all of it
            }
            synchronized (lock) {
                dirty = false;
            }
            if (!ready.getAsBoolean()) {
                retryAt = time.nanoTime() + READY_POLL.toNanos();
                continue;
            }
            boolean resyncDue = time.nanoTime() - resyncAt >= 0;
            Result result = round.run(resyncDue);
            if (result.resynced()) {
                resyncAt = time.nanoTime() + resyncNanos;
            }
            if (result.failed()) {
                retryAt = time.nanoTime() + backoffNanos;
                if (resyncDue && !result.resynced()) {
                    resyncAt = retryAt; // the retry resyncs: an overdue resync must not run rounds back to back
                }
                LOG.debug("node {}: retrying in {} ms", name, backoffNanos / 1_000_000);
                backoffNanos = Math.min(backoffNanos * 2, maxBackoffNanos);
            } else {
                retryAt = Long.MAX_VALUE;
                backoffNanos = minBackoffNanos;
            }
        }
    }
}

package io.swarmnet.agent;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the agent's reconcile rounds run; what a round does is {@link ReconcileLoop}'s. A change marks the state
 * dirty. The debounce has a leading edge: a change that finds the runner idle — no round running and none ended within
 * the debounce — starts a round at once; changes arriving while a round runs or within the debounce after it are
 * collected and handled by one round when that window ends. So an isolated change waits for no timer, and a burst
 * costs one round at its start and at most one more per debounce after each round. A failed round is retried
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

        /** Waits out the rest of the debounce window. */
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
                long nanos = duration.toNanos();
                Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
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

    /** Runs rounds until {@link #stop}; the first one at once (the state starts dirty and the runner idle). */
    void run(BooleanSupplier ready, Round round) throws InterruptedException {
        long backoffNanos = minBackoffNanos;
        long retryAt = Long.MAX_VALUE;
        long start = time.nanoTime();
        long resyncAt = start + resyncNanos;
        long windowEnd = start; // until then a change waits: the debounce after the last round (or readiness poll)
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
            if (wasDirty) {
                long early = windowEnd - time.nanoTime();
                if (early > 0) {
                    time.sleep(Duration.ofNanos(early)); // a round ran just now: let the rest of the burst arrive
                    if (stopped) {
                        break;
                    }
                }
            }
            synchronized (lock) {
                dirty = false;
            }
            if (!ready.getAsBoolean()) {
                long polled = time.nanoTime();
                retryAt = polled + READY_POLL.toNanos();
                windowEnd = polled + debounce.toNanos(); // informers listing the cluster: not a poll per event
                continue;
            }
            boolean resyncDue = time.nanoTime() - resyncAt >= 0;
            Result result = round.run(resyncDue);
            long ended = time.nanoTime();
            windowEnd = ended + debounce.toNanos();
            if (result.resynced()) {
                resyncAt = ended + resyncNanos;
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

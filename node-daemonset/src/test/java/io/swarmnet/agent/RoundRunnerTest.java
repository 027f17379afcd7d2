package io.swarmnet.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** When reconcile rounds run, on a clock the test moves: no test here waits for real time. */
class RoundRunnerTest {

    private static final Duration DEBOUNCE = Duration.ofMillis(30);
    private static final Duration RESYNC = Duration.ofSeconds(60);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(1);

    private final ScriptedTime time = new ScriptedTime();
    private final RoundRunner runner = new RoundRunner("node-1", DEBOUNCE, RESYNC, MIN_BACKOFF, MAX_BACKOFF, time);
    /** Milliseconds at which each round started. */
    private final List<Long> rounds = new ArrayList<>();

    @Test
    void aChangeThatFindsTheRunnerIdleStartsARoundAtOnce() throws Exception {
        time.at(1_000, runner::markDirty);
        time.at(5_000, runner::stop);

        runner.run(() -> true, resyncDue -> succeeded());

        assertThat(rounds).as("the first round at the start, the change's at once: no debounce to wait out")
                .containsExactly(0L, 1_000L);
    }

    @Test
    void aBurstOfChangesCostsARoundAtOnceAndOneMoreWhenTheWindowEnds() throws Exception {
        for (long at = 1_000; at <= 1_025; at += 5) {
            time.at(at, runner::markDirty);
        }
        time.at(5_000, runner::stop);

        runner.run(() -> true, resyncDue -> succeeded());

        assertThat(rounds).as("six changes in 25 ms: the first starts a round, the other five share the next")
                .containsExactly(0L, 1_000L, 1_030L);
    }

    @Test
    void changesDuringARoundWaitForTheWindowAfterItAndAnIdleChangeAgainStartsAtOnce() throws Exception {
        time.at(1_000, runner::markDirty);
        time.at(1_005, runner::markDirty); // during the 10 ms round the first change started
        time.at(1_052, runner::markDirty); // 2 ms after the second round ended: in its window
        time.at(1_200, runner::markDirty); // idle again
        time.at(5_000, runner::stop);

        runner.run(() -> true, resyncDue -> {
            rounds.add(time.millis());
            time.sleep(Duration.ofMillis(10));
            return new RoundRunner.Result(false, false);
        });

        assertThat(rounds).containsExactly(0L, 1_000L, 1_040L, 1_080L, 1_200L);
    }

    @Test
    void aSteadyStreamOfChangesCostsOneRoundPerWindow() throws Exception {
        for (long at = 1_000; at <= 1_300; at += 5) {
            time.at(at, runner::markDirty);
        }
        time.at(5_000, runner::stop);

        runner.run(() -> true, resyncDue -> succeeded());

        List<Long> expected = new ArrayList<>(List.of(0L));
        for (long at = 1_000; at <= 1_300; at += DEBOUNCE.toMillis()) {
            expected.add(at);
        }
        assertThat(rounds).as("61 changes over 300 ms").containsExactlyElementsOf(expected);
    }

    @Test
    void aFailedRoundIsRetriedWithDoublingBackoffUpToTheMaximumAndASuccessResetsIt() throws Exception {
        List<Boolean> outcomes = new ArrayList<>(List.of(true, true, true, true, true, false, true, false));
        time.at(5_000, runner::markDirty);
        time.at(9_000, runner::stop);

        runner.run(() -> true, resyncDue -> {
            rounds.add(time.millis());
            return new RoundRunner.Result(outcomes.remove(0), false);
        });

        assertThat(rounds).containsExactly(0L, 200L, 600L, 1_400L, 2_400L, 3_400L, 5_000L, 5_200L);
    }

    @Test
    void aRoundRunsEachResyncPeriodWithoutChangesAndIsToldSo() throws Exception {
        Map<Long, Boolean> resyncs = new TreeMap<>();
        time.at(90_000, runner::markDirty);
        time.at(150_000, runner::stop);

        runner.run(() -> true, resyncDue -> {
            resyncs.put(time.millis(), resyncDue);
            return new RoundRunner.Result(false, resyncDue);
        });

        assertThat(resyncs).containsExactly(Map.entry(0L, false), Map.entry(60_000L, true), Map.entry(90_000L, false),
                Map.entry(120_000L, true));
    }

    @Test
    void aRoundThatFailsBeforeADueResyncIsRetriedAfterItsBackoffAndStillResyncs() throws Exception {
        Map<Long, Boolean> resyncs = new TreeMap<>();
        time.at(61_000, runner::stop);

        runner.run(() -> true, resyncDue -> {
            resyncs.put(time.millis(), resyncDue);
            boolean crashed = time.millis() == 60_000; // e.g. a bug throws before the round gets to the resync
            return new RoundRunner.Result(crashed, resyncDue && !crashed);
        });

        assertThat(resyncs).containsExactly(Map.entry(0L, false), Map.entry(60_000L, true), Map.entry(60_200L, true));
    }

    @Test
    void noRoundRunsBeforeTheClusterIsReadyWhichIsPolled() throws Exception {
        List<Long> polls = new ArrayList<>();
        time.at(1_000, runner::stop);

        runner.run(() -> {
            polls.add(time.millis());
            return time.millis() >= 100;
        }, resyncDue -> succeeded());

        assertThat(polls).containsExactly(0L, 20L, 40L, 60L, 80L, 100L);
        assertThat(rounds).containsExactly(100L);
    }

    @Test
    void changesWhileTheClusterIsNotReadyArePolledOncePerWindowNotOncePerChange() throws Exception {
        List<Long> polls = new ArrayList<>();
        for (long at = 1; at <= 29; at += 2) {
            time.at(at, runner::markDirty); // the informers' initial lists
        }
        time.at(1_000, runner::stop);

        runner.run(() -> {
            polls.add(time.millis());
            return time.millis() >= 50;
        }, resyncDue -> succeeded());

        assertThat(polls).containsExactly(0L, 30L, 50L);
        assertThat(rounds).containsExactly(50L);
    }

    @Test
    void stopDuringARoundEndsTheRunWithoutAnotherRound() throws Exception {
        runner.run(() -> true, resyncDue -> {
            runner.markDirty();
            runner.stop();
            return succeeded();
        });

        assertThat(rounds).containsExactly(0L);
    }

    @Test
    void stopWhileAChangeWaitsForTheWindowEndsTheRunWithoutItsRound() throws Exception {
        time.at(1_000, runner::markDirty);
        time.at(1_010, runner::markDirty);
        time.at(1_020, runner::stop);

        runner.run(() -> true, resyncDue -> succeeded());

        assertThat(rounds).containsExactly(0L, 1_000L);
    }

    private RoundRunner.Result succeeded() {
        rounds.add(time.millis());
        return new RoundRunner.Result(false, false);
    }

    /**
     * A clock that moves only when the runner waits, firing what the test scheduled on the way. A runner that reads
     * it again and again without waiting spins: that fails the test instead of running it forever.
     */
    private static final class ScriptedTime implements RoundRunner.Time {
        private static final int SPIN = 10_000;
        private long now;
        private int readsAtNow;
        private final TreeMap<Long, Runnable> events = new TreeMap<>();

        void at(long millis, Runnable event) {
            events.put(Duration.ofMillis(millis).toNanos(), event);
        }

        long millis() {
            return Duration.ofNanos(now).toMillis();
        }

        @Override
        public long nanoTime() {
            if (++readsAtNow > SPIN) {
                throw new AssertionError("the runner runs round after round at " + millis() + " ms without waiting");
            }
            return now;
        }

        private void moveTo(long nanos) {
            if (nanos != now) {
                readsAtNow = 0;
            }
            now = nanos;
        }

        /** Every event scheduled during the sleep happens. */
        @Override
        public void sleep(Duration duration) {
            long until = now + duration.toNanos();
            while (!events.isEmpty() && events.firstKey() <= until) {
                fireFirst();
            }
            moveTo(until);
        }

        /** Like {@code wait}: returns at the first event (which notifies) or when the time is up. */
        @Override
        public void await(Object lock, long nanos) {
            long until = nanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
            if (!events.isEmpty() && events.firstKey() <= until) {
                fireFirst();
            } else if (events.isEmpty()) {
                throw new AssertionError("the runner waits with nothing left to happen: stop it from the test");
            } else {
                moveTo(until);
            }
        }

        private void fireFirst() {
            Map.Entry<Long, Runnable> event = events.pollFirstEntry();
            moveTo(Math.max(now, event.getKey()));
            event.getValue().run();
        }
    }
}

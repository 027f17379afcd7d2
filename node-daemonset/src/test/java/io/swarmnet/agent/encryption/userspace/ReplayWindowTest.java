package io.swarmnet.agent.encryption.userspace;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReplayWindowTest {

    private static void accept(ReplayWindow window, long sequence) {
        assertThat(window.mayAccept(sequence)).as("sequence %d accepted", sequence).isTrue();
        window.record(sequence);
    }

    @Test
    void eachSequenceIsAcceptedOnce() {
        ReplayWindow window = new ReplayWindow();
        accept(window, 1);
        accept(window, 2);
        assertThat(window.mayAccept(2)).isFalse();
        assertThat(window.mayAccept(1)).isFalse();
        assertThat(window.mayAccept(0)).as("0 is never sent").isFalse();
    }

    @Test
    void aWindowAboveAFloorRefusesEverythingUpToItAndAcceptsWhatFollows() {
        ReplayWindow window = ReplayWindow.above(5_000);
        for (long sequence : new long[] {1, 4_000, 4_999, 5_000}) {
            assertThat(window.mayAccept(sequence)).as("sequence %d, at or below the floor", sequence).isFalse();
        }
        accept(window, 5_002);
        accept(window, 5_001);
        assertThat(window.mayAccept(5_000)).isFalse();
        assertThat(window.mayAccept(5_002)).isFalse();
        assertThat(ReplayWindow.above(0).mayAccept(1)).as("no floor").isTrue();
    }

    @Test
    void outOfOrderPacketsInsideTheWindowAreAcceptedOnce() {
        ReplayWindow window = new ReplayWindow();
        long top = 2 * ReplayWindow.SIZE;
        accept(window, top);
        accept(window, top - 2);
        accept(window, top - 1);
        assertThat(window.mayAccept(top - 2)).isFalse();
        accept(window, top - ReplayWindow.SIZE + 1);
        assertThat(window.mayAccept(top - ReplayWindow.SIZE)).as("just outside the window").isFalse();
    }

    @Test
    void aLargeJumpForgetsEverythingBehindTheWindow() {
        ReplayWindow window = new ReplayWindow();
        accept(window, 5);
        accept(window, 5 + 10 * ReplayWindow.SIZE);
        assertThat(window.mayAccept(5)).isFalse();
        long inside = 5 + 10 * ReplayWindow.SIZE - 3;
        accept(window, inside);
        assertThat(window.mayAccept(inside)).isFalse();
        assertThat(window.newest()).isEqualTo(5 + 10 * ReplayWindow.SIZE);
    }

    @Test
    void slotsReusedAfterTheWindowSlidesStartClear() {
        ReplayWindow window = new ReplayWindow();
        for (long s = 1; s <= 3 * ReplayWindow.SIZE; s += 2) {
            accept(window, s);
        }
        long top = window.newest();
        // even numbers inside the window were never seen, although their slots held odd numbers of earlier laps
        for (long s = top - ReplayWindow.SIZE + 2; s < top; s += 2) {
            assertThat(window.mayAccept(s + 1)).as("unseen %d", s + 1).isTrue();
        }
    }

    @Test
    void onlyRecordedSequencesMoveTheWindow() {
        ReplayWindow window = new ReplayWindow();
        accept(window, 10);
        // a forged packet far ahead is checked but fails authentication, so it is never recorded
        assertThat(window.mayAccept(1_000_000)).isTrue();
        assertThat(window.newest()).isEqualTo(10);
        accept(window, 11);
    }
}

package io.swarmnet.operator.service;

import java.time.Duration;
import java.time.Instant;

/**
 * What the update monitor needs to know about one task pod.
 *
 * @param name         the pod's name
 * @param slot         its slot (null when the pod has no readable slot label)
 * @param templateHash the template it was created from
 * @param lifecycle    whether it runs, is being deleted, or has ended
 * @param created      its creation time (null when unknown)
 * @param runningSince when its containers started (null while not running)
 * @param ready        its Ready condition is True
 * @param failure      why it counts as failed whatever the time (null when nothing says so)
 */
public record WatchedTask(String name, TaskSlot slot, String templateHash, ExistingTask.Lifecycle lifecycle, Instant created,
                          Instant runningSince, boolean ready, String failure) {

    /** How a new task fares in its monitor window. */
    public enum Verdict {
        /** Its containers have not started: the window has not begun. */
        NOT_STARTED,
        /** Within the window and nothing wrong so far. */
        WATCHING,
        /** It ended, restarted, cannot start, or was not Ready when the window closed. */
        FAILED,
        /** Ready when the window closed, nothing failed. */
        PASSED
    }

    public Verdict verdict(Duration monitor, Instant now) {
        if (failure != null) {
            return Verdict.FAILED;
        }
        if (runningSince == null) {
            return Verdict.NOT_STARTED;
        }
        if (now.isBefore(windowEnd(monitor))) {
            return Verdict.WATCHING;
        }
        return ready ? Verdict.PASSED : Verdict.FAILED;
    }

    /** Why the verdict is FAILED. */
    public String failureReason(Duration monitor) {
        return failure != null ? failure : "not Ready " + GoDuration.format(monitor) + " after its containers started";
    }

    Instant windowEnd(Duration monitor) {
        return runningSince.plus(monitor);
    }
}

package io.swarmnet.operator.service;

import java.time.Instant;

/**
 * What the planner needs to know about one task pod that exists in the cluster.
 *
 * @param podName      the pod's name
 * @param slot         the slot from its {@code swarmnet.io/slot} label
 * @param templateHash the template it was created from ({@code swarmnet.io/template-hash})
 * @param lifecycle    whether it runs, is being deleted, or has ended
 * @param ready        its Ready condition is True (which includes the attached readiness gate)
 * @param readySince   when it last became ready (null when not ready or unknown)
 * @param created      its creation time (null when unknown)
 */
public record ExistingTask(String podName, TaskSlot slot, String templateHash, Lifecycle lifecycle,
                           boolean ready, Instant readySince, Instant created) {

    /** Where a task pod is in its life, as far as slot bookkeeping is concerned. */
    public enum Lifecycle {
        /** Pending or running: it holds its slot. */
        ACTIVE,
        /** Deletion requested (deletionTimestamp set); the pod may still run for its grace period. */
        TERMINATING,
        /** Phase Failed or Succeeded: it will not run again and is replaced. */
        FINISHED
    }

    boolean isActive() {
        return lifecycle == Lifecycle.ACTIVE;
    }
}

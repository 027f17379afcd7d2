package io.swarmnet.sandbox.kubelet;

import java.time.Instant;

/**
 * What the sandbox knows about one container of a pod.
 *
 * @param name            container name
 * @param phase           waiting, running or terminated
 * @param reason          why it is waiting or terminated (ContainerCreating, CrashLoopBackOff, RunContainerError, Completed, Error)
 * @param message         details for a user, or null
 * @param startedAt       when the current (or last) process started, or null
 * @param finishedAt      when it ended, or null while it runs
 * @param exitCode        the process's exit code once terminated, or null
 * @param restartCount    restarts so far
 * @param lastTermination the previous run's end, or null
 */
public record ContainerState(String name, Phase phase, String reason, String message, Instant startedAt, Instant finishedAt,
                             Integer exitCode, int restartCount, Termination lastTermination) {

    public enum Phase { Waiting, Running, Terminated }

    /** The end of one run of a container. */
    public record Termination(int exitCode, String reason, Instant startedAt, Instant finishedAt) {
    }

    public static ContainerState creating(String name) {
        return new ContainerState(name, Phase.Waiting, "ContainerCreating", null, null, null, null, 0, null);
    }

    public boolean running() {
        return phase == Phase.Running;
    }

    public static String terminationReason(int exitCode) {
        return exitCode == 0 ? "Completed" : "Error";
    }
}

package io.swarmnet.sandbox.kubelet;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One run of a container: a host process in the pod's network namespace, in a UTS namespace of its
 * own whose hostname is the pod name, with a private /tmp, leading a process group of its own so that stopping it stops
 * everything it started (nginx's workers, a shell's children).
 */
final class ContainerProcess {

    /**
     * Runs inside the container's namespaces before its command: the hostname, and a private /tmp as a
     * container's own filesystem would give (tasks of one service on one machine never share temp files, and
     * nothing is left on the host when the container ends). {@code ip netns exec} already gave the process a
     * mount namespace of its own with propagation to the host turned off.
     */
    static final String CONTAINER_SETUP = "mount -t tmpfs -o mode=1777,size=64m swarmnet-tmp /tmp 2>/dev/null;"
            + " hostname \"$0\" 2>/dev/null; exec \"$@\"";

    private final Process process;
    private final Instant startedAt;

    private ContainerProcess(Process process, Instant startedAt) {
        this.process = process;
        this.startedAt = startedAt;
    }

    /**
     * Starts {@code launch} inside {@code netns}. The process chain setsid → ip netns exec → unshare → sh
     * replaces itself at each step (none forks), so the pid Java sees is the container's main process and
     * its process group.
     */
    static ContainerProcess start(String netns, String hostname, ContainerLaunch launch, Path log, Instant now) throws IOException {
        List<String> command = new ArrayList<>(List.of(HostPrograms.SETSID, HostPrograms.IP, "netns", "exec", netns,
                HostPrograms.UNSHARE, "--uts", "--", "/bin/sh", "-c", CONTAINER_SETUP, hostname));
        command.addAll(launch.argv());
        Files.createDirectories(log.getParent());
        File workingDir = new File(launch.workingDir());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workingDir.isDirectory() ? workingDir : new File("/"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().clear();
        builder.environment().putAll(launch.env());
        return new ContainerProcess(builder.start(), now);
    }

    long pid() {
        return process.pid();
    }

    Instant startedAt() {
        return startedAt;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The exit code once ended; a process killed by signal N reports 128 + N, as a shell and the kubelet do. */
    int exitCode() {
        return process.exitValue();
    }

    Process process() {
        return process;
    }

    /** SIGTERM to the whole group, SIGKILL after {@code grace}. */
    void stop(Duration grace) {
        if (!process.isAlive()) {
            signalGroup("KILL");
            return;
        }
        signalGroup("TERM");
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                signalGroup("KILL");
                process.waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // children that outlived the leader (e.g. nginx workers during their graceful exit)
        signalGroup("KILL");
    }

    private void signalGroup(String signal) {
        HostPrograms.run(List.of(HostPrograms.KILL, "-s", signal, "--", "-" + process.pid()));
    }
}

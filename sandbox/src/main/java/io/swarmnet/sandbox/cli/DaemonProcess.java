package io.swarmnet.sandbox.cli;

import io.swarmnet.sandbox.SandboxHome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The sandbox daemon as an operating-system process: found through its pid file, started detached, stopped by signal. */
public final class DaemonProcess {

    /** The hidden command line the daemon runs with; also how a pid is recognised as ours. */
    public static final String DAEMON_COMMAND = "daemon";

    private final SandboxHome home;

    public DaemonProcess(SandboxHome home) {
        this.home = home;
    }

    /** The running daemon, if the pid file names a live process that is a sandbox daemon. */
    public Optional<ProcessHandle> running() {
        try {
            if (!Files.exists(home.pidFile())) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(home.pidFile()).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(DaemonProcess::isSandboxDaemon);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean isSandboxDaemon(ProcessHandle process) {
        try {
            String cmdline = Files.readString(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
            return cmdline.contains("io.swarmnet.sandbox.SwarmnetCli") && cmdline.contains("\0" + DAEMON_COMMAND + "\0");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Starts the daemon detached from this terminal (its own session, output to the daemon log) and waits until it
     * reports ready or dies. Returns its process.
     */
    public ProcessHandle start(int nodes, Path repository, Duration timeout) throws IOException, InterruptedException {
        Files.createDirectories(home.dir());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of("setsid", java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "io.swarmnet.sandbox.SwarmnetCli", "sandbox", DAEMON_COMMAND,
                "--nodes", Integer.toString(nodes)));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.daemonLog().toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put(SandboxHome.ENV_DIR, home.dir().toString());
        builder.environment().put(SandboxHome.ENV_PREFIX, home.prefix());
        builder.environment().put(Repository.ENV_HOME, repository.toString());
        Process process = builder.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(home.readyFile())) {
                return process.toHandle();
            }
            if (!process.isAlive()) {
                throw new CliFailure("the sandbox daemon stopped while starting (exit " + process.exitValue() + "): "
                        + lastError());
            }
            Thread.sleep(100);
        }
        process.destroy();
        throw new CliFailure("the sandbox was not ready after " + timeout.toSeconds() + " s; see " + home.daemonLog());
    }

    /** The last line of the daemon log that says what went wrong. */
    String lastError() {
        try {
            List<String> lines = Files.readAllLines(home.daemonLog(), StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String line = lines.get(i);
                if (line.contains("swarmnet:") || line.contains("ERROR") || line.contains("Exception")) {
                    return line.replaceFirst("^.*?swarmnet: ", "");
                }
            }
            return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "(no log at " + home.daemonLog() + ")";
        }
    }

    /** SIGTERM, then SIGKILL if it has not exited within {@code grace}. Returns false when it had to be killed. */
    public boolean stop(ProcessHandle daemon, Duration grace) {
        daemon.destroy();
        try {
            daemon.onExit().get(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            daemon.destroyForcibly();
            try {
                daemon.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // reported by the caller through the leftovers it still finds
            }
            return false;
        }
    }
}

package io.swarmnet.sandbox;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where one sandbox keeps its state, and the prefix of every kernel object it names. Everything the
 * sandbox makes on disk lives under {@link #dir()} and every namespace or device name starts with
 * {@link #prefix()}, so {@code down} can find and remove all of it even after a crash.
 *
 * @param dir    state directory: pid file, kubeconfig, logs, task records
 * @param prefix short prefix (2-4 letters and digits) of namespaces and devices, the simulation harness's run prefix
 */
public record SandboxHome(Path dir, String prefix) {

    public static final String ENV_DIR = "SWARMNET_SANDBOX_DIR";
    public static final String ENV_PREFIX = "SWARMNET_SANDBOX_PREFIX";
    public static final Path DEFAULT_DIR = Path.of("/run/swarmnet-sandbox");
    public static final String DEFAULT_PREFIX = "swn";

    public SandboxHome {
        if (!prefix.matches("[a-z][a-z0-9]{1,3}")) {
            throw new IllegalArgumentException(ENV_PREFIX + "=" + prefix
                    + " is not a valid name prefix; use 2 to 4 lowercase letters or digits starting with a letter"
                    + " (the simulation harness's rule, so device names stay within 15 characters)");
        }
        dir = dir.toAbsolutePath().normalize();
    }

    /** The default home, or the one named by SWARMNET_SANDBOX_DIR / SWARMNET_SANDBOX_PREFIX (tests use their own). */
    public static SandboxHome fromEnvironment(Map<String, String> env) {
        String dir = env.getOrDefault(ENV_DIR, "");
        String prefix = env.getOrDefault(ENV_PREFIX, "");
        return new SandboxHome(dir.isBlank() ? DEFAULT_DIR : Path.of(dir), prefix.isBlank() ? DEFAULT_PREFIX : prefix);
    }

    public Path pidFile() {
        return dir.resolve("daemon.pid");
    }

    /** Written by the daemon once the API, the operator and every node agent run; removed when it stops. */
    public Path readyFile() {
        return dir.resolve("ready");
    }

    public Path kubeconfig() {
        return dir.resolve("kubeconfig");
    }

    public Path daemonLog() {
        return dir.resolve("daemon.log");
    }

    /** One file per running task pod, for {@code sandbox exec}. */
    public Path tasksDir() {
        return dir.resolve("tasks");
    }

    /** Standard output and error of every container, one file per container. */
    public Path containerLogsDir() {
        return dir.resolve("containers");
    }
}

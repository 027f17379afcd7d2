package io.swarmnet.agent.netns;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs code inside another network namespace. A socket lives in the namespace of the thread that
 * created it, for its whole life: so we create it on a throw-away thread that entered the pod's
 * namespace with setns(2), and hand the open channel back. The thread then ends; it never returns
 * to ordinary work in the wrong namespace. The same holds for TUN devices: one is created in the namespace
 * of the thread that opens /dev/net/tun.
 */
public final class NetworkNamespace {

    private NetworkNamespace() {
    }

    /** Runs {@code work} inside the namespace at {@code path} if there is one, else here (the agent's own namespace). */
    public static <T> T call(java.util.Optional<Path> path, String threadName, Callable<T> work) throws IOException {
        if (path.isPresent()) {
            return callInside(path.get(), threadName, work);
        }
        try {
            return work.call();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Runs {@code work} on a new thread that has entered the network namespace at {@code path}. */
    public static <T> T callInside(Path path, String threadName, Callable<T> work) throws IOException {
        FutureTask<T> task = new FutureTask<>(() -> {
            int fd;
            try {
                fd = Libc.open(path.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
            } catch (LastErrorException e) {
                throw new IOException("cannot open network namespace " + path + " (errno " + e.getErrorCode() + ")");
            }
            try {
                Libc.setns(fd, Libc.CLONE_NEWNET);
            } catch (LastErrorException e) {
                throw new IOException("cannot enter network namespace " + path + " (errno " + e.getErrorCode() + ")");
            } finally {
                Libc.close(fd);
            }
            return work.call();
        });
        Thread thread = new Thread(task, threadName);
        thread.setDaemon(true);
        thread.start();
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while entering " + path, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("failed inside network namespace " + path + ": " + e.getCause(), e.getCause());
        }
    }
}

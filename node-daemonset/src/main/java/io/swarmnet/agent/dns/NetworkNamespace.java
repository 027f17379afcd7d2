package io.swarmnet.agent.dns;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs code inside another network namespace. A socket lives in the namespace of the thread that
 * created it, for its whole life: so we create it on a throw-away thread that entered the pod's
 * namespace with setns(2), and hand the open channel back. The thread then ends; it never returns
 * to ordinary work in the wrong namespace.
 */
final class NetworkNamespace {

    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;

    private interface LibC extends Library {
        int open(String path, int flags);

        int setns(int fd, int nstype);

        int close(int fd);
    }

    private static final LibC LIBC = Native.load("c", LibC.class);

    private NetworkNamespace() {
    }

    /** Runs {@code work} on a new thread that has entered the network namespace at {@code path}. */
    static <T> T callInside(Path path, String threadName, Callable<T> work) throws IOException {
        FutureTask<T> task = new FutureTask<>(() -> {
            int fd = LIBC.open(path.toString(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                throw new IOException("cannot open network namespace " + path + " (errno " + Native.getLastError() + ")");
            }
            try {
                if (LIBC.setns(fd, CLONE_NEWNET) != 0) {
                    throw new IOException("cannot enter network namespace " + path + " (errno " + Native.getLastError() + ")");
                }
            } finally {
                LIBC.close(fd);
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

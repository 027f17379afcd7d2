package io.swarmnet.agent.datapath;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.swarmnet.agent.netns.Libc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One network namespace's nftables session: a thread that entered the namespace with setns(2) once and stays there,
 * owning one libnftables context (whose netlink sockets belong to that namespace for their whole life) and one
 * netfilter socket it opened there. Commands for libnftables are queued to the thread and run one at a time; a
 * netlink batch is sent on the socket by the caller's own thread ({@link #send}), since a socket stays in the
 * namespace it was opened in whoever uses it.
 *
 * <p>The thread and the context keep the namespace alive, so the session ends by itself when the path it was opened
 * by no longer names that namespace (the pod's sandbox is gone), when it has been idle for a while, or when closed.
 */
final class NftSession {

    /**
     * What one command gave, as {@code nft} would have: its exit code, output and error text; and the ruleset generation
     * its commit reached (a netlink batch's, when the kernel echoed it) or that was asked for ({@link #generation}),
     * else {@link NftGeneration#UNKNOWN}.
     */
    record Outcome(int exitCode, String stdout, String stderr, NftGeneration generation) {
        Outcome(int exitCode, String stdout, String stderr) {
            this(exitCode, stdout, stderr, NftGeneration.UNKNOWN);
        }
    }

    /** A command as text for libnftables. */
    private record Job(String text, boolean asFile, int outputFlags, CompletableFuture<Outcome> result) {
    }

    private static final Job STOP = new Job("", false, 0, null);
    private static final Path OWN_NAMESPACE = Path.of("/proc/thread-self/ns/net");
    // what `nft -f -` calls its input in error messages; a session's input is its memfd instead
    private static final String STDIN_NAME = "/dev/stdin";

    private final Optional<Path> path;
    private final Duration idleAfter;
    private final Duration checkEvery;
    private final Consumer<NftSession> onEnd;
    private final LinkedBlockingQueue<Job> jobs = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> entered = new CompletableFuture<>();
    private final Thread thread;
    private boolean ending; // guarded by this: no job is accepted once set
    // the session's netfilter socket, opened by its thread and so in its namespace; used by senders on their own thread
    private final Object socketLock = new Object();
    private int netlink = -1; // guarded by socketLock
    private boolean socketClosed; // guarded by socketLock: set when the session ends
    private volatile long lastUse = System.nanoTime();
    private volatile Map<String, Object> identity = Map.of();

    /**
     * @param path where the namespace is opened; empty for the agent's own namespace
     * @param onEnd told once, from the session's thread, after the session has released everything
     */
    NftSession(String name, Optional<Path> path, Duration idleAfter, Duration checkEvery, Consumer<NftSession> onEnd) {
        this.path = path;
        this.idleAfter = idleAfter;
        this.checkEvery = checkEvery;
        this.onEnd = onEnd;
        this.thread = new Thread(this::serve, "nft-session " + name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Waits until the thread is inside the namespace with its context; the IOException says why it could not get there. */
    void awaitEntered(Duration timeout) throws IOException, InterruptedException, TimeoutException {
        try {
            entered.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * Queues one command: {@code asFile} runs it as {@code nft -f -} would (one atomic transaction, errors naming
     * the line), otherwise as {@code nft WORDS} would. Empty when the session is ending: open a new one.
     */
    synchronized Optional<CompletableFuture<Outcome>> submit(String text, boolean asFile, int outputFlags) {
        if (ending) {
            return Optional.empty();
        }
        Job job = new Job(text, asFile, outputFlags, new CompletableFuture<>());
        jobs.add(job);
        return Optional.of(job.result());
    }

    /**
     * Sends a netlink batch on the session's netfilter socket from the calling thread: a socket stays in the namespace
     * it was opened in, so only opening it needed the session's thread, and a batch costs no hand-off to that thread.
     * Commands the caller queued before ran first (it waited for their outcome); those of other callers are not
     * ordered with it. Empty once the session has ended: open a new one. Call after {@link #awaitEntered}.
     */
    Optional<Outcome> send(NftNetlink.Batch batch) {
        synchronized (socketLock) {
            if (socketClosed) {
                return Optional.empty();
            }
            lastUse = System.nanoTime();
            return Optional.of(netlink < 0 ? new Outcome(1, "", "cannot open a netfilter netlink socket in " + where())
                    : NetfilterSocket.send(netlink, batch, where()));
        }
    }

    /**
     * Asks the kernel for the namespace's ruleset generation on the session's socket, from the calling thread (as
     * {@link #send}): one small message each way. Empty once the session has ended. Call after {@link #awaitEntered}.
     */
    Optional<Outcome> generation() {
        synchronized (socketLock) {
            if (socketClosed) {
                return Optional.empty();
            }
            lastUse = System.nanoTime();
            return Optional.of(netlink < 0 ? new Outcome(1, "", "cannot open a netfilter netlink socket in " + where())
                    : NetfilterSocket.generation(netlink, where()));
        }
    }

    /** True while the path the session was opened by still names the namespace the session is in. */
    boolean stillNamesItsNamespace() {
        if (path.isEmpty()) {
            return true;
        }
        try {
            return identity.equals(identityOf(path.get()));
        } catch (IOException e) {
            return false;
        }
    }

    /** Accepts no more commands; those already queued still run, then the thread frees everything and ends. */
    void close() {
        synchronized (this) {
            if (ending) {
                return;
            }
            ending = true;
        }
        jobs.add(STOP);
    }

    /** {@link #close} and wait for the thread to end. */
    void closeAndWait(Duration timeout) throws InterruptedException {
        close();
        thread.join(Math.max(1, timeout.toMillis()));
    }

    private void serve() {
        Pointer ctx = null;
        int memfd = -1;
        try {
            if (path.isPresent()) {
                enter(path.get());
            }
            identity = identityOf(OWN_NAMESPACE);
            ctx = LibNftables.nft_ctx_new(0);
            if (ctx == null) {
                throw new IOException("libnftables could not create a context in " + where());
            }
            LibNftables.nft_ctx_buffer_output(ctx);
            LibNftables.nft_ctx_buffer_error(ctx);
            memfd = Libc.memfd_create("swarmnet-nft", Libc.MFD_CLOEXEC);
            openSocket();
            entered.complete(null);
            lastUse = System.nanoTime();
            while (true) {
                Job job = jobs.poll(checkEvery.toNanos(), TimeUnit.NANOSECONDS);
                if (job == STOP) {
                    break;
                }
                if (job != null) {
                    job.result().complete(runReporting(ctx, memfd, job));
                    lastUse = System.nanoTime();
                } else if (shouldEnd(System.nanoTime() - lastUse)) {
                    break;
                }
            }
        } catch (IOException e) {
            entered.completeExceptionally(e);
        } catch (LastErrorException e) {
            entered.completeExceptionally(new IOException("cannot make the nft session's command file in " + where()
                    + " (errno " + e.getErrorCode() + ")"));
        } catch (InterruptedException e) {
            entered.completeExceptionally(new IOException("interrupted while entering " + where()));
        } catch (RuntimeException | Error e) {
            entered.completeExceptionally(new IOException("the nft session in " + where() + " failed: " + e, e));
            throw e;
        } finally {
            synchronized (this) {
                ending = true;
            }
            if (ctx != null) {
                LibNftables.nft_ctx_free(ctx);
            }
            if (memfd >= 0) {
                Libc.close(memfd);
            }
            closeSocket();
            // only jobs queued before an entry failure, or a stray STOP, can be left
            for (Job job = jobs.poll(); job != null; job = jobs.poll()) {
                if (job.result() != null) {
                    job.result().complete(new Outcome(1, "", "the nft session in " + where() + " ended before running this"));
                }
            }
            onEnd.accept(this);
        }
    }

    private void openSocket() {
        synchronized (socketLock) {
            try {
                netlink = NetfilterSocket.open();
            } catch (LastErrorException e) {
                netlink = -1; // each batch then reports it; libnftables opens its own sockets
            }
        }
    }

    private void closeSocket() {
        synchronized (socketLock) {
            socketClosed = true;
            if (netlink >= 0) {
                Libc.close(netlink);
                netlink = -1;
            }
        }
    }

    private synchronized boolean shouldEnd(long idleNanos) {
        if (!jobs.isEmpty()) {
            return false;
        }
        if (ending || idleNanos > idleAfter.toNanos() || !stillNamesItsNamespace()) {
            ending = true;
            return true;
        }
        return false;
    }

    private Outcome runReporting(Pointer ctx, int memfd, Job job) {
        try {
            return run(ctx, memfd, job);
        } catch (LastErrorException e) {
            return new Outcome(1, "", "cannot write the nft session's command file in " + where() + " (errno " + e.getErrorCode() + ")");
        } catch (RuntimeException e) {
            // the caller gets an answer now rather than a timeout; the session stays usable
            return new Outcome(1, "", "the nft session in " + where() + " failed: " + e);
        }
    }

    private static Outcome run(Pointer ctx, int memfd, Job job) {
        if ((job.outputFlags() & LibNftables.OUTPUT_JSON) != 0) {
            // one JSON printer at a time in the whole process (LibNftables.JSON_OUTPUT)
            synchronized (LibNftables.JSON_OUTPUT) {
                return runCommand(ctx, memfd, job);
            }
        }
        return runCommand(ctx, memfd, job);
    }

    private static Outcome runCommand(Pointer ctx, int memfd, Job job) {
        LibNftables.nft_ctx_output_set_flags(ctx, job.outputFlags());
        int rc;
        String input = null;
        if (job.asFile()) {
            // from a file, not nft_run_cmd_from_buffer: libnftables 1.0.6 points every error of a buffer at its
            // first line, whereas a file's errors name the line that failed, as `nft -f -` users see them
            input = "/proc/self/fd/" + memfd;
            byte[] bytes = job.text().getBytes(StandardCharsets.UTF_8);
            Libc.ftruncate(memfd, 0);
            if (bytes.length > 0) {
                Memory buffer = new Memory(bytes.length);
                buffer.write(0, bytes, 0, bytes.length);
                Libc.pwrite(memfd, buffer, bytes.length, 0);
            }
            rc = LibNftables.nft_run_cmd_from_filename(ctx, input);
        } else {
            rc = LibNftables.nft_run_cmd_from_buffer(ctx, job.text());
        }
        String out = LibNftables.output(ctx);
        String err = LibNftables.errors(ctx);
        if (input != null) {
            err = err.replace(input + ":", STDIN_NAME + ":");
        }
        return new Outcome(rc == 0 ? 0 : 1, out, err);
    }

    private static void enter(Path namespace) throws IOException {
        int fd;
        try {
            fd = Libc.open(namespace.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("cannot open network namespace " + namespace + ": "
                    + (e.getErrorCode() == Libc.ENOENT ? "No such file or directory (is the pod's sandbox gone?)" : "errno " + e.getErrorCode()));
        }
        try {
            Libc.setns(fd, Libc.CLONE_NEWNET);
        } catch (LastErrorException e) {
            throw new IOException("cannot enter network namespace " + namespace + " (errno " + e.getErrorCode() + ")");
        } finally {
            Libc.close(fd);
        }
    }

    private static Map<String, Object> identityOf(Path namespace) throws IOException {
        return Files.readAttributes(namespace, "unix:dev,ino");
    }

    private String where() {
        return path.map(p -> "network namespace " + p).orElse("the agent's network namespace");
    }

    /** The session's thread, for tests that check it ends. */
    Thread thread() {
        return thread;
    }
}

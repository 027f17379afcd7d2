package io.swarmnet.agent.datapath;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The open {@link NftSession}s, one per network namespace: opened on first use, ended by themselves when their
 * namespace goes or they idle, all closed with {@link #close}. A command costs a queue hand-off and libnftables'
 * own work, a netlink batch a system call on the caller's thread, where starting {@code nsenter … nft -f -} cost
 * milliseconds of process start per namespace per change.
 */
final class NftSessions implements AutoCloseable {

    /** How long an unused session stays open (its thread, context and command file). */
    static final Duration IDLE_AFTER = Duration.ofSeconds(60);
    /** How often an idle session checks that its namespace is still there: the longest it keeps a deleted one alive. */
    static final Duration CHECK_EVERY = Duration.ofMillis(500);

    private static final String OWN_NAMESPACE = "the agent's network namespace";
    // a namespace that vanishes and reappears under the same path between two checks costs a new session per try
    private static final int TRIES = 3;

    private final Duration idleAfter;
    private final Duration checkEvery;
    private final ConcurrentHashMap<Object, NftSession> open = new ConcurrentHashMap<>();

    NftSessions() {
        this(IDLE_AFTER, CHECK_EVERY);
    }

    NftSessions(Duration idleAfter, Duration checkEvery) {
        this.idleAfter = idleAfter;
        this.checkEvery = checkEvery;
    }

    /**
     * Runs {@code text} in {@code namespace}'s session and waits at most {@code timeout}: as a file ({@code nft -f -})
     * or as command words ({@code nft WORDS}), with libnftables' output flags ({@link LibNftables#OUTPUT_JSON}).
     * A timeout gives exit code 124 and abandons the session (its thread ends when libnftables returns).
     */
    NftSession.Outcome run(NetNamespace namespace, String text, boolean asFile, int outputFlags, Duration timeout) {
        return run(namespace, session -> session.submit(text, asFile, outputFlags), timeout);
    }

    /**
     * Sends a netlink batch on {@code namespace}'s session's socket from the calling thread ({@link NftSession#send}),
     * opening the session first if need be, waiting at most {@code timeout} for that.
     */
    NftSession.Outcome send(NetNamespace namespace, NftNetlink.Batch batch, Duration timeout) {
        return run(namespace, session -> session.send(batch).map(CompletableFuture::completedFuture), timeout);
    }

    /**
     * {@code namespace}'s ruleset generation, asked for on its session's socket from the calling thread
     * ({@link NftSession#generation}), opening the session first if need be; unknown when it cannot be had.
     */
    NftGeneration generation(NetNamespace namespace, Duration timeout) {
        return run(namespace, session -> session.generation().map(CompletableFuture::completedFuture), timeout).generation();
    }

    private NftSession.Outcome run(NetNamespace namespace,
            java.util.function.Function<NftSession, Optional<CompletableFuture<NftSession.Outcome>>> submit, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Optional<Path> path = namespace.enterPath();
        Object key = path.<Object>map(p -> p).orElse(OWN_NAMESPACE);
        for (int attempt = 0; attempt < TRIES; attempt++) {
            NftSession session = open.computeIfAbsent(key, k -> {
                NftSession created = new NftSession(namespace.toString(), path, idleAfter, checkEvery, ended -> open.remove(k, ended));
                created.start();
                return created;
            });
            try {
                session.awaitEntered(remaining(deadline));
                if (!session.stillNamesItsNamespace()) {
                    // the path now names another namespace, or none: the next session enters (or fails to) afresh
                    forget(key, session);
                    continue;
                }
                Optional<CompletableFuture<NftSession.Outcome>> result = submit.apply(session);
                if (result.isEmpty()) {
                    forget(key, session);
                    continue;
                }
                return result.get().get(remaining(deadline).toNanos(), TimeUnit.NANOSECONDS);
            } catch (IOException e) {
                open.remove(key, session);
                return new NftSession.Outcome(1, "", e.getMessage());
            } catch (TimeoutException e) {
                forget(key, session);
                return new NftSession.Outcome(124, "", "timed out after " + timeout.toSeconds() + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new NftSession.Outcome(130, "", "interrupted");
            } catch (ExecutionException e) {
                return new NftSession.Outcome(1, "", "the nft session in " + namespace + " failed: " + e.getCause());
            }
        }
        return new NftSession.Outcome(1, "", "network namespace " + path.map(Path::toString).orElse(OWN_NAMESPACE)
                + " kept changing while an nft session entered it; the agent retries");
    }

    /** The sessions open now, for tests. */
    List<NftSession> sessions() {
        return List.copyOf(open.values());
    }

    /** Ends every session and waits for their threads. */
    @Override
    public void close() {
        for (NftSession session : List.copyOf(open.values())) {
            try {
                session.closeAndWait(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void forget(Object key, NftSession session) {
        open.remove(key, session);
        session.close();
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }
}

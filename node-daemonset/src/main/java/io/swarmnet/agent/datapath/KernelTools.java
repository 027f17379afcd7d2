package io.swarmnet.agent.datapath;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs iproute2 and nftables inside a network namespace. Every call is bounded in time: a tool that hangs is
 * killed and reported as failed rather than stalling the agent.
 *
 * <p>nftables is not started as a program when libnftables can be loaded: each namespace gets an {@link NftSession}
 * (a thread inside it with one libnftables context) and {@link #nft} and {@code nft} reads run there, giving the
 * same exit code, output and error text {@code nft} would. Close the tools to end those sessions.
 */
public final class KernelTools implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KernelTools.class);
    // a backend change is a few lines; longer transactions (a new pod's table) are libnftables' to run
    private static final int NETLINK_LINES = 64;

    private final Duration timeout;
    private final boolean onlyListedPrograms;
    // null when libnftables cannot be loaded: nft is then started for every command
    private final NftSessions sessions;

    private KernelTools(Duration timeout, boolean onlyListedPrograms) {
        this.timeout = timeout;
        this.onlyListedPrograms = onlyListedPrograms;
        this.sessions = LibNftables.available() ? new NftSessions() : null;
    }

    /** Any program: for tests and the simulation, which also run tcpdump, dig, ss and the like. */
    public KernelTools(Duration timeout) {
        this(timeout, false);
    }

    public KernelTools() {
        this(Duration.ofSeconds(30));
    }

    /** The agent's: it starts only the {@link #PROGRAMS} its image is checked to hold. */
    public static KernelTools forAgent(Duration timeout) {
        return new KernelTools(timeout, true);
    }

    /** The outcome of one tool run. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        public String describe() {
            String err = stderr.isBlank() ? stdout : stderr;
            return String.join(" ", command) + " exited with " + exitCode + ": " + err.strip();
        }
    }

    /** {@code ip -force -batch -}: every line runs, failures are reported as "Command failed -:N" on stderr. */
    public Result ipBatch(NetNamespace ns, List<String> lines) {
        return run(ns.wrap(List.of("ip", "-force", "-batch", "-")), String.join("\n", lines) + "\n");
    }

    /** {@code bridge -force -batch -}: FDB entries, which {@code ip -batch} cannot express. */
    public Result bridgeBatch(NetNamespace ns, List<String> lines) {
        return run(ns.wrap(List.of("bridge", "-force", "-batch", "-")), String.join("\n", lines) + "\n");
    }

    /**
     * {@code sysctl -e -q -w NAME=VALUE…} inside {@code ns}: a network namespace's own settings (/proc/sys/net shows the
     * namespace of whoever opens it). {@code -e}: a setting the kernel does not have (a module not loaded) is passed over,
     * not an error.
     */
    public Result sysctl(NetNamespace ns, List<String> assignments) {
        List<String> command = new java.util.ArrayList<>(List.of("sysctl", "-e", "-q", "-w"));
        command.addAll(assignments);
        return run(ns.wrap(command), null);
    }

    /**
     * {@code nft -f -}: one atomic transaction; a failing line leaves the ruleset unchanged, and the error names it
     * ({@code /dev/stdin:LINE:COLUMNS: Error: ...}). Runs in the namespace's session when there is libnftables, so
     * the result's command is then the one it stands for, not a process that ran.
     */
    public Result nft(NetNamespace ns, List<String> lines) {
        return nftCommit(ns, lines).result();
    }

    /**
     * What {@link #nft} did, and the ruleset generation its commit reached when the kernel said so: a netlink batch's
     * echo. A transaction libnftables runs (or a program) leaves it unknown.
     */
    record NftCommit(Result result, NftGeneration generation) {
    }

    /** {@link #nft}, with the generation its commit reached. */
    NftCommit nftCommit(NetNamespace ns, List<String> lines) {
        List<String> command = ns.wrap(List.of("nft", "-f", "-"));
        String text = String.join("\n", lines) + "\n";
        if (sessions == null) {
            return new NftCommit(run(command, text), NftGeneration.UNKNOWN);
        }
        Optional<NftNetlink.Batch> batch = batch(lines);
        if (batch.isPresent()) {
            NftSession.Outcome sent = sessions.send(ns, batch.get(), timeout);
            if (sent.exitCode() == 0) {
                netlinkBatches.incrementAndGet();
                return new NftCommit(sessionResult(command, sent), sent.generation());
            }
            // nothing of a refused batch was applied: libnftables runs the same lines and words its error as nft does
            LOG.debug("{}; running the transaction through libnftables", sent.stderr());
        }
        return new NftCommit(sessionResult(command, sessions.run(ns, text, true, 0, timeout)), NftGeneration.UNKNOWN);
    }

    /**
     * {@code ns}'s nf_tables ruleset generation (one netlink message each way on its nft session's socket); unknown
     * when nft runs as a program or the kernel did not answer.
     */
    public NftGeneration nftGeneration(NetNamespace ns) {
        return sessions == null ? NftGeneration.UNKNOWN : sessions.generation(ns, timeout);
    }

    /**
     * True when {@link #nft} sends {@code lines} to the kernel as one netlink batch from the calling thread: a system
     * call or two, no thread hand-off and no libnftables (whose transactions are worth running side by side).
     */
    public boolean nftSendsAsOneBatch(List<String> lines) {
        return sessions != null && batch(lines).isPresent();
    }

    /** Lines and their batch: a backend change sends the same lines to every pod, translated once. */
    private record Translation(List<String> lines, Optional<NftNetlink.Batch> batch) {
    }

    private volatile Translation lastTranslation;

    private Optional<NftNetlink.Batch> batch(List<String> lines) {
        Translation last = lastTranslation;
        if (last != null && last.lines().equals(lines)) {
            return last.batch();
        }
        Optional<NftNetlink.Batch> batch = lines.size() <= NETLINK_LINES ? NftNetlink.batch(lines, 1) : Optional.empty();
        lastTranslation = new Translation(List.copyOf(lines), batch);
        return batch;
    }

    /** {@link #nft} as libnftables runs it, never as a netlink batch (for tests comparing the two). */
    Result nftThroughLibnftables(NetNamespace ns, List<String> lines) {
        List<String> command = ns.wrap(List.of("nft", "-f", "-"));
        String text = String.join("\n", lines) + "\n";
        return sessions == null ? run(command, text) : sessionResult(command, sessions.run(ns, text, true, 0, timeout));
    }

    /**
     * Runs a read-only command ({@code ip -j ...}, {@code nft -j list ...}) in a namespace; {@code nft} with no
     * option but {@code -j} runs in the namespace's session, as {@link #nft} does.
     */
    public Result read(NetNamespace ns, List<String> command) {
        Optional<NftReading> reading = sessions == null ? Optional.empty() : NftReading.of(command);
        if (reading.isPresent()) {
            return sessionResult(ns.wrap(command), sessions.run(ns, reading.get().words(), false, reading.get().outputFlags(), timeout));
        }
        return run(ns.wrap(command), null);
    }

    /** {@code nft [-j] WORDS}: the words as one command line (as nft joins its arguments) and the output flags. */
    private record NftReading(String words, int outputFlags) {
        static Optional<NftReading> of(List<String> command) {
            if (command.size() < 2 || !command.get(0).equals("nft")) {
                return Optional.empty();
            }
            boolean json = command.get(1).equals("-j");
            List<String> words = command.subList(json ? 2 : 1, command.size());
            if (words.isEmpty() || words.stream().anyMatch(w -> w.startsWith("-"))) {
                return Optional.empty();
            }
            return Optional.of(new NftReading(String.join(" ", words), json ? LibNftables.OUTPUT_JSON : 0));
        }
    }

    private static Result sessionResult(List<String> command, NftSession.Outcome outcome) {
        return new Result(command, outcome.exitCode(), outcome.stdout(), outcome.stderr());
    }

    /** True when nft commands run in per-namespace sessions rather than as processes (libnftables loaded). */
    public boolean nftInSessions() {
        return sessions != null;
    }

    /** Ends the nft sessions these tools opened (they would otherwise end after idling). */
    @Override
    public void close() {
        if (sessions != null) {
            sessions.close();
        }
    }

    /** How many processes these tools have started (for tests and benchmarks: a backend change should start none). */
    public long processesStarted() {
        return processesStarted.get();
    }

    private final java.util.concurrent.atomic.AtomicLong processesStarted = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong netlinkBatches = new java.util.concurrent.atomic.AtomicLong();

    /** How many nft transactions went to the kernel as netlink batches, without libnftables (for tests and benchmarks). */
    public long netlinkBatches() {
        return netlinkBatches.get();
    }

    /** The nft sessions open now, for tests. */
    List<NftSession> nftSessions() {
        return sessions == null ? List.of() : sessions.sessions();
    }

    /**
     * Every program the agent starts, and so every program its image must hold (a test checks the image built
     * from the Dockerfile against this list). The agent's instance ({@link #forAgent}) starts nothing else.
     */
    public static final java.util.Set<String> PROGRAMS = java.util.Set.of("ip", "bridge", "nft", "sysctl", "nsenter");

    public Result run(List<String> command, String stdin) {
        java.util.Optional<String> unlisted = onlyListedPrograms
                ? programs(command).stream().filter(p -> !PROGRAMS.contains(p)).findFirst() : java.util.Optional.empty();
        if (unlisted.isPresent()) {
            return new Result(command, 127, "", "refusing to start " + unlisted.get() + ": it is not in KernelTools.PROGRAMS,"
                    + " the list of programs the agent's image is checked to hold; add it there and to the Dockerfile");
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        Process process;
        try {
            process = builder.start();
            processesStarted.incrementAndGet();
        } catch (IOException e) {
            return new Result(command, 127, "", "cannot start " + command.get(0) + ": " + e.getMessage()
                    + " (is iproute2/nftables installed and on PATH?)");
        }
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the tool exited early (e.g. cannot enter the namespace); its stderr says why
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return new Result(command, 124, out.getNow(""), "timed out after " + timeout.toSeconds() + " s");
            }
            return new Result(command, process.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(command, 130, "", "interrupted");
        }
    }

    /** The program a command starts and, through nsenter, the one nsenter then runs. */
    static List<String> programs(List<String> command) {
        if (command.isEmpty()) {
            return List.of();
        }
        String first = command.get(0);
        if (!first.equals("nsenter")) {
            return List.of(first);
        }
        return command.stream().skip(1).filter(a -> !a.startsWith("-")).findFirst()
                .map(inner -> List.of(first, inner)).orElse(List.of(first));
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                ByteArrayOutputStream buffer = new ByteArrayOutputStream();
                stream.transferTo(buffer);
                return buffer.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, DRAINERS);
    }

    // Output readers block on pipes; they must not share the common pool with CPU work.
    private static final java.util.concurrent.ExecutorService DRAINERS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "kernel-tool-output");
        t.setDaemon(true);
        return t;
    });
}

package io.swarmnet.agent.datapath;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs iproute2 and nftables inside a network namespace. Every call is bounded in time: a tool that hangs is
 * killed and reported as failed rather than stalling the agent.
 */
public final class KernelTools {

    private final Duration timeout;
    private final boolean onlyListedPrograms;

    private KernelTools(Duration timeout, boolean onlyListedPrograms) {
        this.timeout = timeout;
        this.onlyListedPrograms = onlyListedPrograms;
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

    /** {@code nft -f -}: one atomic transaction; a failing line leaves the ruleset unchanged. */
    public Result nft(NetNamespace ns, List<String> lines) {
        return run(ns.wrap(List.of("nft", "-f", "-")), String.join("\n", lines) + "\n");
    }

    /** Runs a read-only command ({@code ip -j ...}, {@code nft -j list ...}) in a namespace. */
    public Result read(NetNamespace ns, List<String> command) {
        return run(ns.wrap(command), null);
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

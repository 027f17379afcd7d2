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

    public KernelTools(Duration timeout) {
        this.timeout = timeout;
    }

    public KernelTools() {
        this(Duration.ofSeconds(30));
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

    public Result run(List<String> command, String stdin) {
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

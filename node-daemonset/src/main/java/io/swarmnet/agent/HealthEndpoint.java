package io.swarmnet.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * /healthz (liveness) and /readyz (readiness) over plain HTTP for the kubelet's probes, each answering 200 "ok"
 * or 503 with the reason; /metrics in the Prometheus text format.
 */
final class HealthEndpoint implements AutoCloseable {

    /** A check's verdict: null when healthy, otherwise why not. */
    interface Check extends Supplier<String> {
    }

    private final HttpServer server;
    private final ExecutorService executor;

    /** Binds {@code port} at once: the agent's start waits for a predecessor to release it first ({@link #awaitFree}). */
    HealthEndpoint(int port, String threadName, Check liveness, Check readiness, Supplier<String> metrics) {
        try {
            server = HttpServer.create(new InetSocketAddress(port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve /healthz on port " + port + " (SWARMNET_HTTP_PORT): " + e.getMessage(), e);
        }
        server.createContext("/healthz", exchange -> answer(exchange, liveness.get()));
        server.createContext("/readyz", exchange -> answer(exchange, readiness.get()));
        server.createContext("/metrics", exchange -> {
            byte[] body = metrics.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
    }

    /**
     * Waits until nothing listens on {@code port} any more, at most {@code bound}: on the host network the port is the
     * node's one agent, so a new agent whose pod replaces a running one (a rollout with surge) does nothing to the node
     * until the agent it replaces has stopped. Returns at once when the port is free or {@code port} is 0 or negative.
     */
    static void awaitFree(int port, Duration bound) {
        if (port <= 0) {
            return;
        }
        long deadline = System.nanoTime() + bound.toNanos();
        boolean said = false;
        while (true) {
            try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(new InetSocketAddress(port));
                return;
            } catch (BindException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("port " + port + " (SWARMNET_HTTP_PORT) is still in use after " + bound.toSeconds()
                            + " s: another agent, or another process, on this node holds it; stop it or choose another port");
                }
                if (!said) {
                    LoggerFactory.getLogger(HealthEndpoint.class).info("port {} is in use: waiting for the agent this one replaces "
                            + "to stop before touching the node (at most {} s)", port, bound.toSeconds());
                    said = true;
                }
                sleep(200);
            } catch (IOException e) {
                return; // not a port conflict: the endpoint's own bind reports it
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the health port", e);
        }
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void answer(HttpExchange exchange, String problem) throws IOException {
        byte[] body = (problem == null ? "ok\n" : problem + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(problem == null ? 200 : 503, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}

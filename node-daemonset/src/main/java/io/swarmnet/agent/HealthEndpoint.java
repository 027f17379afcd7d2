package io.swarmnet.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

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

package io.swarmnet.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The operator's HTTP endpoints: {@code /healthz} (liveness), {@code /readyz} (readiness) and
 * {@code /metrics} (Prometheus text format), all on one port.
 */
public final class StatusEndpoints implements AutoCloseable {

    private final HttpServer server;

    private StatusEndpoints(HttpServer server) {
        this.server = server;
    }

    /** Starts serving on {@code port} (0 picks a free one); {@code describe} goes into health answers for people reading them. */
    public static StatusEndpoints start(int port, BooleanSupplier live, BooleanSupplier ready, Supplier<String> describe,
                                        Supplier<String> metrics) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
        server.createContext("/healthz", exchange -> answer(exchange, live.getAsBoolean() ? 200 : 503,
                "text/plain", (live.getAsBoolean() ? "ok " : "unhealthy ") + describe.get() + "\n"));
        server.createContext("/readyz", exchange -> answer(exchange, ready.getAsBoolean() ? 200 : 503,
                "text/plain", (ready.getAsBoolean() ? "ready " : "not ready ") + describe.get() + "\n"));
        server.createContext("/metrics", exchange -> answer(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
        server.createContext("/", exchange -> answer(exchange, 404, "text/plain", "try /healthz, /readyz or /metrics\n"));
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "swarmnet-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        return new StatusEndpoints(server);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void answer(HttpExchange exchange, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(code, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

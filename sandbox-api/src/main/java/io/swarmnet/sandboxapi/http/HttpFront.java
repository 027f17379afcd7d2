package io.swarmnet.sandboxapi.http;

import io.swarmnet.sandboxapi.store.ObjectStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server (Vert.x): plain requests run on a worker thread through the {@link ApiRouter};
 * watches stream as chunked HTTP (kubectl) or over a WebSocket upgrade (fabric8 clients), both fed
 * by one {@link WatchStream}. fabric8's mock web server answers only complete responses, so it
 * cannot carry kubectl's streaming watches; this front can.
 */
public final class HttpFront implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpFront.class);
    /** Objects travel in one WebSocket frame each; large SwarmService statuses must fit. */
    private static final int MAX_FRAME = 64 * 1024 * 1024;

    private final Vertx vertx;
    private final HttpServer server;
    private final ApiRouter router;
    private final WatchStream watches;

    private HttpFront(Vertx vertx, HttpServer server, ApiRouter router, WatchStream watches) {
        this.vertx = vertx;
        this.server = server;
        this.router = router;
        this.watches = watches;
    }

    public static HttpFront start(String host, int port, ApiRouter router, WatchStream watches) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(8).setBlockedThreadCheckInterval(10).setBlockedThreadCheckIntervalUnit(TimeUnit.SECONDS));
        HttpServer server = vertx.createHttpServer(new HttpServerOptions()
                .setHost(host).setPort(port)
                .setMaxWebSocketFrameSize(MAX_FRAME).setMaxWebSocketMessageSize(MAX_FRAME)
                .setMaxInitialLineLength(64 * 1024).setMaxHeaderSize(64 * 1024)
                // HTTP/1.1 only, as kube-apiserver offers no HTTP/2 without TLS: the JDK client's h2c upgrade of a large
                // answer failed ("frame exceeds MAX_FRAME_SIZE") — see ClearTextHttp2Test
                .setHttp2ClearTextEnabled(false));
        HttpFront front = new HttpFront(vertx, server, router, watches);
        server.requestHandler(front::handle);
        await(server.listen(), "listen on " + host + ":" + port);
        return front;
    }

    public int port() {
        return server.actualPort();
    }

    private void handle(HttpServerRequest request) {
        if ("websocket".equalsIgnoreCase(request.getHeader("Upgrade"))) {
            handleUpgrade(request);
            return;
        }
        request.body()
                .compose(body -> vertx.executeBlocking(() -> router.route(apiRequest(request, body)), false))
                .onSuccess(outcome -> respond(request, outcome))
                .onFailure(failure -> {
                    LOG.warn("{} {} failed", request.method(), request.uri(), failure);
                    if (!request.response().headWritten()) {
                        request.response().setStatusCode(500).end(String.valueOf(failure));
                    }
                });
    }

    private void handleUpgrade(HttpServerRequest request) {
        // Routed on the event loop: toWebSocket() must be called before the handler returns.
        Outcome outcome = router.route(apiRequest(request, null));
        if (!(outcome instanceof WatchPlan plan)) {
            respond(request, outcome);
            return;
        }
        request.toWebSocket().onSuccess(socket -> streamOver(socket, plan))
                .onFailure(failure -> LOG.debug("WebSocket upgrade of {} failed", request.uri(), failure));
    }

    private void streamOver(ServerWebSocket socket, WatchPlan plan) {
        ObjectStore.Subscription subscription = watches.open(plan, new WatchStream.Channel() {
            @Override
            public void send(String event) {
                if (!socket.isClosed()) {
                    socket.writeTextMessage(event);
                }
            }

            @Override
            public void end() {
                if (!socket.isClosed()) {
                    socket.close();
                }
            }
        });
        socket.closeHandler(ignored -> subscription.close());
        socket.exceptionHandler(ignored -> subscription.close());
        closeAfter(plan, subscription, () -> socket.close());
    }

    private void respond(HttpServerRequest request, Outcome outcome) {
        HttpServerResponse response = request.response();
        if (outcome instanceof ApiResponse answer) {
            response.setStatusCode(answer.code()).putHeader("Content-Type", answer.contentType())
                    .putHeader("Cache-Control", "no-cache, private")
                    .end(Buffer.buffer(answer.body()));
            return;
        }
        WatchPlan plan = (WatchPlan) outcome;
        response.setStatusCode(200).setChunked(true)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-cache, private");
        response.writeHead();
        ObjectStore.Subscription subscription = watches.open(plan, new WatchStream.Channel() {
            @Override
            public void send(String event) {
                if (!response.ended() && !response.closed()) {
                    response.write(event + "\n");
                }
            }

            @Override
            public void end() {
                if (!response.ended() && !response.closed()) {
                    response.end();
                }
            }
        });
        response.closeHandler(ignored -> subscription.close());
        response.exceptionHandler(ignored -> subscription.close());
        closeAfter(plan, subscription, () -> {
            if (!response.ended() && !response.closed()) {
                response.end();
            }
        });
    }

    private void closeAfter(WatchPlan plan, ObjectStore.Subscription subscription, Runnable end) {
        if (plan.timeoutSeconds() > 0) {
            vertx.setTimer(TimeUnit.SECONDS.toMillis(plan.timeoutSeconds()), id -> {
                subscription.close();
                end.run();
            });
        }
    }

    private static ApiRequest apiRequest(HttpServerRequest request, Buffer body) {
        Map<String, String> query = new HashMap<>();
        request.params().forEach(entry -> query.putIfAbsent(entry.getKey(), entry.getValue()));
        return new ApiRequest(request.method().name(), request.path(), query, request.getHeader("Accept"),
                request.getHeader("Content-Type"), body == null ? new byte[0] : body.getBytes());
    }

    private static <T> T await(Future<T> future, String what) {
        CompletableFuture<T> result = new CompletableFuture<>();
        future.onComplete(outcome -> {
            if (outcome.succeeded()) {
                result.complete(outcome.result());
            } else {
                result.completeExceptionally(outcome.cause());
            }
        });
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("sandbox API could not " + what + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            await(server.close(), "close its HTTP server");
        } finally {
            await(vertx.close(), "stop Vert.x");
        }
    }
}

package io.swarmnet.system.k3s;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a Docker engine answers, asked the way the docker CLI would: the endpoint in DOCKER_HOST,
 * else the usual sockets, each sent {@code GET /_ping}. A docker CLI on PATH proves nothing (this
 * machine has one and no engine), so only an engine's answer counts. Costs milliseconds when no
 * engine is there: a missing socket file fails at once and TCP endpoints get a short timeout.
 */
public final class DockerEngine {

    /** The outcome: where an engine answered, or every place that was tried and why it failed. */
    public record Probe(boolean reachable, String endpoint, List<String> attempts) {
        public String skipMessage() {
            return "no Docker engine is reachable (" + String.join("; ", attempts)
                    + "); the k3s suite needs one to build the image and run k3s nodes. "
                    + "A docker CLI alone is not enough: start dockerd or point DOCKER_HOST at an engine.";
        }
    }

    private static final int TCP_TIMEOUT_MILLIS = 1500;

    private DockerEngine() {
    }

    public static Probe probe() {
        return probe(defaultEndpoints());
    }

    /** The endpoints the docker CLI and Testcontainers would use, in their order. */
    static List<String> defaultEndpoints() {
        List<String> endpoints = new ArrayList<>();
        String dockerHost = System.getenv("DOCKER_HOST");
        if (dockerHost != null && !dockerHost.isBlank()) {
            endpoints.add(dockerHost.trim());
        } else {
            endpoints.add("unix:///var/run/docker.sock");
            String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
            if (runtimeDir != null && !runtimeDir.isBlank()) {
                endpoints.add("unix://" + runtimeDir + "/docker.sock"); // rootless dockerd
            }
            endpoints.add("unix://" + System.getProperty("user.home") + "/.docker/run/docker.sock"); // Docker Desktop
        }
        return endpoints;
    }

    static Probe probe(List<String> endpoints) {
        List<String> attempts = new ArrayList<>();
        for (String endpoint : endpoints) {
            String failure = ping(endpoint);
            if (failure == null) {
                attempts.add(endpoint + ": answered");
                return new Probe(true, endpoint, attempts);
            }
            attempts.add(endpoint + ": " + failure);
        }
        return new Probe(false, null, attempts);
    }

    /** null when the engine answered /_ping with 200, else why not. */
    private static String ping(String endpoint) {
        URI uri = URI.create(endpoint);
        try {
            if ("unix".equals(uri.getScheme())) {
                Path socket = Path.of(uri.getPath());
                if (!Files.exists(socket)) {
                    return "socket file does not exist";
                }
                try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    channel.connect(UnixDomainSocketAddress.of(socket));
                    return exchange(channel);
                }
            }
            if ("tcp".equals(uri.getScheme())) {
                try (java.net.Socket s = new java.net.Socket()) {
                    s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), TCP_TIMEOUT_MILLIS);
                    s.setSoTimeout(TCP_TIMEOUT_MILLIS);
                    if ("1".equals(System.getenv("DOCKER_TLS_VERIFY"))) {
                        return null; // a TLS endpoint that accepts connections; the client will do the handshake
                    }
                    s.getOutputStream().write(request());
                    byte[] answer = s.getInputStream().readNBytes(64);
                    return verdict(new String(answer, StandardCharsets.US_ASCII));
                }
            }
            return "unsupported scheme " + uri.getScheme();
        } catch (IOException | RuntimeException e) {
            return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
        }
    }

    private static String exchange(SocketChannel channel) throws IOException {
        channel.write(ByteBuffer.wrap(request()));
        ByteBuffer answer = ByteBuffer.allocate(64);
        while (answer.hasRemaining() && channel.read(answer) >= 0) {
            if (answer.position() >= 12) {
                break;
            }
        }
        return verdict(new String(answer.array(), 0, answer.position(), StandardCharsets.US_ASCII));
    }

    private static byte[] request() {
        return "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    }

    private static String verdict(String statusLine) {
        return statusLine.startsWith("HTTP/1.1 200") || statusLine.startsWith("HTTP/1.0 200")
                ? null : "answered something other than an engine's ping: " + statusLine.lines().findFirst().orElse("(nothing)");
    }
}

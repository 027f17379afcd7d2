package io.swarmnet.system.k3s;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The skip decision of the k3s suite: only an engine's answer to /_ping counts, a CLI or a dead socket does not. */
class DockerEngineTest {

    @TempDir
    Path dir;

    /** A socket that answers one request with the given bytes, as an engine (or an impostor) would. */
    private Thread answerOnce(Path socket, String reply) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread thread = new Thread(() -> {
            try (server; SocketChannel client = server.accept()) {
                client.read(ByteBuffer.allocate(512));
                client.write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.US_ASCII)));
            } catch (IOException ignored) {
                // the probe closed first; the test's assertion says what happened
            }
        });
        thread.start();
        return thread;
    }

    @Test
    void anEngineAnsweringPingIsReachable() throws Exception {
        Path socket = dir.resolve("engine.sock");
        Thread engine = answerOnce(socket, "HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Length: 2\r\n\r\nOK");
        DockerEngine.Probe probe = DockerEngine.probe(List.of("unix://" + dir.resolve("missing.sock"), "unix://" + socket));
        engine.join(5_000);
        assertThat(probe.reachable()).isTrue();
        assertThat(probe.endpoint()).isEqualTo("unix://" + socket);
    }

    @Test
    void aMissingSocketOrADeadOneOrAnImpostorIsNoEngineAndTheMessageSaysSo() throws Exception {
        Path dead = dir.resolve("dead.sock");
        Files.createFile(dead); // a socket file left behind by a stopped engine: nothing listens
        Path impostor = dir.resolve("impostor.sock");
        Thread other = answerOnce(impostor, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        DockerEngine.Probe probe = DockerEngine.probe(List.of(
                "unix://" + dir.resolve("missing.sock"), "unix://" + dead, "unix://" + impostor));
        other.join(5_000);
        assertThat(probe.reachable()).isFalse();
        assertThat(probe.attempts()).hasSize(3);
        assertThat(probe.skipMessage()).startsWith("no Docker engine is reachable")
                .contains("missing.sock: socket file does not exist", "dead.sock: ", "impostor.sock: answered something other");
    }
}

package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Many datagrams per system call on a real loopback socket: read together, answered together, none lost. */
class DatagramBatchTest {

    private UdpSocket server;
    private DatagramChannel client;

    @BeforeEach
    void open() throws IOException {
        server = UdpSocket.bind((Inet4Address) InetAddress.getByName("127.0.0.1"), 0);
        client = DatagramChannel.open();
        client.bind(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void close() throws IOException {
        server.close();
        client.close();
    }

    @Test
    void readsAFullBatchInOneCallAndAnswersEveryDatagramInOne() throws Exception {
        List<String> sent = send(DatagramBatch.CAPACITY + 3, "query-");
        DatagramBatch batch = new DatagramBatch();

        assertThat(batch.receive(server.fd())).isEqualTo(DatagramBatch.CAPACITY);
        for (int slot = 0; slot < batch.count(); slot++) {
            echo(batch, slot);
        }
        assertThat(batch.flush(server.fd())).isEqualTo(DatagramBatch.CAPACITY);
        assertThat(batch.receive(server.fd())).as("the datagrams beyond one batch wait for the next").isEqualTo(3);
        for (int slot = 0; slot < batch.count(); slot++) {
            echo(batch, slot);
        }
        assertThat(batch.flush(server.fd())).isEqualTo(3);
        assertThat(batch.receive(server.fd())).isZero();

        assertThat(receiveAll(sent.size())).containsExactlyElementsOf(sent.stream().map(s -> "answer to " + s).toList());
    }

    @Test
    void aReplyTheKernelRefusesIsSkippedAndTheRestOfTheBatchStillGoes() throws Exception {
        List<String> sent = send(6, "query-");
        DatagramBatch batch = new DatagramBatch();
        assertThat(batch.receive(server.fd())).isEqualTo(6);
        for (int slot = 0; slot < batch.count(); slot++) {
            echo(batch, slot);
        }
        // a destination port of 0 the kernel refuses (EINVAL): sendmmsg stops short after two, with four to go
        batch.sender(2, UdpSocket.sockaddr(new byte[] {127, 0, 0, 1}, 0));

        assertThat(batch.flush(server.fd())).isEqualTo(5);
        assertThat(batch.dropped()).isEqualTo(1);
        List<String> expected = new ArrayList<>(sent.stream().map(s -> "answer to " + s).toList());
        expected.remove(2);
        assertThat(receiveAll(5)).containsExactlyElementsOf(expected);
    }

    @Test
    void aDatagramWhoseAnswerFailsDoesNotCostTheOthersOfItsBatchTheirAnswers() throws Exception {
        List<String> sent = send(10, "query-");
        client.send(ByteBuffer.wrap("malformed".getBytes(StandardCharsets.US_ASCII)), new InetSocketAddress("127.0.0.1", server.port()));
        sent.addAll(send(10, "later-"));
        try (DatagramLoop loop = new DatagramLoop("test-dns-udp")) {
            // the 21 datagrams already wait: the loop's first read takes them all in one batch
            loop.add(server, (batch, slot) -> {
                int length = batch.read(slot);
                if (new String(batch.query, 0, length, StandardCharsets.US_ASCII).equals("malformed")) {
                    throw new IllegalArgumentException("no answer to that");
                }
                echo(batch, slot);
            });
            assertThat(receiveAll(sent.size())).containsExactlyElementsOf(sent.stream().map(s -> "answer to " + s).toList());
            assertThat(receiveAll(1, 300)).as("nothing for the malformed one").isEmpty();
            loop.remove(server).get(2, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSocketRemovedFromItsLoopIsClosedAndItsPortFree() throws Exception {
        int port = server.port();
        try (DatagramLoop loop = new DatagramLoop("test-dns-udp")) {
            loop.add(server, DatagramBatchTest::echo);
            loop.remove(server).get(2, TimeUnit.SECONDS);
        }
        try (DatagramChannel again = DatagramChannel.open()) {
            again.bind(new InetSocketAddress("127.0.0.1", port));
        }
    }

    private static void echo(DatagramBatch batch, int slot) {
        int length = batch.read(slot);
        byte[] answer = ("answer to " + new String(batch.query, 0, length, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);
        batch.reply(slot, answer, answer.length);
    }

    private List<String> send(int count, String prefix) throws IOException {
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String text = prefix + i;
            client.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), new InetSocketAddress("127.0.0.1", server.port()));
            sent.add(text);
        }
        return sent;
    }

    /** Up to {@code count} datagrams, each within 2 s of the one before. */
    private List<String> receiveAll(int count) throws IOException {
        return receiveAll(count, 2_000);
    }

    private List<String> receiveAll(int count, int timeoutMillis) throws IOException {
        List<String> received = new ArrayList<>();
        java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[1024], 1024);
        client.socket().setSoTimeout(timeoutMillis);
        while (received.size() < count) {
            try {
                client.socket().receive(packet);
            } catch (SocketTimeoutException e) {
                break;
            }
            received.add(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII));
        }
        return received;
    }
}

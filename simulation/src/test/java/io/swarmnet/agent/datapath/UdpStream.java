package io.swarmnet.agent.datapath;

import io.swarmnet.agent.netns.NetworkNamespace;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A client's datagram stream from one socket (so one source port, one conntrack entry) to a VIP: datagram N every
 * {@code interval}, for at most {@code limit}, answered by a {@link NamedEcho}. Records who answered each datagram.
 */
final class UdpStream implements AutoCloseable {

    /** The answer to datagram {@code sequence}, sent at {@code sentNanos}, by {@code backend}, arriving at {@code arrivedNanos}. */
    record Answer(int sequence, String backend, long sentNanos, long arrivedNanos) {
    }

    private final DatagramSocket socket;
    private final Map<Integer, Long> sent = new ConcurrentHashMap<>();
    private final List<Answer> answers = new CopyOnWriteArrayList<>();
    private volatile boolean stopped;

    private UdpStream(DatagramSocket socket) {
        this.socket = socket;
    }

    static UdpStream start(Path namespace, String vip, int port, Duration interval, Duration limit) throws IOException {
        DatagramSocket socket = NetworkNamespace.callInside(namespace, "udp-stream", DatagramSocket::new);
        socket.connect(new InetSocketAddress(vip, port));
        socket.setSoTimeout(100);
        UdpStream stream = new UdpStream(socket);
        Thread receiver = new Thread(stream::receive, "udp-stream-receive");
        receiver.setDaemon(true);
        receiver.start();
        Thread sender = new Thread(() -> stream.send(interval, limit), "udp-stream-send");
        sender.setDaemon(true);
        sender.start();
        return stream;
    }

    private void send(Duration interval, Duration limit) {
        long end = System.nanoTime() + limit.toNanos();
        for (int sequence = 0; !stopped && System.nanoTime() < end; sequence++) {
            byte[] data = Integer.toString(sequence).getBytes(StandardCharsets.UTF_8);
            sent.put(sequence, System.nanoTime());
            try {
                socket.send(new DatagramPacket(data, data.length));
                Thread.sleep(interval.toMillis());
            } catch (IOException e) {
                // an ICMP error from an earlier datagram surfaces here; the stream goes on
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void receive() {
        byte[] buffer = new byte[512];
        while (!stopped) {
            DatagramPacket in = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(in);
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                if (socket.isClosed()) {
                    return;
                }
                continue;
            }
            long arrived = System.nanoTime();
            String[] parts = new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8).split(" ");
            int sequence = Integer.parseInt(parts[1]);
            answers.add(new Answer(sequence, parts[0], sent.getOrDefault(sequence, 0L), arrived));
        }
    }

    List<Answer> answers() {
        return new ArrayList<>(answers);
    }

    /** Waits until {@code count} datagrams were answered; false after {@code seconds}. */
    boolean awaitAnswers(int count, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (answers.size() < count && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        return answers.size() >= count;
    }

    @Override
    public void close() {
        stopped = true;
        socket.close();
    }
}

package io.swarmnet.agent.dns;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import io.swarmnet.agent.netns.Libc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread answering UDP queries on its share of the resolver's sockets: it waits on all of them at once (epoll),
 * reads what a ready socket holds a {@link DatagramBatch} at a time and sends the replies back in one call. The
 * sockets are its own: it adds them, and closes them, itself, so no descriptor is closed under a call using it.
 */
final class DatagramLoop implements AutoCloseable {

    /** Answers one datagram of a batch (or not: a query forwarded upstream is answered later, from elsewhere). */
    @FunctionalInterface
    interface Answerer {
        void answer(DatagramBatch batch, int slot);
    }

    private static final Logger LOG = LoggerFactory.getLogger(DatagramLoop.class);
    /** A socket that stays this busy yields to the others after this many full batches; epoll reports it again. */
    private static final int BATCHES_PER_TURN = 4;
    private static final int MAX_EVENTS = 64;
    /** struct epoll_event: packed on x86-64 (events, then data at offset 4), naturally aligned elsewhere. */
    private static final boolean PACKED_EVENTS = Platform.isIntel() && Platform.is64Bit();
    private static final int EVENT = PACKED_EVENTS ? 12 : 16;
    private static final int EVENT_DATA_AT = PACKED_EVENTS ? 4 : 8;

    private final int epoll;
    private final int wake;
    private final Memory one = new Memory(8);
    private final Memory drained = new Memory(8);
    private final Memory events = new Memory((long) MAX_EVENTS * EVENT);
    private final ByteBuffer eventView = events.getByteBuffer(0, events.size()).order(ByteOrder.nativeOrder());
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** The sockets served, by descriptor; this loop's thread only. */
    private final Map<Integer, Served> served = new HashMap<>();
    private final DatagramBatch batch = new DatagramBatch();
    private final Thread thread;
    private volatile boolean running = true;

    private record Served(UdpSocket socket, Answerer answerer) {
    }

    DatagramLoop(String name) throws IOException {
        try {
            epoll = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("cannot create an epoll instance for the resolver (errno " + e.getErrorCode() + ")", e);
        }
        try {
            wake = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
            watch(wake);
        } catch (LastErrorException e) {
            Libc.close(epoll);
            throw new IOException("cannot create the resolver's wake-up eventfd (errno " + e.getErrorCode() + ")", e);
        }
        one.setLong(0, 1);
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    private void watch(int fd) throws LastErrorException {
        Memory event = new Memory(EVENT);
        event.clear();
        event.setInt(0, Libc.EPOLLIN);
        event.setLong(EVENT_DATA_AT, fd);
        Libc.epoll_ctl(epoll, Libc.EPOLL_CTL_ADD, fd, event);
    }

    /** Serves {@code socket} from now on: each datagram it receives goes to {@code answerer}. */
    void add(UdpSocket socket, Answerer answerer) {
        submit(() -> {
            try {
                watch(socket.fd());
                served.put(socket.fd(), new Served(socket, answerer));
            } catch (LastErrorException e) {
                LOG.warn("cannot wait for DNS queries on a resolver socket (errno {}); closing it", e.getErrorCode());
                socket.close();
            }
        });
    }

    /** Stops serving {@code socket} and closes it; complete once it is closed (its port free unless shared). */
    CompletableFuture<Void> remove(UdpSocket socket) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        submit(() -> {
            // closing the descriptor takes it out of the epoll set too
            served.remove(socket.fd());
            socket.close();
            closed.complete(null);
        });
        return closed;
    }

    private void submit(Runnable task) {
        tasks.add(task);
        Libc.writeNoThrow(wake, one, 8);
    }

    private void run() {
        while (running) {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("DNS datagram loop task: {}", e.toString());
                }
            }
            int ready = Libc.epollWaitNoThrow(epoll, events, MAX_EVENTS, 100);
            for (int i = 0; i < ready; i++) {
                int fd = (int) eventView.getLong(i * EVENT + EVENT_DATA_AT);
                if (fd == wake) {
                    Libc.readNoThrow(wake, drained, 8);
                    continue;
                }
                Served socket = served.get(fd);
                if (socket != null) {
                    serve(socket);
                }
            }
        }
    }

    private void serve(Served socket) {
        int fd = socket.socket().fd();
        for (int turn = 0; turn < BATCHES_PER_TURN; turn++) {
            int count;
            try {
                count = batch.receive(fd);
            } catch (IOException e) {
                LOG.debug("DNS socket: {}", e.toString());
                return;
            }
            for (int slot = 0; slot < count; slot++) {
                try {
                    socket.answerer().answer(batch, slot);
                } catch (RuntimeException e) {
                    // one bad datagram must never cost the others of its batch their answers
                    LOG.warn("DNS query: {}", e.toString());
                }
            }
            batch.flush(fd);
            if (count < DatagramBatch.CAPACITY) {
                return;
            }
        }
    }

    /** Stops the thread and closes every socket it served, and those it was about to serve. */
    @Override
    public void close() {
        running = false;
        Libc.writeNoThrow(wake, one, 8);
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Runnable task;
        while ((task = tasks.poll()) != null) {
            task.run();
        }
        List.copyOf(served.values()).forEach(s -> s.socket().close());
        served.clear();
        Libc.close(wake);
        Libc.close(epoll);
    }
}

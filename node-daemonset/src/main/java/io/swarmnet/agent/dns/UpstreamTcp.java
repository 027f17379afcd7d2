package io.swarmnet.agent.dns;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queries sent to the upstream resolver over TCP (RFC 7766): those a client sent us over TCP, and those whose UDP
 * answer upstream truncated. Each query gets a connection of its own — connect, write the framed query, read the
 * framed answer, close — so a slow answer never holds up another, and every step is driven by the resolver's event
 * loop: no thread waits for a query. Bounded: at most {@code maxConnections} at once, each closed at its query's
 * deadline. Not thread-safe: only the event loop calls it.
 */
final class UpstreamTcp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamTcp.class);

    /** Where one query's outcome goes; exactly one of the two is called, once, on the event loop. */
    interface Answer {
        void received(byte[] reply);

        void failed();
    }

    private final Selector selector;
    private final InetSocketAddress upstream;
    private final int maxConnections;
    private final Set<Exchange> open = new HashSet<>();

    UpstreamTcp(Selector selector, InetSocketAddress upstream, int maxConnections) {
        this.selector = selector;
        this.upstream = upstream;
        this.maxConnections = maxConnections;
    }

    /**
     * Sends {@code query} (a whole DNS message) upstream; {@code answer} hears of the reply carrying the query's id,
     * or of a failure: connection limit reached, connection refused or broken, or {@code deadline} (a
     * {@link System#nanoTime()} value) passed.
     */
    void ask(byte[] query, long deadline, Answer answer) {
        if (open.size() >= maxConnections) {
            answer.failed();
            return;
        }
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            Exchange exchange = new Exchange(channel, query, deadline, answer);
            // a connect to a loopback upstream can complete at once; then there is nothing to wait for but writing
            boolean connected = channel.connect(upstream);
            exchange.key = channel.register(selector, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, exchange);
            open.add(exchange);
        } catch (IOException e) {
            LOG.debug("DNS over TCP to {}: {}", upstream, e.toString());
            closeQuietly(channel);
            answer.failed();
        }
    }

    int inFlight() {
        return open.size();
    }

    /** Fails every query whose deadline has passed. */
    void expire(long now) {
        for (Exchange exchange : List.copyOf(open)) {
            if (now - exchange.deadline > 0) {
                exchange.finish(null);
            }
        }
    }

    /** Drops every connection without answering: the resolver is shutting down. */
    @Override
    public void close() {
        open.forEach(exchange -> closeQuietly(exchange.channel));
        open.clear();
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing DNS over TCP connection: {}", e.toString());
        }
    }

    /** One query on its own connection; the selection key's attachment. */
    final class Exchange {
        private final SocketChannel channel;
        private final ByteBuffer query;
        private final int id;
        private final long deadline;
        private final Answer answer;
        private final ByteBuffer lengthPrefix = ByteBuffer.allocate(2);
        private ByteBuffer reply;
        private SelectionKey key;

        private Exchange(SocketChannel channel, byte[] message, long deadline, Answer answer) {
            this.channel = channel;
            this.query = ByteBuffer.allocate(2 + message.length);
            this.query.putShort((short) message.length).put(message).flip();
            this.id = ((message[0] & 0xFF) << 8) | (message[1] & 0xFF);
            this.deadline = deadline;
            this.answer = answer;
        }

        /** The selector says the connection is ready for its next step. */
        void ready() {
            try {
                if (!channel.isConnected() && !channel.finishConnect()) {
                    return;
                }
                if (query.hasRemaining()) {
                    channel.write(query);
                    key.interestOps(query.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
                    return;
                }
                read();
            } catch (IOException e) {
                LOG.debug("DNS over TCP to {}: {}", upstream, e.toString());
                finish(null);
            }
        }

        private void read() throws IOException {
            if (reply == null) {
                if (channel.read(lengthPrefix) < 0) {
                    throw new EOFException("upstream closed the connection before answering");
                }
                if (lengthPrefix.hasRemaining()) {
                    return;
                }
                reply = ByteBuffer.allocate(lengthPrefix.flip().getShort() & 0xFFFF);
            }
            if (channel.read(reply) < 0) {
                throw new EOFException("upstream closed the connection in the middle of an answer");
            }
            if (!reply.hasRemaining()) {
                byte[] bytes = reply.array();
                finish(answers(bytes) ? bytes : null);
            }
        }

        /** A response (QR set) to this query's id: anything else on the connection is not our answer. */
        private boolean answers(byte[] bytes) {
            return bytes.length >= 12 && (((bytes[0] & 0xFF) << 8) | (bytes[1] & 0xFF)) == id && (bytes[2] & 0x80) != 0;
        }

        /** {@code bytes} null: the query failed. */
        private void finish(byte[] bytes) {
            if (!open.remove(this)) {
                return;
            }
            closeQuietly(channel);
            if (bytes == null) {
                answer.failed();
            } else {
                answer.received(bytes);
            }
        }
    }
}

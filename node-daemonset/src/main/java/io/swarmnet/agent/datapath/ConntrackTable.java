package io.swarmnet.agent.datapath;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.swarmnet.agent.datapath.CtnetlinkMessages.Entry;
import io.swarmnet.agent.datapath.CtnetlinkMessages.Reply;
import io.swarmnet.agent.netns.Libc;
import io.swarmnet.agent.netns.NetworkNamespace;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The connection tracking tables of the pods' network namespaces, spoken to over ctnetlink: no {@code conntrack}
 * process per change, and no walk of the kernel's table per change either.
 *
 * <p>The kernel cannot delete by a filter on addresses (a flush takes only mark, status and zone), and a dump walks
 * the whole connection hash of the host — every namespace's buckets, about 9 ms here even when the pod has no
 * connection. So the first deletion in a namespace opens two netlink sockets there: one that listens to the
 * tracker's announcements of new and destroyed connections, one for requests. It then dumps the table once; from
 * there on it keeps the pod's connections from the announcements, reads the ones queued since the last deletion
 * when it is asked to delete, and deletes the matching entries one by one by their exact identity. Should the
 * listener's buffer overflow (a pod opening connections faster than backends change), the next deletion dumps the
 * table again. A namespace's sockets are closed when {@link #retain} no longer lists it (they would keep the
 * namespace alive), or when it is found to be another namespace than the one they were opened in.
 */
public final class ConntrackTable implements AutoCloseable {

    private static final int ENOENT = 2;
    private static final int ENOBUFS = 105;
    private static final int LISTENER_BUFFER = 4 << 20;
    private static final int RECEIVE_BUFFER = 64 * 1024;

    private final Duration timeout;
    private final Map<NetNamespace, Tracker> trackers = new ConcurrentHashMap<>();
    private final Set<NetNamespace> starting = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private final java.util.concurrent.ExecutorService starter = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "swarmnet-conntrack-follow");
        t.setDaemon(true);
        return t;
    });

    /** {@code timeout} bounds each wait for the kernel's answer. */
    public ConntrackTable(Duration timeout) {
        this.timeout = timeout;
    }

    /** Deletes, in {@code namespace}, the entries of every one of {@code flows}; returns how many it deleted. */
    public int delete(NetNamespace namespace, List<StaleVipFlows> flows) throws IOException {
        Tracker tracker = tracker(namespace);
        synchronized (tracker) {
            try {
                return tracker.delete(flows);
            } catch (IOException | RuntimeException e) {
                // start afresh next time: a dump tells the truth whatever went wrong
                trackers.remove(namespace, tracker);
                tracker.close();
                throw e;
            }
        }
    }

    /**
     * Starts following the connections of each of {@code namespaces} not followed yet, in the background: the one
     * dump each needs then happens when a pod arrives, not when its first backend leaves. A namespace that cannot
     * be followed now is tried again by its first deletion, which then reports why.
     */
    public void follow(Set<NetNamespace> namespaces) {
        for (NetNamespace namespace : namespaces) {
            if (!trackers.containsKey(namespace) && starting.add(namespace)) {
                starter.execute(() -> {
                    try {
                        Tracker tracker = tracker(namespace);
                        synchronized (tracker) {
                            tracker.catchUp();
                        }
                    } catch (IOException | RuntimeException e) {
                        Tracker failed = trackers.remove(namespace);
                        if (failed != null) {
                            failed.close();
                        }
                    } finally {
                        starting.remove(namespace);
                    }
                });
            }
        }
    }

    private Tracker tracker(NetNamespace namespace) throws IOException {
        if (closed) {
            throw new IOException("the connection tracking of " + namespace + " is no longer followed: the datapath closed");
        }
        Optional<Path> path = namespace.enterPath();
        long inode = inode(path);
        Tracker tracker = trackers.get(namespace);
        if (tracker != null && tracker.inode != inode) {
            // the path names another namespace now: the sockets belong to the old one
            trackers.remove(namespace, tracker);
            tracker.close();
            tracker = null;
        }
        if (tracker == null) {
            tracker = NetworkNamespace.call(path, "swarmnet-conntrack", () -> Tracker.open(namespace, inode, timeout));
            Tracker raced = trackers.putIfAbsent(namespace, tracker);
            if (raced != null) {
                tracker.close();
                tracker = raced;
            } else if (closed) {
                // closed meanwhile: nothing may keep the namespace alive
                trackers.remove(namespace, tracker);
                synchronized (tracker) {
                    tracker.close();
                }
                throw new IOException("the connection tracking of " + namespace + " is no longer followed: the datapath closed");
            }
        }
        return tracker;
    }

    /** Closes the sockets of every namespace not in {@code keep}. */
    public void retain(Set<NetNamespace> keep) {
        trackers.entrySet().removeIf(e -> {
            if (keep.contains(e.getKey())) {
                return false;
            }
            synchronized (e.getValue()) {
                e.getValue().close();
            }
            return true;
        });
    }

    /** How many times the table of {@code namespace} was dumped since its connections are followed (for tests). */
    int dumps(NetNamespace namespace) {
        Tracker tracker = trackers.get(namespace);
        return tracker == null ? 0 : tracker.dumps;
    }

    /**
     * True when the connections of {@code namespace} are followed and known: a deletion there reads what was announced
     * and deletes, without a dump of the kernel's table.
     */
    public boolean followed(NetNamespace namespace) {
        Tracker tracker = trackers.get(namespace);
        return tracker != null && tracker.current;
    }

    /** The namespaces whose connections are being followed (for tests). */
    Set<NetNamespace> followed() {
        return Set.copyOf(trackers.keySet());
    }

    @Override
    public void close() {
        closed = true;
        starter.shutdownNow();
        retain(Set.of());
    }

    private static long inode(Optional<Path> path) throws IOException {
        if (path.isEmpty()) {
            return 0;
        }
        try {
            return ((Number) Files.getAttribute(path.get(), "unix:ino")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            throw new IOException("cannot read network namespace " + path.get() + ": " + e.getMessage());
        }
    }

    /** One namespace's listener and request sockets, and the connections they know of. */
    private static final class Tracker {
        private final NetNamespace namespace;
        private final long inode;
        private final int listener;
        private final int requests;
        private final Memory buffer = new Memory(RECEIVE_BUFFER);
        private final Memory pollFd = new Memory(8);
        private final Map<ByteBuffer, Entry> connections = new HashMap<>();
        private volatile boolean current;
        private int sequence;
        private boolean closed;
        private int dumps;

        private Tracker(NetNamespace namespace, long inode, int listener, int requests) {
            this.namespace = namespace;
            this.inode = inode;
            this.listener = listener;
            this.requests = requests;
        }

        /** Opens both sockets on a thread inside the namespace (a socket stays in the namespace it was made in). */
        static Tracker open(NetNamespace namespace, long inode, Duration timeout) throws IOException {
            int listener;
            try {
                listener = NetfilterSocket.listen(CtnetlinkMessages.EVENT_GROUPS, LISTENER_BUFFER);
            } catch (LastErrorException e) {
                throw new IOException("cannot listen to the connection tracker of " + namespace + " (errno " + e.getErrorCode()
                        + "); is the nf_conntrack_netlink module loaded?");
            }
            int requests;
            try {
                requests = socket(namespace);
            } catch (IOException e) {
                Libc.close(listener);
                throw e;
            }
            try {
                Libc.setReceiveTimeout(requests, timeout);
            } catch (LastErrorException e) {
                Libc.close(listener);
                Libc.close(requests);
                throw new IOException("cannot set a receive timeout on a netfilter netlink socket in " + namespace + " (errno "
                        + e.getErrorCode() + ")");
            }
            return new Tracker(namespace, inode, listener, requests);
        }

        private static int socket(NetNamespace namespace) throws IOException {
            try {
                return NetfilterSocket.open();
            } catch (LastErrorException e) {
                throw new IOException("cannot open a netfilter netlink socket in " + namespace + " (errno " + e.getErrorCode() + ")");
            }
        }

        int delete(List<StaleVipFlows> flows) throws IOException {
            try {
                catchUp();
                List<Entry> stale = connections.values().stream()
                        .filter(e -> flows.stream().anyMatch(f -> f.matches(e.protocol(), e.originalDestination(), e.replySource())))
                        .toList();
                int deleted = 0;
                for (Entry entry : stale) {
                    send(CtnetlinkMessages.deleteRequest(++sequence, entry));
                    Reply answer = receive(requests);
                    if (answer.acknowledged()) {
                        deleted++;
                    } else if (answer.error() != ENOENT) { // ENOENT: the entry expired or its flow ended meanwhile
                        throw new IOException("deleting a connection tracking entry to " + entry.originalDestination() + " via "
                                + entry.replySource() + " in " + namespace + " failed (errno " + answer.error() + ")");
                    }
                    connections.remove(entry.key());
                }
                return deleted;
            } catch (LastErrorException e) {
                throw new IOException("netlink to the connection tracker of " + namespace + " failed (errno " + e.getErrorCode()
                        + (e.getErrorCode() == Libc.EAGAIN ? ": no answer in time" : "") + ")");
            }
        }

        /**
         * Brings the known connections up to now: the announcements queued since last time, or — the first time,
         * and after announcements were lost — a dump. A deletion runs after the VIP's rules changed, so every
         * connection still bound for a removed backend is older than that and in the dump; the listener joined
         * before it, so whatever the dump missed is announced later; an entry both dumped and announced is one key.
         */
        void catchUp() throws IOException {
            boolean complete = drainListener();
            if (!current || !complete) {
                drainListener(); // what a lost announcement left queued is older than the dump
                connections.clear();
                dump();
                current = true;
            }
        }

        /** Reads every queued announcement; false when some were lost (the buffer overflowed). */
        private boolean drainListener() throws IOException {
            while (true) {
                if (!NetfilterSocket.readable(listener, pollFd, 0)) {
                    return true;
                }
                long length;
                try {
                    length = Libc.read(listener, buffer, RECEIVE_BUFFER);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == ENOBUFS) {
                        return false;
                    }
                    throw e;
                }
                Reply news = parse(length);
                news.entries().forEach(e -> connections.put(e.key(), e));
                news.removed().forEach(e -> connections.remove(e.key()));
            }
        }

        private void dump() throws IOException {
            dumps++;
            send(CtnetlinkMessages.dumpRequest(++sequence));
            Reply reply;
            do {
                reply = receive(requests);
                if (reply.error() != 0) {
                    throw new IOException("listing the connection tracking table of " + namespace + " failed (errno " + reply.error()
                            + "); is the nf_conntrack_netlink module loaded?");
                }
                reply.entries().forEach(e -> connections.put(e.key(), e));
            } while (!reply.done());
        }

        private void send(byte[] message) {
            buffer.write(0, message, 0, message.length);
            Libc.write(requests, buffer, message.length);
        }

        private Reply receive(int fd) throws IOException {
            return parse(Libc.read(fd, buffer, RECEIVE_BUFFER));
        }

        private Reply parse(long length) throws IOException {
            try {
                return CtnetlinkMessages.read(buffer.getByteBuffer(0, length));
            } catch (IllegalArgumentException e) {
                throw new IOException("unreadable answer from the connection tracker of " + namespace + ": " + e.getMessage());
            }
        }

        void close() {
            if (!closed) {
                closed = true;
                Libc.close(listener);
                Libc.close(requests);
            }
        }
    }
}

package io.swarmnet.agent.datapath;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.swarmnet.agent.datapath.CtnetlinkMessages.Entry;
import io.swarmnet.agent.datapath.CtnetlinkMessages.Reply;
import io.swarmnet.agent.netns.Libc;
import io.swarmnet.agent.netns.NetworkNamespace;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The connection tracking table of one network namespace, spoken to over ctnetlink from a thread that entered the
 * namespace: no {@code conntrack} process per change. The kernel cannot delete by a filter on addresses (a flush takes
 * only mark, status and zone), so this dumps the IPv4 table, as conntrack(8) does, and deletes the matching entries
 * one by one. A pod's table is small: the connections its own processes made or received.
 */
public final class ConntrackTable {

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int NETLINK_NETFILTER = 12;
    private static final int ENOENT = 2;
    private static final int RECEIVE_BUFFER = 64 * 1024;

    private final Duration timeout;

    /** {@code timeout} bounds each wait for the kernel's answer. */
    public ConntrackTable(Duration timeout) {
        this.timeout = timeout;
    }

    /** Deletes, in {@code namespace}, the entries of every one of {@code flows}; returns how many it deleted. */
    public int delete(NetNamespace namespace, List<StaleVipFlows> flows) throws IOException {
        return NetworkNamespace.call(namespace.enterPath(), "swarmnet-conntrack", () -> deleteHere(namespace, flows));
    }

    private int deleteHere(NetNamespace namespace, List<StaleVipFlows> flows) throws IOException {
        int fd;
        try {
            fd = Libc.socket(AF_NETLINK, SOCK_RAW | Libc.SOCK_CLOEXEC, NETLINK_NETFILTER);
        } catch (LastErrorException e) {
            throw new IOException("cannot open a netfilter netlink socket in " + namespace + " (errno " + e.getErrorCode() + ")");
        }
        try {
            Libc.setReceiveTimeout(fd, timeout);
            Memory buffer = new Memory(RECEIVE_BUFFER);
            int sequence = 1;
            send(fd, CtnetlinkMessages.dumpRequest(sequence), buffer);
            List<Entry> stale = new ArrayList<>();
            Reply reply;
            do {
                reply = receive(fd, buffer, namespace);
                if (reply.error() != 0) {
                    throw new IOException("listing the connection tracking table of " + namespace + " failed (errno " + reply.error()
                            + "); is the nf_conntrack_netlink module loaded?");
                }
                reply.entries().stream()
                        .filter(e -> flows.stream().anyMatch(f -> f.matches(e.protocol(), e.originalDestination(), e.replySource())))
                        .forEach(stale::add);
            } while (!reply.done());
            int deleted = 0;
            for (Entry entry : stale) {
                send(fd, CtnetlinkMessages.deleteRequest(++sequence, entry), buffer);
                Reply answer = receive(fd, buffer, namespace);
                if (answer.acknowledged()) {
                    deleted++;
                } else if (answer.error() != ENOENT) { // ENOENT: the entry expired or its flow ended meanwhile
                    throw new IOException("deleting a connection tracking entry to " + entry.originalDestination() + " via "
                            + entry.replySource() + " in " + namespace + " failed (errno " + answer.error() + ")");
                }
            }
            return deleted;
        } catch (LastErrorException e) {
            throw new IOException("netlink to the connection tracker of " + namespace + " failed (errno " + e.getErrorCode()
                    + (e.getErrorCode() == Libc.EAGAIN ? ": no answer within " + timeout.toMillis() + " ms" : "") + ")");
        } finally {
            Libc.close(fd);
        }
    }

    private static void send(int fd, byte[] message, Memory buffer) {
        buffer.write(0, message, 0, message.length);
        Libc.write(fd, buffer, message.length);
    }

    private static Reply receive(int fd, Memory buffer, NetNamespace namespace) throws IOException {
        long length = Libc.read(fd, buffer, RECEIVE_BUFFER);
        try {
            return CtnetlinkMessages.read(buffer.getByteBuffer(0, length));
        } catch (IllegalArgumentException e) {
            throw new IOException("unreadable answer from the connection tracker of " + namespace + ": " + e.getMessage());
        }
    }
}

package io.swarmnet.agent.datapath;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.swarmnet.agent.netns.Libc;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A netfilter netlink socket of an nft session's thread (so of its namespace), and the exchange of one
 * {@link NftNetlink.Batch} on it: the kernel handles a batch while it is being sent, so its answers are queued by the
 * time the send returns; they are read until every line is acknowledged or one is refused.
 */
final class NetfilterSocket {

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int NETLINK_NETFILTER = 12;
    private static final int RECEIVE_BUFFER = 64 * 1024;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int ANSWER_WAIT_MILLIS = 5_000;
    // a batch's sequence numbers count from 0 up to its number of lines (at most a few dozen): this one is no batch's
    private static final int GENERATION_SEQUENCE = 0x67656e;

    private NetfilterSocket() {
    }

    /** A netfilter netlink socket in the calling thread's namespace (nf_tables, ctnetlink). */
    static int open() throws LastErrorException {
        return Libc.socket(AF_NETLINK, SOCK_RAW | Libc.SOCK_CLOEXEC, NETLINK_NETFILTER);
    }

    /**
     * A netfilter netlink socket in the calling thread's namespace that receives the kernel's announcements to the
     * multicast {@code groups} (a bit mask: group N is bit N-1), into a receive buffer of {@code bytes}.
     */
    static int listen(int groups, int bytes) throws LastErrorException {
        int fd = open();
        try {
            Memory size = new Memory(4);
            size.setInt(0, bytes);
            Libc.setsockopt(fd, Libc.SOL_SOCKET, SO_RCVBUFFORCE, size, 4);
            Memory address = new Memory(12); // struct sockaddr_nl { family, pad, pid, groups }
            address.clear();
            address.setShort(0, (short) AF_NETLINK);
            address.setInt(8, groups);
            Libc.bind(fd, address, 12);
            return fd;
        } catch (LastErrorException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * Sends {@code batch} and reads the kernel's answers into an outcome as {@code nft -f -} would report it, with the
     * generation its commit reached when the kernel echoed it.
     */
    static NftSession.Outcome send(int fd, NftNetlink.Batch batch, String where) {
        Memory buffer = new Memory(Math.max(RECEIVE_BUFFER, batch.bytes().length));
        Memory pollFd = new Memory(8);
        try {
            write(fd, buffer, pollFd, batch.bytes());
            List<ByteBuffer> answers = new ArrayList<>();
            NftNetlink.Answers read = NftNetlink.read(answers, batch);
            while (!read.done() && read.refusal() == null) {
                if (!readable(fd, pollFd, ANSWER_WAIT_MILLIS)) {
                    return new NftSession.Outcome(1, "", "netlink batch in " + where + ": no complete answer from the kernel within "
                            + ANSWER_WAIT_MILLIS + " ms");
                }
                long length = Libc.read(fd, buffer, RECEIVE_BUFFER);
                answers.add(ByteBuffer.wrap(buffer.getByteArray(0, (int) length)));
                read = NftNetlink.read(answers, batch);
            }
            return read.done() ? new NftSession.Outcome(0, "", "", read.generation())
                    : new NftSession.Outcome(1, "", "netlink batch in " + where + ": " + read.refusal());
        } catch (LastErrorException e) {
            return new NftSession.Outcome(1, "", "netlink batch in " + where + " failed (errno " + e.getErrorCode() + ")");
        }
    }

    /** Asks for the namespace's ruleset generation ({@code NFT_MSG_GETGEN}) and reads the answer. */
    static NftSession.Outcome generation(int fd, String where) {
        Memory buffer = new Memory(RECEIVE_BUFFER);
        Memory pollFd = new Memory(8);
        try {
            write(fd, buffer, pollFd, NftNetlink.generationRequest(GENERATION_SEQUENCE));
            // one answer, NEWGEN or an error; an echo of an earlier batch's change read meanwhile is skipped
            while (readable(fd, pollFd, ANSWER_WAIT_MILLIS)) {
                ByteBuffer answer = ByteBuffer.wrap(buffer.getByteArray(0, (int) Libc.read(fd, buffer, RECEIVE_BUFFER)));
                NftGeneration generation = NftNetlink.generation(answer, s -> s == GENERATION_SEQUENCE);
                if (generation.known()) {
                    return new NftSession.Outcome(0, "", "", generation);
                }
                if (NftNetlink.refused(answer, GENERATION_SEQUENCE)) {
                    return new NftSession.Outcome(1, "", "the kernel refused to tell the ruleset generation in " + where);
                }
            }
            return new NftSession.Outcome(1, "", "no ruleset generation from the kernel in " + where + " within " + ANSWER_WAIT_MILLIS + " ms");
        } catch (LastErrorException e) {
            return new NftSession.Outcome(1, "", "asking for the ruleset generation in " + where + " failed (errno " + e.getErrorCode() + ")");
        }
    }

    /** Writes one request, after reading away what is left of earlier exchanges (answers not read after a refusal). */
    private static void write(int fd, Memory buffer, Memory pollFd, byte[] request) {
        while (readable(fd, pollFd, 0)) {
            Libc.read(fd, buffer, RECEIVE_BUFFER);
        }
        buffer.write(0, request, 0, request.length);
        Libc.write(fd, buffer, request.length);
    }

    /** True when {@code fd} has something to read within {@code timeoutMillis}; {@code pollFd} is an 8-byte struct pollfd. */
    static boolean readable(int fd, Memory pollFd, int timeoutMillis) {
        pollFd.setInt(0, fd);
        pollFd.setShort(4, Libc.POLLIN);
        pollFd.setShort(6, (short) 0);
        return Libc.poll(pollFd, 1, timeoutMillis) > 0;
    }
}

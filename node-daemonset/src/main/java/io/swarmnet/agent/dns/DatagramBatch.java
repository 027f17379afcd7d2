package io.swarmnet.agent.dns;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.swarmnet.agent.netns.Libc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Up to {@link #CAPACITY} datagrams read from a UDP socket with one {@code recvmmsg}, and the replies to them sent with
 * one {@code sendmmsg}: what a query costs is mostly the kernel's, and a system call per datagram in each direction was
 * most of that. A reply goes from the slot its query came in, to the address it came from.
 *
 * <p>The native memory is allocated once; each slot has room for the largest UDP payload, of which only the pages a
 * datagram touches are ever resident. Not thread-safe: one batch belongs to one thread.
 */
final class DatagramBatch {

    static final int CAPACITY = 64;
    /** The largest UDP payload and then some: no datagram is ever cut short (MSG_TRUNC). */
    static final int SLOT = 65_536;
    static final int SOCKADDR_IN = 16;
    /** struct mmsghdr (LP64): a struct msghdr (name, namelen, iov, iovlen, control, controllen, flags), then msg_len. */
    private static final int MMSGHDR = 64;
    private static final int NAME_LENGTH_AT = 8;
    private static final int IOV_AT = 16;
    private static final int IOV_COUNT_AT = 24;
    private static final int FLAGS_AT = 48;
    private static final int MSG_LENGTH_AT = 56;
    private static final int IOVEC = 16;

    private final Memory received = new Memory((long) CAPACITY * MMSGHDR);
    private final Memory receivedIov = new Memory((long) CAPACITY * IOVEC);
    private final Memory addresses = new Memory((long) CAPACITY * SOCKADDR_IN);
    private final Memory data = new Memory((long) CAPACITY * SLOT);
    private final Memory outgoing = new Memory((long) CAPACITY * MMSGHDR);
    private final Memory outgoingIov = new Memory((long) CAPACITY * IOVEC);
    private final ByteBuffer receivedView = view(received);
    private final ByteBuffer addressView = view(addresses);
    private final ByteBuffer dataView = view(data);
    private final ByteBuffer outgoingView = view(outgoing);
    private final ByteBuffer outgoingIovView = view(outgoingIov);
    /** The slots with a reply, in the order they were answered, and each reply's length by slot. */
    private final int[] replies = new int[CAPACITY];
    private final int[] replyLength = new int[CAPACITY];
    private int replyCount;
    private int count;
    private long dropped;
    /** One datagram's bytes, for the code that answers it (which works on arrays). */
    final byte[] query = new byte[SLOT];
    /** Room for one reply before it is copied into its slot. */
    final byte[] answer = new byte[SLOT];

    DatagramBatch() {
        long receivedIovAt = Pointer.nativeValue(receivedIov);
        long addressesAt = Pointer.nativeValue(addresses);
        long dataAt = Pointer.nativeValue(data);
        received.clear();
        outgoing.clear();
        for (int i = 0; i < CAPACITY; i++) {
            int header = i * MMSGHDR;
            receivedView.putLong(header, addressesAt + (long) i * SOCKADDR_IN);
            receivedView.putLong(header + IOV_AT, receivedIovAt + (long) i * IOVEC);
            receivedView.putLong(header + IOV_COUNT_AT, 1);
            receivedIov.setLong((long) i * IOVEC, dataAt + (long) i * SLOT);
            receivedIov.setLong((long) i * IOVEC + 8, SLOT);
            outgoingView.putLong(header + IOV_AT, Pointer.nativeValue(outgoingIov) + (long) i * IOVEC);
            outgoingView.putLong(header + IOV_COUNT_AT, 1);
            outgoingView.putInt(header + NAME_LENGTH_AT, SOCKADDR_IN);
        }
    }

    private static ByteBuffer view(Memory memory) {
        return memory.getByteBuffer(0, memory.size()).order(ByteOrder.nativeOrder());
    }

    /**
     * Reads what {@code fd} (non-blocking) has queued, up to {@link #CAPACITY} datagrams, and forgets the replies of
     * the previous batch. Returns how many came: 0 when none was waiting.
     */
    int receive(int fd) throws IOException {
        for (int i = 0; i < CAPACITY; i++) {
            receivedView.putInt(i * MMSGHDR + NAME_LENGTH_AT, SOCKADDR_IN); // the kernel writes each address's length
        }
        replyCount = 0;
        int got = Libc.recvmmsgNoThrow(fd, received, CAPACITY, Libc.MSG_DONTWAIT);
        if (got < 0) {
            count = 0;
            int errno = Native.getLastError();
            if (errno == Libc.EAGAIN || errno == Libc.EINTR) {
                return 0;
            }
            throw new IOException("receiving DNS queries failed (errno " + errno + ")");
        }
        count = got;
        return got;
    }

    /** How many datagrams the last {@link #receive} read. */
    int count() {
        return count;
    }

    /** Copies datagram {@code slot} into {@link #query}; returns its length. */
    int read(int slot) {
        int length = receivedView.getInt(slot * MMSGHDR + MSG_LENGTH_AT);
        dataView.get(slot * SLOT, query, 0, length);
        return length;
    }

    /** The sender of datagram {@code slot}, as a struct sockaddr_in: where a reply to it goes later, from elsewhere. */
    byte[] sender(int slot) {
        byte[] address = new byte[SOCKADDR_IN];
        addressView.get(slot * SOCKADDR_IN, address);
        return address;
    }

    /** Replaces the sender of datagram {@code slot}, for the test of a reply the kernel refuses. */
    void sender(int slot, byte[] sockaddr) {
        addressView.put(slot * SOCKADDR_IN, sockaddr, 0, SOCKADDR_IN);
    }

    /** Answers datagram {@code slot} with the first {@code length} bytes of {@code bytes}, sent by the next {@link #flush}. */
    void reply(int slot, byte[] bytes, int length) {
        dataView.put(slot * SLOT, bytes, 0, length);
        replyLength[slot] = length;
        replies[replyCount++] = slot;
    }

    /**
     * Sends every reply of this batch to its datagram's sender, as few {@code sendmmsg} calls as the kernel allows: one
     * that stops short (a reply it refuses, such as one to port 0, or a full send buffer) is skipped and the rest go
     * on in the next call. Returns how many were sent.
     */
    int flush(int fd) {
        long addressesAt = Pointer.nativeValue(addresses);
        long dataAt = Pointer.nativeValue(data);
        for (int k = 0; k < replyCount; k++) {
            int slot = replies[k];
            outgoingView.putLong(k * MMSGHDR, addressesAt + (long) slot * SOCKADDR_IN);
            outgoingView.putInt(k * MMSGHDR + FLAGS_AT, 0);
            outgoingIovView.putLong(k * IOVEC, dataAt + (long) slot * SLOT);
            outgoingIovView.putLong(k * IOVEC + 8, replyLength[slot]);
        }
        int sent = 0;
        int done = 0;
        while (done < replyCount) {
            int n = Libc.sendmmsgNoThrow(fd, outgoing.share((long) done * MMSGHDR), replyCount - done, Libc.MSG_DONTWAIT);
            if (n > 0) {
                done += n;
                sent += n;
            } else {
                // the kernel refused the reply at `done` (its errno is this call's): the client asks again
                done++;
                dropped++;
            }
        }
        replyCount = 0;
        return sent;
    }

    /** Replies the kernel refused so far. */
    long dropped() {
        return dropped;
    }
}

package io.swarmnet.agent.datapath;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.swarmnet.agent.netns.Libc;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the kernel announces of nf_tables commits in some network namespaces (the multicast group NFNLGRP_NFTABLES,
 * what {@code nft monitor} reads): the moment a change to a pod's VIP table is in force, seen from the kernel itself and
 * without asking it anything — a listing per poll would cost a 1,000-VIP table as much as the change. A commit
 * announces each element and rule it added or deleted, then its new generation (NFT_MSG_NEWGEN), from the commit's
 * own thread after the switch to that generation: a generation announced is in force.
 *
 * <p>One socket per namespace, opened inside it; {@link #awaitBackend} polls them all from the caller's thread.
 */
final class NftAnnouncements implements AutoCloseable {

    private static final int NFNLGRP_NFTABLES = 7;
    private static final int ENOBUFS = 105;
    private static final int BUFFER = 4 << 20;
    private static final int READ = 256 * 1024;
    private static final int NFNL_SUBSYS_NFTABLES = 10;
    private static final int NFT_MSG_NEWSETELEM = 12;
    private static final int NFT_MSG_DELSETELEM = 14;
    private static final int NFT_MSG_NEWGEN = 15;
    private static final int NFTA_SET_ELEM_LIST_TABLE = 1;
    private static final int NFTA_SET_ELEM_LIST_SET = 2;
    private static final int NFTA_SET_ELEM_LIST_ELEMENTS = 3;
    private static final int NFTA_SET_ELEM_DATA = 2;
    private static final int NFTA_DATA_VALUE = 1;

    private final List<Path> namespaces;
    private final int[] sockets;
    private final Memory buffer = new Memory(READ);
    private final Memory pollFds;

    private NftAnnouncements(List<Path> namespaces, int[] sockets) {
        this.namespaces = List.copyOf(namespaces);
        this.sockets = sockets;
        this.pollFds = new Memory(8L * sockets.length);
    }

    /** Joins the announcements of each namespace at {@code namespaces}. */
    static NftAnnouncements listen(List<Path> namespaces) throws IOException {
        int[] sockets = new int[namespaces.size()];
        Arrays.fill(sockets, -1);
        NftAnnouncements listening = new NftAnnouncements(namespaces, sockets);
        try {
            for (int i = 0; i < sockets.length; i++) {
                Path namespace = namespaces.get(i);
                sockets[i] = NetworkNamespace.callInside(namespace, "nft-announcements", () -> subscribed(namespace));
            }
            return listening;
        } catch (IOException | RuntimeException e) {
            listening.close();
            throw e;
        }
    }

    private static int subscribed(Path namespace) throws IOException {
        try {
            return NetfilterSocket.listen(1 << (NFNLGRP_NFTABLES - 1), BUFFER);
        } catch (LastErrorException e) {
            throw new IOException("cannot listen to nf_tables in " + namespace + " (errno " + e.getErrorCode() + ")");
        }
    }

    /** Drops what was announced so far. */
    void drain() throws IOException {
        for (int i = 0; i < sockets.length; i++) {
            while (NetfilterSocket.readable(sockets[i], pollFds, 0)) {
                read(i);
            }
        }
    }

    /**
     * Waits until every namespace has committed a change of {@code map} in {@code table} after which {@code backend} is
     * among its elements' values ({@code present}) or was deleted from them and not added back; returns, per namespace
     * in the order given, the {@link System#nanoTime()} at which its socket delivered that commit's new generation.
     */
    long[] awaitBackend(String table, String map, IpAddress backend, boolean present, Duration timeout) throws IOException {
        byte[] value = ByteBuffer.allocate(4).putInt((int) backend.value()).array();
        long[] seen = new long[sockets.length];
        Commit[] commits = new Commit[sockets.length];
        for (int i = 0; i < commits.length; i++) {
            commits[i] = new Commit();
        }
        int pending = sockets.length;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pending > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                List<Path> missing = new ArrayList<>();
                for (int i = 0; i < seen.length; i++) {
                    if (seen[i] == 0) {
                        missing.add(namespaces.get(i));
                    }
                }
                throw new IOException("no commit with " + backend + (present ? " in " : " gone from ") + table + " " + map + " within "
                        + timeout + " in " + missing);
            }
            for (int i = 0; i < sockets.length; i++) {
                pollFds.setInt(8L * i, seen[i] == 0 ? sockets[i] : -1); // a negative fd is skipped by poll
                pollFds.setShort(8L * i + 4, Libc.POLLIN);
                pollFds.setShort(8L * i + 6, (short) 0);
            }
            if (Libc.poll(pollFds, sockets.length, (int) Math.max(1, Math.min(left / 1_000_000, 1000))) <= 0) {
                continue;
            }
            long now = System.nanoTime();
            for (int i = 0; i < sockets.length; i++) {
                if (seen[i] != 0 || (pollFds.getShort(8L * i + 6) & Libc.POLLIN) == 0) {
                    continue;
                }
                for (ByteBuffer message : read(i)) {
                    int type = Short.toUnsignedInt(message.getShort(4));
                    if (type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWGEN)) {
                        if (commits[i].has(value, present)) {
                            seen[i] = now;
                            pending--;
                            break;
                        }
                        commits[i] = new Commit();
                    } else if (type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM)
                            || type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELSETELEM)) {
                        commits[i].elements(message, table, map, type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM));
                    }
                }
            }
        }
        return seen;
    }

    /** What one commit, so far announced, did to the map awaited: the values it added and deleted, whether it flushed it. */
    private static final class Commit {
        boolean touched;
        boolean flushed;
        final Set<ByteBuffer> added = new HashSet<>();
        final Set<ByteBuffer> deleted = new HashSet<>();

        /** After this commit, {@code value} is in the map ({@code present}), or it was taken out and not put back. */
        boolean has(byte[] value, boolean present) {
            ByteBuffer key = ByteBuffer.wrap(value);
            return touched && (present ? added.contains(key) : !added.contains(key) && (deleted.contains(key) || flushed));
        }

        void elements(ByteBuffer message, String table, String map, boolean add) {
            ByteBuffer attributes = message.slice(CtnetlinkMessages.NLMSG_HEADER + CtnetlinkMessages.NFGENMSG,
                    message.limit() - CtnetlinkMessages.NLMSG_HEADER - CtnetlinkMessages.NFGENMSG).order(ByteOrder.nativeOrder());
            if (!table.equals(text(CtnetlinkMessages.child(attributes, NFTA_SET_ELEM_LIST_TABLE)))
                    || !map.equals(text(CtnetlinkMessages.child(attributes, NFTA_SET_ELEM_LIST_SET)))) {
                return;
            }
            touched = true;
            ByteBuffer elements = CtnetlinkMessages.child(attributes, NFTA_SET_ELEM_LIST_ELEMENTS);
            if (elements == null) {
                flushed |= !add; // a flush may be announced as one deletion naming no element
                return;
            }
            for (ByteBuffer element : CtnetlinkMessages.attributes(elements)) {
                ByteBuffer data = CtnetlinkMessages.child(CtnetlinkMessages.payload(element), NFTA_SET_ELEM_DATA);
                ByteBuffer v = data == null ? null : CtnetlinkMessages.child(data, NFTA_DATA_VALUE);
                if (v != null) {
                    byte[] copy = new byte[v.remaining()];
                    v.duplicate().get(copy);
                    (add ? added : deleted).add(ByteBuffer.wrap(copy));
                }
            }
        }

        private static String text(ByteBuffer value) {
            if (value == null) {
                return null;
            }
            byte[] bytes = new byte[value.remaining()];
            value.duplicate().get(bytes);
            int end = 0;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            return new String(bytes, 0, end, StandardCharsets.US_ASCII);
        }
    }

    /** The netlink messages of the datagrams queued on socket {@code i}, each as a buffer of its own. */
    private List<ByteBuffer> read(int i) throws IOException {
        List<ByteBuffer> messages = new ArrayList<>();
        Memory one = new Memory(8);
        while (NetfilterSocket.readable(sockets[i], one, 0)) {
            long length;
            try {
                length = Libc.read(sockets[i], buffer, READ);
            } catch (LastErrorException e) {
                throw new IOException(e.getErrorCode() == ENOBUFS ? "announcements of nf_tables in " + namespaces.get(i)
                        + " were lost (the socket's buffer overflowed)" : "reading announcements in " + namespaces.get(i)
                        + " failed (errno " + e.getErrorCode() + ")");
            }
            ByteBuffer b = buffer.getByteBuffer(0, length).order(ByteOrder.nativeOrder());
            while (b.remaining() >= CtnetlinkMessages.NLMSG_HEADER) {
                int start = b.position();
                int size = b.getInt(start);
                if (size < CtnetlinkMessages.NLMSG_HEADER || size > b.remaining()) {
                    break;
                }
                byte[] copy = new byte[size];
                b.get(start, copy);
                messages.add(ByteBuffer.wrap(copy).order(ByteOrder.nativeOrder()));
                b.position(Math.min(b.limit(), start + CtnetlinkMessages.align(size)));
            }
        }
        return messages;
    }

    @Override
    public void close() {
        for (int fd : sockets) {
            if (fd >= 0) {
                Libc.close(fd);
            }
        }
    }
}

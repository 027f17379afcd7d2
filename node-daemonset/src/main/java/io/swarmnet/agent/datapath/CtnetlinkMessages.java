package io.swarmnet.agent.datapath;

import io.swarmnet.api.net.IpAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The few ctnetlink messages the agent exchanges with the kernel's connection tracker (uapi
 * linux/netfilter/nfnetlink_conntrack.h): a dump of the IPv4 table, and the deletion of one entry. Builds and reads
 * bytes only; {@link ConntrackTable} does the socket I/O.
 *
 * <p>Netlink headers are in host byte order, addresses and ports inside attributes in network byte order.
 */
final class CtnetlinkMessages {

    static final int NLMSG_HEADER = 16;
    static final int NFGENMSG = 4;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    private static final int NLM_F_REQUEST = 0x1;
    private static final int NLM_F_ACK = 0x4;
    private static final int NLM_F_DUMP = 0x300;
    private static final int NFNL_SUBSYS_CTNETLINK = 1;
    private static final int IPCTNL_MSG_CT_NEW = 0;
    private static final int IPCTNL_MSG_CT_GET = 1;
    private static final int IPCTNL_MSG_CT_DELETE = 2;
    private static final int AF_INET = 2;
    private static final int CTA_TUPLE_ORIG = 1;
    private static final int CTA_TUPLE_REPLY = 2;
    private static final int CTA_ID = 12;
    private static final int CTA_ZONE = 18;
    private static final int CTA_TUPLE_IP = 1;
    private static final int CTA_TUPLE_PROTO = 2;
    private static final int CTA_IP_V4_SRC = 1;
    private static final int CTA_IP_V4_DST = 2;
    private static final int CTA_PROTO_NUM = 1;
    static final int NLA_TYPE_MASK = 0x3fff;

    private CtnetlinkMessages() {
    }

    /**
     * One connection as the dump reports it.
     *
     * @param identity the raw original-tuple, zone and id attributes: sent back as they came, they name exactly this
     *                 entry in a deletion (a newer connection with the same tuple has another id and stays)
     */
    record Entry(int protocol, IpAddress originalDestination, IpAddress replySource, byte[] identity) {
        /** The entry's identity as a map key (equal for the same connection, whether dumped or announced). */
        java.nio.ByteBuffer key() {
            return java.nio.ByteBuffer.wrap(identity).asReadOnlyBuffer();
        }
    }

    /**
     * What one datagram from the kernel carried: entries (of a dump, or new connections announced to a listener),
     * entries the kernel announced it destroyed, whether the dump ended, and a netlink error (0: none).
     */
    record Reply(List<Entry> entries, List<Entry> removed, boolean done, int error, boolean acknowledged) {
    }

    /** The groups a listener joins to hear of every new and every destroyed connection (NFNLGRP_CONNTRACK_NEW, _DESTROY). */
    static final int EVENT_GROUPS = 1 << (1 - 1) | 1 << (3 - 1);

    static byte[] dumpRequest(int sequence) {
        return message(IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP, sequence, new byte[0]);
    }

    static byte[] deleteRequest(int sequence, Entry entry) {
        return message(IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, sequence, entry.identity());
    }

    private static byte[] message(int type, int flags, int sequence, byte[] attributes) {
        int length = NLMSG_HEADER + NFGENMSG + attributes.length;
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        b.putInt(length).putShort((short) (NFNL_SUBSYS_CTNETLINK << 8 | type)).putShort((short) flags).putInt(sequence).putInt(0);
        b.put((byte) AF_INET).put((byte) 0).putShort((short) 0);
        b.put(attributes);
        return b.array();
    }

    /** Reads the netlink messages of one datagram; entries that are not IPv4 or lack a tuple are skipped. */
    static Reply read(ByteBuffer datagram) {
        ByteBuffer b = datagram.duplicate().order(ByteOrder.nativeOrder());
        List<Entry> entries = new ArrayList<>();
        List<Entry> removed = new ArrayList<>();
        boolean done = false;
        boolean acknowledged = false;
        int error = 0;
        while (b.remaining() >= NLMSG_HEADER) {
            int start = b.position();
            int length = b.getInt(start);
            int type = Short.toUnsignedInt(b.getShort(start + 4));
            if (length < NLMSG_HEADER || length > b.remaining()) {
                throw new IllegalArgumentException("netlink message of length " + length + " in a datagram of " + b.remaining() + " bytes");
            }
            if (type == NLMSG_DONE) {
                done = true;
            } else if (type == NLMSG_ERROR) {
                error = -b.getInt(start + NLMSG_HEADER);
                acknowledged = error == 0;
            } else if (type == (NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW) || type == (NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_DELETE)) {
                Entry entry = entry(b.slice(start + NLMSG_HEADER + NFGENMSG, length - NLMSG_HEADER - NFGENMSG).order(ByteOrder.nativeOrder()));
                if (entry != null) {
                    (type == (NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW) ? entries : removed).add(entry);
                }
            }
            b.position(Math.min(b.limit(), start + align(length)));
        }
        return new Reply(entries, removed, done, error, acknowledged);
    }

    private static Entry entry(ByteBuffer attributes) {
        ByteBuffer original = null;
        ByteBuffer reply = null;
        ByteBuffer identity = ByteBuffer.allocate(attributes.remaining());
        for (ByteBuffer attribute : attributes(attributes)) {
            int type = Short.toUnsignedInt(attribute.getShort(2)) & NLA_TYPE_MASK;
            if (type == CTA_TUPLE_ORIG || type == CTA_ZONE || type == CTA_ID) {
                identity.put(attribute.duplicate());
                while (identity.position() % 4 != 0) {
                    identity.put((byte) 0);
                }
            }
            if (type == CTA_TUPLE_ORIG) {
                original = payload(attribute);
            } else if (type == CTA_TUPLE_REPLY) {
                reply = payload(attribute);
            }
        }
        if (original == null || reply == null) {
            return null;
        }
        IpAddress destination = address(original, CTA_IP_V4_DST);
        IpAddress source = address(reply, CTA_IP_V4_SRC);
        int protocol = protocol(original);
        if (destination == null || source == null || protocol < 0) {
            return null;
        }
        byte[] id = new byte[identity.position()];
        identity.flip().get(id);
        return new Entry(protocol, destination, source, id);
    }

    private static IpAddress address(ByteBuffer tuple, int which) {
        ByteBuffer ip = child(tuple, CTA_TUPLE_IP);
        ByteBuffer value = ip == null ? null : child(ip, which);
        if (value == null || value.remaining() != 4) {
            return null;
        }
        return new IpAddress(Integer.toUnsignedLong(value.order(ByteOrder.BIG_ENDIAN).getInt(0)));
    }

    private static int protocol(ByteBuffer tuple) {
        ByteBuffer proto = child(tuple, CTA_TUPLE_PROTO);
        ByteBuffer number = proto == null ? null : child(proto, CTA_PROTO_NUM);
        return number == null || number.remaining() != 1 ? -1 : Byte.toUnsignedInt(number.get(0));
    }

    /** The payload of the first attribute of {@code type} in a run of attributes, or null (also for nf_tables messages). */
    static ByteBuffer child(ByteBuffer nested, int type) {
        for (ByteBuffer attribute : attributes(nested)) {
            if ((Short.toUnsignedInt(attribute.getShort(2)) & NLA_TYPE_MASK) == type) {
                return payload(attribute);
            }
        }
        return null;
    }

    /** Each attribute (header included) of a run of attributes; a malformed length ends the run. */
    static List<ByteBuffer> attributes(ByteBuffer run) {
        List<ByteBuffer> found = new ArrayList<>();
        int position = 0;
        while (position + 4 <= run.limit()) {
            int length = Short.toUnsignedInt(run.getShort(position));
            if (length < 4 || position + length > run.limit()) {
                break;
            }
            found.add(run.slice(position, length).order(ByteOrder.nativeOrder()));
            position += align(length);
        }
        return found;
    }

    static ByteBuffer payload(ByteBuffer attribute) {
        return attribute.slice(4, attribute.limit() - 4).order(ByteOrder.nativeOrder());
    }

    static int align(int length) {
        return (length + 3) & ~3;
    }
}

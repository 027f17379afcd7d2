package io.swarmnet.agent.datapath;

import io.swarmnet.api.net.IpAddress;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The few nftables changes a backend change makes, as one netlink batch (uapi linux/netfilter/nf_tables.h): the
 * kernel applies it atomically, as it does {@code nft -f -}'s. libnftables reads the whole table into its cache before
 * every transaction that adds an element or a rule — with 1,000 VIPs a pod's table holds 2,000 chains and maps, about
 * 2.5 ms per transaction — while the batch below costs one system call.
 *
 * <p>Only lines of exactly the forms {@link VipLoadBalancer} writes when the backends of existing VIPs change are
 * translated: flushing a backend map or a VIP chain, adding backend elements, adding a VIP chain's DNAT rule, adding
 * or deleting elements of the refused set and deleting those of the VIP map. Any other line — creating the table, chains or maps, deletions of
 * objects — leaves the whole transaction to libnftables. Bytes only; {@link NftSession} does the socket I/O.
 *
 * <p>Netlink headers are in host byte order, nf_tables' integer attributes in network byte order; a numgen map's
 * keys are host-order integers (what {@code numgen} writes into its register), addresses network order.
 */
final class NftNetlink {

    private static final int NFNL_SUBSYS_NFTABLES = 10;
    private static final int NFNL_MSG_BATCH_BEGIN = 0x10;
    private static final int NFNL_MSG_BATCH_END = 0x11;
    private static final int NFT_MSG_NEWRULE = 6;
    private static final int NFT_MSG_DELRULE = 8;
    private static final int NFT_MSG_NEWSETELEM = 12;
    private static final int NFT_MSG_DELSETELEM = 14;
    private static final int NFT_MSG_NEWGEN = 15;
    private static final int NFT_MSG_GETGEN = 16;
    private static final int NLM_F_REQUEST = 0x1;
    private static final int NLM_F_ACK = 0x4;
    private static final int NLM_F_ECHO = 0x8;
    private static final int NLM_F_APPEND = 0x800;
    private static final int NLM_F_CREATE = 0x400;
    private static final int NFPROTO_IPV4 = 2;
    private static final int NLA_F_NESTED = 0x8000;
    // attributes
    private static final int NFTA_RULE_TABLE = 1;
    private static final int NFTA_RULE_CHAIN = 2;
    private static final int NFTA_RULE_EXPRESSIONS = 4;
    private static final int NFTA_LIST_ELEM = 1;
    private static final int NFTA_EXPR_NAME = 1;
    private static final int NFTA_EXPR_DATA = 2;
    private static final int NFTA_NG_DREG = 1;
    private static final int NFTA_NG_MODULUS = 2;
    private static final int NFTA_NG_TYPE = 3;
    private static final int NFTA_NG_OFFSET = 4;
    private static final int NFT_NG_INCREMENTAL = 0;
    private static final int NFTA_LOOKUP_SET = 1;
    private static final int NFTA_LOOKUP_SREG = 2;
    private static final int NFTA_LOOKUP_DREG = 3;
    private static final int NFTA_NAT_TYPE = 1;
    private static final int NFTA_NAT_FAMILY = 2;
    private static final int NFTA_NAT_REG_ADDR_MIN = 3;
    private static final int NFT_NAT_DNAT = 1;
    private static final int NFT_REG_1 = 1;
    private static final int NFTA_SET_ELEM_LIST_TABLE = 1;
    private static final int NFTA_SET_ELEM_LIST_SET = 2;
    private static final int NFTA_SET_ELEM_LIST_ELEMENTS = 3;
    private static final int NFTA_SET_ELEM_KEY = 1;
    private static final int NFTA_SET_ELEM_DATA = 2;
    private static final int NFTA_DATA_VALUE = 1;
    private static final int NFTA_GEN_ID = 1;

    private static final String NAME = "([A-Za-z0-9_.-]+)";
    private static final String ADDRESS = "(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})";
    private static final Pattern FLUSH_MAP = Pattern.compile("flush map ip " + NAME + " " + NAME);
    private static final Pattern FLUSH_CHAIN = Pattern.compile("flush chain ip " + NAME + " " + NAME);
    private static final Pattern BACKENDS = Pattern.compile("add element ip " + NAME + " " + NAME + " \\{ ((?:\\d+ : [0-9.]+(?:, )?)+) }");
    private static final Pattern BACKEND = Pattern.compile("(\\d+) : " + ADDRESS);
    private static final Pattern ADDRESS_ELEMENT = Pattern.compile("(add|delete) element ip " + NAME + " " + NAME + " \\{ " + ADDRESS + " }");
    private static final Pattern DNAT_RULE = Pattern.compile("add rule ip " + NAME + " " + NAME + " dnat to numgen inc mod (\\d+) map @" + NAME);

    /** A batch, and per message (by sequence number from {@code firstSequence}) the line it carries. */
    record Batch(byte[] bytes, int firstSequence, List<String> lines) {
        /** The line a sequence number stands for, or null for the batch's begin and end. */
        String line(int sequence) {
            int index = sequence - firstSequence;
            return index >= 0 && index < lines.size() ? lines.get(index) : null;
        }
    }

    private NftNetlink() {
    }

    /**
     * The batch for {@code lines}, or empty when any line is of a form left to libnftables. It asks for an echo, so that
     * the kernel tells the sender the generation its commit reached ({@link Answers#generation}): the kernel of the
     * day looks at the first line's flags for that, older ones at the batch's begin, and both carry the flag. (The
     * first line's own change is echoed too: a few notifications, read and skipped.)
     */
    static Optional<Batch> batch(List<String> lines, int firstSequence) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(message(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST | NLM_F_ECHO, firstSequence - 1, 0, NFNL_SUBSYS_NFTABLES, new byte[0]));
        int sequence = firstSequence;
        for (String line : lines) {
            Optional<byte[]> message = translate(line.strip(), sequence, sequence == firstSequence ? NLM_F_ECHO : 0);
            sequence++;
            if (message.isEmpty()) {
                return Optional.empty();
            }
            out.writeBytes(message.get());
        }
        out.writeBytes(message(NFNL_MSG_BATCH_END, NLM_F_REQUEST, sequence, 0, NFNL_SUBSYS_NFTABLES, new byte[0]));
        return Optional.of(new Batch(out.toByteArray(), firstSequence, List.copyOf(lines)));
    }

    /** {@code NFT_MSG_GETGEN}: asks for the namespace's ruleset generation ({@link #generation}). */
    static byte[] generationRequest(int sequence) {
        return message(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETGEN, NLM_F_REQUEST, sequence, 0, 0, new byte[0]);
    }

    /**
     * The generation a {@code NFT_MSG_NEWGEN} message of {@code datagram} with a sequence number {@code sequence}
     * accepts gives (the answer to {@link #generationRequest}, or a batch's echo); unknown when there is none.
     */
    static NftGeneration generation(ByteBuffer datagram, IntPredicate sequence) {
        NftGeneration found = firstMessage(datagram, (b, start, length) -> {
            if (b.getShort(start + 4) != (short) (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWGEN) || !sequence.test(b.getInt(start + 8))) {
                return null;
            }
            // after the header and the nfgenmsg, attributes: length and type in host order, the id in network order
            for (int at = start + 20; at + 8 <= start + length; ) {
                int attributeLength = Short.toUnsignedInt(b.getShort(at));
                if (attributeLength < 4) {
                    return null;
                }
                if ((b.getShort(at + 2) & 0x3fff) == NFTA_GEN_ID && attributeLength >= 8) {
                    return NftGeneration.of(b.duplicate().order(ByteOrder.BIG_ENDIAN).getInt(at + 4));
                }
                at += (attributeLength + 3) & ~3;
            }
            return null;
        });
        return found == null ? NftGeneration.UNKNOWN : found;
    }

    /** True when {@code datagram} holds the kernel's refusal of the request with {@code sequence} (an error, not an ack). */
    static boolean refused(ByteBuffer datagram, int sequence) {
        return firstMessage(datagram, (b, start, length) -> b.getShort(start + 4) == CtnetlinkMessages.NLMSG_ERROR
                && b.getInt(start + 8) == sequence && length >= 20 && b.getInt(start + 16) != 0 ? Boolean.TRUE : null) != null;
    }

    /** Reads one netlink message: the datagram in host byte order, where the message starts and its length. */
    private interface MessageReader<T> {
        T read(ByteBuffer b, int start, int length);
    }

    /** What {@code reader} makes of the first message of {@code datagram} it makes anything (non-null) of; null if none. */
    private static <T> T firstMessage(ByteBuffer datagram, MessageReader<T> reader) {
        ByteBuffer b = datagram.duplicate().order(ByteOrder.nativeOrder());
        while (b.remaining() >= 16) {
            int start = b.position();
            int length = b.getInt(start);
            if (length < 16 || length > b.remaining()) {
                return null;
            }
            T found = reader.read(b, start, length);
            if (found != null) {
                return found;
            }
            b.position(Math.min(b.limit(), start + ((length + 3) & ~3)));
        }
        return null;
    }

    private static Optional<byte[]> translate(String line, int sequence, int echo) {
        Matcher m;
        if ((m = FLUSH_MAP.matcher(line)).matches()) {
            return Optional.of(nft(NFT_MSG_DELSETELEM, echo, sequence, new Attributes()
                    .string(NFTA_SET_ELEM_LIST_TABLE, m.group(1)).string(NFTA_SET_ELEM_LIST_SET, m.group(2))));
        }
        if ((m = FLUSH_CHAIN.matcher(line)).matches()) {
            return Optional.of(nft(NFT_MSG_DELRULE, echo, sequence, new Attributes()
                    .string(NFTA_RULE_TABLE, m.group(1)).string(NFTA_RULE_CHAIN, m.group(2))));
        }
        if ((m = BACKENDS.matcher(line)).matches()) {
            Attributes elements = new Attributes();
            Matcher backend = BACKEND.matcher(m.group(3));
            while (backend.find()) {
                Optional<byte[]> address = address(backend.group(2));
                if (address.isEmpty()) {
                    return Optional.empty();
                }
                byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(Integer.parseInt(backend.group(1))).array();
                elements.nested(NFTA_LIST_ELEM, new Attributes()
                        .nested(NFTA_SET_ELEM_KEY, new Attributes().bytes(NFTA_DATA_VALUE, key))
                        .nested(NFTA_SET_ELEM_DATA, new Attributes().bytes(NFTA_DATA_VALUE, address.get())));
            }
            return Optional.of(elements(NFT_MSG_NEWSETELEM, NLM_F_CREATE | echo, sequence, m.group(1), m.group(2), elements));
        }
        if ((m = ADDRESS_ELEMENT.matcher(line)).matches()) {
            Optional<byte[]> key = address(m.group(4));
            if (key.isEmpty()) {
                return Optional.empty();
            }
            boolean add = m.group(1).equals("add");
            return Optional.of(elements(add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, (add ? NLM_F_CREATE : 0) | echo, sequence, m.group(2), m.group(3),
                    new Attributes().nested(NFTA_LIST_ELEM, new Attributes().nested(NFTA_SET_ELEM_KEY, new Attributes().bytes(NFTA_DATA_VALUE, key.get())))));
        }
        if ((m = DNAT_RULE.matcher(line)).matches()) {
            int modulus = Integer.parseInt(m.group(3));
            if (modulus < 1) {
                return Optional.empty();
            }
            Attributes expressions = new Attributes()
                    .nested(NFTA_LIST_ELEM, expression("numgen", new Attributes().u32(NFTA_NG_DREG, NFT_REG_1)
                            .u32(NFTA_NG_MODULUS, modulus).u32(NFTA_NG_TYPE, NFT_NG_INCREMENTAL).u32(NFTA_NG_OFFSET, 0)))
                    .nested(NFTA_LIST_ELEM, expression("lookup", new Attributes().string(NFTA_LOOKUP_SET, m.group(4))
                            .u32(NFTA_LOOKUP_SREG, NFT_REG_1).u32(NFTA_LOOKUP_DREG, NFT_REG_1)))
                    .nested(NFTA_LIST_ELEM, expression("nat", new Attributes().u32(NFTA_NAT_TYPE, NFT_NAT_DNAT)
                            .u32(NFTA_NAT_FAMILY, NFPROTO_IPV4).u32(NFTA_NAT_REG_ADDR_MIN, NFT_REG_1)));
            return Optional.of(nft(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | echo, sequence, new Attributes()
                    .string(NFTA_RULE_TABLE, m.group(1)).string(NFTA_RULE_CHAIN, m.group(2)).nested(NFTA_RULE_EXPRESSIONS, expressions)));
        }
        return Optional.empty();
    }

    private static Attributes expression(String name, Attributes data) {
        return new Attributes().string(NFTA_EXPR_NAME, name).nested(NFTA_EXPR_DATA, data);
    }

    private static byte[] elements(int type, int flags, int sequence, String table, String set, Attributes elements) {
        return nft(type, flags, sequence, new Attributes().string(NFTA_SET_ELEM_LIST_TABLE, table)
                .string(NFTA_SET_ELEM_LIST_SET, set).nested(NFTA_SET_ELEM_LIST_ELEMENTS, elements));
    }

    private static Optional<byte[]> address(String text) {
        try {
            return Optional.of(ByteBuffer.allocate(4).putInt((int) IpAddress.parse(text).value()).array());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static byte[] nft(int type, int flags, int sequence, Attributes attributes) {
        return message(NFNL_SUBSYS_NFTABLES << 8 | type, NLM_F_REQUEST | NLM_F_ACK | flags, sequence, NFPROTO_IPV4, 0, attributes.bytes());
    }

    private static byte[] message(int type, int flags, int sequence, int family, int resourceId, byte[] attributes) {
        int length = 16 + 4 + attributes.length;
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        b.putInt(length).putShort((short) type).putShort((short) flags).putInt(sequence).putInt(0);
        b.put((byte) family).put((byte) 0).order(ByteOrder.BIG_ENDIAN).putShort((short) resourceId);
        b.put(attributes);
        return b.array();
    }

    /**
     * What the kernel's answers so far say of a batch: every line acknowledged ({@code done}), or the refusal of one
     * (then nothing of the batch was applied), or neither yet; and the generation its commit reached, when the kernel
     * echoed it (it does before the acknowledgements).
     */
    record Answers(boolean done, String refusal, NftGeneration generation) {
    }

    static Answers read(List<ByteBuffer> answers, Batch batch) {
        int acknowledged = 0;
        NftGeneration generation = NftGeneration.UNKNOWN;
        for (ByteBuffer datagram : answers) {
            if (!generation.known()) {
                // the echo carries the sequence number of the message whose flags asked for it: the first line or the begin
                generation = generation(datagram, s -> s == batch.firstSequence() || s == batch.firstSequence() - 1);
            }
            ByteBuffer b = datagram.duplicate().order(ByteOrder.nativeOrder());
            while (b.remaining() >= 16) {
                int start = b.position();
                int length = b.getInt(start);
                int type = Short.toUnsignedInt(b.getShort(start + 4));
                if (length < 16 || length > b.remaining()) {
                    return new Answers(false, "unreadable answer from the kernel (netlink message of length " + length + ")", NftGeneration.UNKNOWN);
                }
                if (type == CtnetlinkMessages.NLMSG_ERROR && length >= 20) {
                    int error = -b.getInt(start + 16);
                    int sequence = length >= 36 ? b.getInt(start + 20 + 8) : -1;
                    if (error != 0) {
                        String line = batch.line(sequence);
                        return new Answers(false, (line == null ? "the batch" : "'" + line + "'") + " was refused by the kernel (errno " + error + ")",
                                NftGeneration.UNKNOWN);
                    }
                    acknowledged++;
                }
                b.position(Math.min(b.limit(), start + ((length + 3) & ~3)));
            }
        }
        return new Answers(acknowledged == batch.lines().size(), null, generation);
    }

    /** Netlink attributes, written in order; each padded to 4 bytes. */
    private static final class Attributes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Attributes bytes(int type, byte[] payload) {
            ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
            header.putShort((short) (4 + payload.length)).putShort((short) type);
            out.writeBytes(header.array());
            out.writeBytes(payload);
            out.writeBytes(new byte[(4 - payload.length % 4) % 4]);
            return this;
        }

        Attributes string(int type, String value) {
            byte[] text = value.getBytes(StandardCharsets.US_ASCII);
            byte[] terminated = new byte[text.length + 1];
            System.arraycopy(text, 0, terminated, 0, text.length);
            return bytes(type, terminated);
        }

        Attributes u32(int type, int value) {
            return bytes(type, ByteBuffer.allocate(4).putInt(value).array());
        }

        Attributes nested(int type, Attributes inner) {
            return bytes(type | NLA_F_NESTED, inner.bytes());
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}

package io.swarmnet.agent.dns;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The common query answered straight from its bytes, without parsing it into objects: one question, class IN,
 * type A, AAAA or PTR, no EDNS or an OPT record with no options but a cookie or padding, for a name the pod's
 * {@link NameTable} owns. The reply is a copy of an answer kept in wire format per name, built by
 * {@link DnsResponder} the first time the name is asked for (so both paths give the same bytes), with the query's
 * id and RD bit and its question exactly as asked: the case of every letter kept, for clients that randomise it
 * (0x20) and compare. Records of names that rotate (dnsrr) are rotated as they are copied.
 *
 * <p>Everything else is left to {@link DnsResponder#respond}: names not ours (forwarded, or ours under a search
 * domain), other types and classes, other EDNS options, answers that must be truncated, malformed packets.
 *
 * <p>One instance belongs to one table: a table that changes is a new object, so cached answers never outlive the
 * names they were built from. Not thread-safe: the resolver's event loop alone uses it.
 */
final class WireAnswers {

    /** What {@link #write} returns when the query is not one it answers. */
    static final int NOT_ANSWERED = 0;

    private static final int HEADER_LENGTH = 12;
    private static final int MAX_NAME_LENGTH = 255;
    private static final int RD = 0x01;
    /** An A record under a name compressed to the question's: pointer, type, class, TTL, length, address. */
    private static final int A_RECORD_LENGTH = 2 + 2 + 2 + 4 + 2 + 4;
    private static final int OPT_RECORD_LENGTH = 1 + 2 + 2 + 4 + 2;
    /**
     * Bytes a label may hold here: those the general path reads into a table key unchanged (it escapes others), so
     * a name is ours on one path exactly when it is ours on the other.
     */
    private static final boolean[] LABEL_BYTE = new boolean[256];

    static {
        for (int c = 0; c < 256; c++) {
            LABEL_BYTE[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        }
    }

    private final NameTable table;
    private Entry[] slots = new Entry[16];
    private int size;

    WireAnswers(NameTable table) {
        this.table = table;
    }

    NameTable table() {
        return table;
    }

    /**
     * Writes the answer to {@code query} into {@code out}.
     *
     * @param length   bytes of {@code query} received
     * @param overTcp  whether it came over TCP (no size limit)
     * @param rotation the counter that rotates dnsrr answers, as {@link DnsResponder#respond} takes it
     * @return the length of the answer, or {@link #NOT_ANSWERED} when the query is for {@link DnsResponder#respond}
     */
    int write(byte[] query, int length, boolean overTcp, int rotation, byte[] out) {
        if (length < HEADER_LENGTH
                || (query[2] & 0xF8) != 0 // a response, or an opcode other than QUERY
                || query[4] != 0 || query[5] != 1 // one question
                || query[6] != 0 || query[7] != 0 || query[8] != 0 || query[9] != 0 // no answer or authority records
                || query[10] != 0 || (query[11] & 0xFE) != 0) { // at most one additional record
            return NOT_ANSWERED;
        }
        int at = HEADER_LENGTH;
        int hash = 0;
        while (true) {
            if (at >= length) {
                return NOT_ANSWERED;
            }
            int label = query[at] & 0xFF;
            if (label == 0) {
                break;
            }
            // above 63: a compression pointer or an obsolete label type
            if (label > 63 || at + 1 + label > length) {
                return NOT_ANSWERED;
            }
            hash = 31 * hash + label;
            for (int i = at + 1; i <= at + label; i++) {
                int c = query[i] & 0xFF;
                if (!LABEL_BYTE[c]) {
                    return NOT_ANSWERED;
                }
                hash = 31 * hash + lower(c);
            }
            at += 1 + label;
        }
        int nameLength = at + 1 - HEADER_LENGTH;
        int questionEnd = HEADER_LENGTH + nameLength + 4;
        if (nameLength == 1 || nameLength > MAX_NAME_LENGTH || questionEnd > length
                || u16(query, questionEnd - 2) != DClass.IN) {
            return NOT_ANSWERED;
        }
        int type = u16(query, questionEnd - 4);
        if (type != Type.A && type != Type.AAAA && type != Type.PTR) {
            return NOT_ANSWERED;
        }
        int limit = DnsResponder.UDP_DEFAULT_LIMIT;
        if (query[11] == 0) {
            if (length != questionEnd) {
                return NOT_ANSWERED;
            }
        } else {
            // an OPT record for the root name, and nothing after it
            if (length < questionEnd + OPT_RECORD_LENGTH || query[questionEnd] != 0 || u16(query, questionEnd + 1) != Type.OPT
                    || length != questionEnd + OPT_RECORD_LENGTH + u16(query, questionEnd + 9)
                    || !plainOptions(query, questionEnd + OPT_RECORD_LENGTH, length)) {
                return NOT_ANSWERED;
            }
            limit = DnsResponder.udpLimit(u16(query, questionEnd + 3));
        }
        Entry entry = find(query, nameLength, hash);
        if (entry == null) {
            entry = learn(query, nameLength, hash);
            if (entry == null) {
                return NOT_ANSWERED;
            }
        }
        byte[] template = type == Type.A ? entry.addresses : type == Type.PTR ? entry.pointer : entry.empty;
        if (template == null || (!overTcp && template.length > limit) || template.length > out.length) {
            return NOT_ANSWERED;
        }
        copy(template, type == Type.A ? entry.rotatingRecords : 0, rotation, questionEnd, out);
        out[0] = query[0];
        out[1] = query[1];
        out[2] = (byte) (template[2] | (query[2] & RD));
        // the name with the case it was asked in; type and class are the template's
        System.arraycopy(query, HEADER_LENGTH, out, HEADER_LENGTH, nameLength);
        return template.length;
    }

    /**
     * Whether the options between {@code from} and {@code to} are only those that change nothing in our answer and that
     * the general path reads without fault: a cookie (what dig sends; not echoed, as that path does not) of a length
     * RFC 7873 allows, and padding.
     */
    private static boolean plainOptions(byte[] query, int from, int to) {
        int at = from;
        while (at < to) {
            if (at + 4 > to) {
                return false;
            }
            int code = u16(query, at);
            int length = u16(query, at + 2);
            at += 4 + length;
            boolean cookie = code == EDNSOption.Code.COOKIE && (length == 8 || (length >= 16 && length <= 40));
            if (at > to || !(cookie || code == EDNSOption.Code.PADDING)) {
                return false;
            }
        }
        return true;
    }

    /** The template as it is, or with its {@code records} A records (from {@code start}) rotated as the general path does. */
    private static void copy(byte[] template, int records, int rotation, int start, byte[] out) {
        if (records < 2) {
            System.arraycopy(template, 0, out, 0, template.length);
            return;
        }
        int shift = Math.floorMod(rotation, records) * A_RECORD_LENGTH;
        int all = records * A_RECORD_LENGTH;
        System.arraycopy(template, 0, out, 0, start);
        System.arraycopy(template, start + shift, out, start, all - shift);
        System.arraycopy(template, start, out, start + all - shift, shift);
    }

    private Entry find(byte[] query, int nameLength, int hash) {
        int mask = slots.length - 1;
        for (int i = spread(hash) & mask; ; i = (i + 1) & mask) {
            Entry entry = slots[i];
            if (entry == null) {
                return null;
            }
            if (entry.hash == hash && entry.named(query, nameLength)) {
                return entry;
            }
        }
    }

    /** The answers for a name asked for the first time, if it is ours; a name not ours is looked up anew each time. */
    private Entry learn(byte[] query, int nameLength, int hash) {
        byte[] name = new byte[nameLength];
        StringBuilder key = new StringBuilder(nameLength);
        for (int i = 0; i < nameLength; i++) {
            name[i] = (byte) lower(query[HEADER_LENGTH + i] & 0xFF);
        }
        for (int at = 0; name[at] != 0; at += 1 + name[at]) {
            if (at > 0) {
                key.append('.');
            }
            key.append(new String(name, at + 1, name[at], StandardCharsets.US_ASCII));
        }
        String ours = key.toString();
        if (!table.owns(ours)) {
            return null;
        }
        Entry entry = build(ours, name, hash);
        if (2 * (size + 1) > slots.length) {
            grow();
        }
        put(entry);
        return entry;
    }

    private Entry build(String ours, byte[] name, int hash) {
        Name question;
        try {
            question = Name.fromString(ours + ".");
        } catch (TextParseException e) {
            // cannot happen for the bytes admitted above; such a name simply takes the general path
            return new Entry(name, hash, null, 0, null, null);
        }
        byte[] addresses = template(question, Type.A, ours);
        int records = table.lookup(ours).map(List::size).orElse(0);
        int rotating = 0;
        if (table.rotating().contains(NameTable.key(ours)) && records > 1) {
            // rotated as they are copied: only when the records are laid out as expected, else the general path rotates
            boolean laidOut = addresses.length == HEADER_LENGTH + name.length + 4 + records * A_RECORD_LENGTH;
            rotating = laidOut ? records : 0;
            addresses = laidOut ? addresses : null;
        }
        return new Entry(name, hash, addresses, rotating, template(question, Type.PTR, ours), template(question, Type.AAAA, ours));
    }

    /** The general path's answer to a query of {@code type} for {@code question}, with id 0 and RD clear. */
    private byte[] template(Name question, int type, String ours) {
        Message query = Message.newQuery(Record.newRecord(question, type, DClass.IN));
        byte[] wire = DnsResponder.answer(query, query.getQuestion(), ours, table, 0).toWire();
        wire[0] = 0;
        wire[1] = 0;
        wire[2] &= (byte) ~RD;
        return wire;
    }

    private void grow() {
        Entry[] old = slots;
        slots = new Entry[old.length * 2];
        size = 0;
        for (Entry entry : old) {
            if (entry != null) {
                put(entry);
            }
        }
    }

    private void put(Entry entry) {
        int mask = slots.length - 1;
        int i = spread(entry.hash) & mask;
        while (slots[i] != null) {
            i = (i + 1) & mask;
        }
        slots[i] = entry;
        size++;
    }

    private static int spread(int hash) {
        return hash ^ (hash >>> 16);
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }

    private static int u16(byte[] bytes, int at) {
        return ((bytes[at] & 0xFF) << 8) | (bytes[at + 1] & 0xFF);
    }

    /**
     * One name's answers as the general path writes them for rotation 0, id 0 and RD clear; null where that path
     * must answer.
     *
     * @param name            the name in wire format, lower case
     * @param rotatingRecords how many A records rotate (0: none do)
     * @param addresses       the answer to A
     * @param pointer         the answer to PTR
     * @param empty           the answer to AAAA: no records, no error
     */
    private record Entry(byte[] name, int hash, byte[] addresses, int rotatingRecords, byte[] pointer, byte[] empty) {

        boolean named(byte[] query, int nameLength) {
            if (name.length != nameLength) {
                return false;
            }
            for (int i = 0; i < nameLength; i++) {
                if (name[i] != (byte) lower(query[HEADER_LENGTH + i] & 0xFF)) {
                    return false;
                }
            }
            return true;
        }
    }
}

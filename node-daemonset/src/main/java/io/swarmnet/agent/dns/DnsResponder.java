package io.swarmnet.agent.dns;

import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Decides what to do with one query packet from one pod: answer it from the pod's {@link NameTable},
 * forward it upstream, or drop it. Pure: no sockets, so every malformed input can be tried in tests.
 */
final class DnsResponder {

    /** Classic DNS UDP limit, used when the client sends no EDNS size. */
    static final int UDP_DEFAULT_LIMIT = 512;
    /** Largest EDNS UDP payload we honour (the DNS flag day 2020 value, avoiding IP fragmentation). */
    static final int UDP_MAX_LIMIT = 1232;
    private static final int HEADER_LENGTH = 12;

    sealed interface Outcome permits Reply, Forward, Drop {
    }

    /** Send these bytes back to the client. */
    record Reply(byte[] bytes) implements Outcome {
    }

    /**
     * Not ours: forward the parsed query upstream. When the name is one of ours with a search domain
     * appended, {@code fallback} is our answer for it, sent only if upstream knows no such name (or
     * fails): a Kubernetes Service of that name keeps its own answer.
     */
    record Forward(Message query, Optional<byte[]> fallback) implements Outcome {
    }

    /** Nothing is sent (a response packet, or too short to even carry an id). */
    record Drop() implements Outcome {
    }

    private DnsResponder() {
    }

    /**
     * @param packet   the query as received
     * @param length   bytes of {@code packet} received
     * @param overTcp  whether it came over TCP (no size limit, no truncation)
     * @param rotation a counter that rotates dnsrr answers between queries
     */
    static Outcome respond(byte[] packet, int length, NameTable table, boolean overTcp, int rotation) {
        if (length < HEADER_LENGTH) {
            return new Drop();
        }
        int flags = ((packet[2] & 0xFF) << 8) | (packet[3] & 0xFF);
        if ((flags & 0x8000) != 0) {
            // a response: never answer one, or two resolvers could bounce packets forever
            return new Drop();
        }
        int opcode = (flags >> 11) & 0xF;
        if (opcode != Opcode.QUERY) {
            return new Reply(headerOnly(packet, Rcode.NOTIMP));
        }
        Message query;
        try {
            query = new Message(java.util.Arrays.copyOf(packet, length));
        } catch (IOException | RuntimeException e) {
            return new Reply(headerOnly(packet, Rcode.FORMERR));
        }
        Record question = query.getQuestion();
        if (question == null || query.getHeader().getCount(Section.QUESTION) != 1) {
            return new Reply(headerOnly(packet, Rcode.FORMERR));
        }
        String name = question.getName().toString();
        if (question.getDClass() != DClass.IN) {
            return new Forward(query, Optional.empty());
        }
        if (!table.owns(name)) {
            return new Forward(query, table.searchedName(name).map(ours -> wire(query, answer(query, question, ours, table, rotation), overTcp)));
        }
        return new Reply(wire(query, answer(query, question, name, table, rotation), overTcp));
    }

    private static byte[] wire(Message query, Message reply, boolean overTcp) {
        byte[] bytes = reply.toWire();
        if (!overTcp && bytes.length > udpLimit(query)) {
            Message truncated = replyTo(query, Rcode.NOERROR);
            truncated.getHeader().setFlag(Flags.TC);
            bytes = truncated.toWire();
        }
        return bytes;
    }

    /**
     * Our records for {@code ours}, under the name the question asked for. {@link WireAnswers} builds its cached
     * answers here too, so both paths give the same bytes.
     */
    static Message answer(Message query, Record question, String ours, NameTable table, int rotation) {
        Message reply = replyTo(query, Rcode.NOERROR);
        Name name = question.getName();
        int type = question.getType();
        long ttl = table.ttl(ours);
        if (type == Type.A || type == Type.ANY) {
            List<IpAddress> addresses = table.lookup(ours).orElse(List.of());
            if (table.rotating().contains(NameTable.key(ours)) && !addresses.isEmpty()) {
                addresses = rotate(addresses, rotation);
            }
            for (IpAddress address : addresses) {
                reply.addRecord(new ARecord(name, DClass.IN, ttl, inet(address)), Section.ANSWER);
            }
        }
        if (type == Type.PTR || type == Type.ANY) {
            table.pointer(ours).ifPresent(target -> {
                try {
                    reply.addRecord(new PTRRecord(name, DClass.IN, ttl, Name.fromString(target + ".")), Section.ANSWER);
                } catch (TextParseException e) {
                    // a pod or network name that is no valid DNS name simply has no PTR record
                }
            });
        }
        // AAAA and every other type for our names: NOERROR without records (no IPv6 overlays yet)
        return reply;
    }

    private static Message replyTo(Message query, int rcode) {
        Message reply = new Message(query.getHeader().getID());
        Header header = reply.getHeader();
        header.setFlag(Flags.QR);
        header.setFlag(Flags.AA);
        if (query.getHeader().getFlag(Flags.RD)) {
            header.setFlag(Flags.RD);
        }
        header.setFlag(Flags.RA);
        header.setRcode(rcode);
        reply.addRecord(query.getQuestion(), Section.QUESTION);
        return reply;
    }

    /**
     * An upstream answer fetched over TCP for a client that asked over UDP: as it is if it fits the client's UDP
     * limit, else only its header (TC set) and question, so the client asks again over TCP.
     */
    static byte[] forUdpClient(Message query, byte[] answer) {
        if (answer.length <= udpLimit(query)) {
            return answer;
        }
        Message truncated;
        try {
            truncated = new Message(answer);
        } catch (IOException | RuntimeException e) {
            return headerOnly(answer, Rcode.SERVFAIL);
        }
        OPTRecord opt = truncated.getOPT();
        truncated.removeAllRecords(Section.ANSWER);
        truncated.removeAllRecords(Section.AUTHORITY);
        truncated.removeAllRecords(Section.ADDITIONAL);
        if (opt != null) {
            // an EDNS client expects EDNS in the reply; without its options the OPT record never pushes it past the limit
            truncated.addRecord(new OPTRecord(opt.getPayloadSize(), opt.getExtendedRcode(), opt.getVersion(), opt.getFlags()),
                    Section.ADDITIONAL);
        }
        truncated.getHeader().setFlag(Flags.TC);
        return truncated.toWire();
    }

    /** SERVFAIL for a query whose upstream failed or timed out. */
    static byte[] serverFailure(Message query, int queryLength) {
        Message reply = replyTo(query, Rcode.SERVFAIL);
        reply.getHeader().unsetFlag(Flags.AA);
        byte[] bytes = reply.toWire();
        // a question written with compression pointers can grow when written out plainly: never amplify
        return bytes.length <= queryLength ? bytes : headerOnly(query.toWire(), Rcode.SERVFAIL);
    }

    /**
     * A 12-byte reply echoing only the id and the RD bit: the answer to a malformed query is never
     * larger than the query itself, so the resolver cannot be used to amplify traffic.
     */
    private static byte[] headerOnly(byte[] packet, int rcode) {
        byte[] reply = new byte[HEADER_LENGTH];
        reply[0] = packet[0];
        reply[1] = packet[1];
        reply[2] = (byte) (0x80 | (packet[2] & 0x01)); // QR, opcode 0, RD copied
        reply[3] = (byte) (0x80 | (rcode & 0x0F));    // RA, rcode
        return reply;
    }

    private static int udpLimit(Message query) {
        OPTRecord opt = query.getOPT();
        return opt == null ? UDP_DEFAULT_LIMIT : udpLimit(opt.getPayloadSize());
    }

    /** The largest UDP answer for a client whose EDNS OPT record offers {@code payloadSize}. */
    static int udpLimit(int payloadSize) {
        return Math.max(UDP_DEFAULT_LIMIT, Math.min(UDP_MAX_LIMIT, payloadSize));
    }

    private static List<IpAddress> rotate(List<IpAddress> addresses, int rotation) {
        int shift = Math.floorMod(rotation, addresses.size());
        List<IpAddress> rotated = new ArrayList<>(addresses.size());
        rotated.addAll(addresses.subList(shift, addresses.size()));
        rotated.addAll(addresses.subList(0, shift));
        return rotated;
    }

    private static InetAddress inet(IpAddress address) {
        try {
            return InetAddress.getByAddress(address.bytes());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}

package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.net.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class DnsResponderTest {

    private static final NameTable TABLE = new NameTable(
            Map.of("my-web", List.of(IpAddress.parse("10.0.9.2")),
                    "rr", List.of(IpAddress.parse("10.0.9.8"), IpAddress.parse("10.0.9.9"), IpAddress.parse("10.0.9.10"))),
            Set.of("rr"),
            Map.of("2.9.0.10.in-addr.arpa", "my-web.my-network"),
            Map.of("my-web", 10, "rr", 1));

    static byte[] query(String name, int type) throws Exception {
        return Message.newQuery(Record.newRecord(Name.fromString(name + "."), type, DClass.IN)).toWire();
    }

    static Message reply(DnsResponder.Outcome outcome) throws Exception {
        assertThat(outcome).isInstanceOf(DnsResponder.Reply.class);
        return new Message(((DnsResponder.Reply) outcome).bytes());
    }

    @Test
    void answersOurNameWithItsAddressAndTtl() throws Exception {
        byte[] q = query("my-web", Type.A);
        Message m = reply(DnsResponder.respond(q, q.length, TABLE, false, 0));
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        List<Record> answers = m.getSection(Section.ANSWER);
        assertThat(answers).hasSize(1);
        assertThat(answers.get(0).rdataToString()).isEqualTo("10.0.9.2");
        assertThat(answers.get(0).getTTL()).isEqualTo(10);
    }

    @Test
    void aaaaForOurNameIsNoErrorWithoutRecords() throws Exception {
        byte[] q = query("my-web", Type.AAAA);
        Message m = reply(DnsResponder.respond(q, q.length, TABLE, false, 0));
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void pointerRecordForVirtualIp() throws Exception {
        byte[] q = query("2.9.0.10.in-addr.arpa", Type.PTR);
        Message m = reply(DnsResponder.respond(q, q.length, TABLE, false, 0));
        assertThat(m.getSection(Section.ANSWER).get(0).rdataToString()).isEqualTo("my-web.my-network.");
    }

    @Test
    void otherNamesAreForwarded() throws Exception {
        byte[] q = query("kubernetes.default.svc.cluster.local", Type.A);
        assertThat(DnsResponder.respond(q, q.length, TABLE, false, 0)).isInstanceOf(DnsResponder.Forward.class);
    }

    @Test
    void ourNameUnderASearchDomainIsForwardedWithOurAnswerAsFallback() throws Exception {
        NameTable searching = new NameTable(TABLE.addresses(), TABLE.rotating(), TABLE.pointers(), TABLE.ttls(),
                List.of("default.svc.cluster.local", "svc.cluster.local", "cluster.local"));
        byte[] q = query("My-Web.default.svc.cluster.local", Type.A);
        DnsResponder.Outcome outcome = DnsResponder.respond(q, q.length, searching, false, 0);
        assertThat(outcome).isInstanceOf(DnsResponder.Forward.class);
        Message fallback = new Message(((DnsResponder.Forward) outcome).fallback().orElseThrow());
        assertThat(fallback.getHeader().getID()).isEqualTo(new Message(q).getHeader().getID());
        assertThat(fallback.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(fallback.getSection(Section.ANSWER)).singleElement().satisfies(a -> {
            assertThat(a.getName().toString()).isEqualToIgnoringCase("my-web.default.svc.cluster.local.");
            assertThat(a.rdataToString()).isEqualTo("10.0.9.2");
            assertThat(a.getTTL()).isEqualTo(10);
        });

        byte[] elsewhere = query("my-web.example.org", Type.A);
        assertThat(DnsResponder.respond(elsewhere, elsewhere.length, searching, false, 0))
                .isInstanceOfSatisfying(DnsResponder.Forward.class, f -> assertThat(f.fallback()).isEmpty());
        byte[] notOurs = query("other.default.svc.cluster.local", Type.A);
        assertThat(DnsResponder.respond(notOurs, notOurs.length, searching, false, 0))
                .isInstanceOfSatisfying(DnsResponder.Forward.class, f -> assertThat(f.fallback()).isEmpty());
        byte[] noSearches = query("my-web.default.svc.cluster.local", Type.A);
        assertThat(DnsResponder.respond(noSearches, noSearches.length, TABLE, false, 0))
                .isInstanceOfSatisfying(DnsResponder.Forward.class, f -> assertThat(f.fallback()).isEmpty());
    }

    @Test
    void dnsrrAnswersRotate() throws Exception {
        byte[] q = query("rr", Type.A);
        List<String> firsts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            firsts.add(reply(DnsResponder.respond(q, q.length, TABLE, false, i)).getSection(Section.ANSWER).get(0).rdataToString());
        }
        assertThat(firsts).containsExactlyInAnyOrder("10.0.9.8", "10.0.9.9", "10.0.9.10");
    }

    @Test
    void answerTooLargeForUdpIsTruncatedAndCompleteOverTcp() throws Exception {
        List<IpAddress> many = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add(IpAddress.parse("10.0.9.0").plus(10 + i));
        }
        NameTable big = new NameTable(Map.of("tasks.big", many), Set.of(), Map.of(), Map.of());
        byte[] q = query("tasks.big", Type.A);
        Message udp = reply(DnsResponder.respond(q, q.length, big, false, 0));
        assertThat(udp.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(udp.getSection(Section.ANSWER)).isEmpty();
        Message tcp = reply(DnsResponder.respond(q, q.length, big, true, 0));
        assertThat(tcp.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(tcp.getSection(Section.ANSWER)).hasSize(100);
    }

    @Test
    void ednsClientGetsLargerUdpAnswers() throws Exception {
        List<IpAddress> some = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            some.add(IpAddress.parse("10.0.9.0").plus(10 + i));
        }
        NameTable table = new NameTable(Map.of("tasks.some", some), Set.of(), Map.of(), Map.of());
        Message query = Message.newQuery(Record.newRecord(Name.fromString("tasks.some."), Type.A, DClass.IN));
        query.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        byte[] q = query.toWire();
        Message m = reply(DnsResponder.respond(q, q.length, table, false, 0));
        assertThat(m.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(m.getSection(Section.ANSWER)).hasSize(40);
    }

    @Test
    void answerFetchedOverTcpReachesAUdpClientWholeOnlyIfItFitsItsLimit() throws Exception {
        Message forwarded = Message.newQuery(Record.newRecord(Name.fromString("forty.example."), Type.A, DClass.IN));
        Message upstream = new Message(forwarded.getHeader().getID());
        upstream.getHeader().setFlag(Flags.QR);
        upstream.getHeader().setFlag(Flags.RA);
        upstream.addRecord(forwarded.getQuestion(), Section.QUESTION);
        for (int i = 1; i <= 40; i++) {
            upstream.addRecord(Record.fromString(Name.fromString("forty.example."), Type.A, DClass.IN, 60,
                    IpAddress.parse("198.51.100.0").plus(i).toString(), Name.root), Section.ANSWER);
        }
        byte[] whole = upstream.toWire();
        assertThat(whole.length).isBetween(DnsResponder.UDP_DEFAULT_LIMIT + 1, DnsResponder.UDP_MAX_LIMIT);

        Message plain = new Message(DnsResponder.forUdpClient(forwarded, whole));
        assertThat(plain.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(plain.getHeader().getID()).isEqualTo(forwarded.getHeader().getID());
        assertThat(plain.getSection(Section.ANSWER)).isEmpty();
        assertThat(plain.getQuestion()).isEqualTo(forwarded.getQuestion());

        Message edns = forwarded.clone();
        edns.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        assertThat(DnsResponder.forUdpClient(edns, whole)).isEqualTo(whole);

        upstream.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
        for (int i = 41; i <= 80; i++) {
            upstream.addRecord(Record.fromString(Name.fromString("forty.example."), Type.A, DClass.IN, 60,
                    IpAddress.parse("198.51.100.0").plus(i).toString(), Name.root), Section.ANSWER);
        }
        Message tooLarge = new Message(DnsResponder.forUdpClient(edns, upstream.toWire()));
        assertThat(tooLarge.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(tooLarge.getSection(Section.ANSWER)).isEmpty();
        assertThat(tooLarge.getOPT()).as("an EDNS client still gets EDNS").isNotNull();
    }

    @Test
    void malformedQueriesGetHeaderOnlyFormErrNeverLargerThanTheQuery() throws Exception {
        byte[] q = query("my-web", Type.A);
        byte[] cut = java.util.Arrays.copyOf(q, 15); // header plus a broken label
        DnsResponder.Outcome outcome = DnsResponder.respond(cut, cut.length, TABLE, false, 0);
        byte[] bytes = ((DnsResponder.Reply) outcome).bytes();
        assertThat(bytes.length).isLessThanOrEqualTo(cut.length);
        assertThat(bytes[3] & 0x0F).isEqualTo(Rcode.FORMERR);
        assertThat(bytes[0]).isEqualTo(cut[0]);
        assertThat(bytes[1]).isEqualTo(cut[1]);
    }

    @Test
    void responsesAndRuntsAreDropped() throws Exception {
        byte[] q = query("my-web", Type.A);
        q[2] |= (byte) 0x80;
        assertThat(DnsResponder.respond(q, q.length, TABLE, false, 0)).isInstanceOf(DnsResponder.Drop.class);
        assertThat(DnsResponder.respond(new byte[5], 5, TABLE, false, 0)).isInstanceOf(DnsResponder.Drop.class);
    }

    @Test
    void selfPointingCompressionLoopIsRefused() throws Exception {
        byte[] loop = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01};
        DnsResponder.Outcome outcome = DnsResponder.respond(loop, loop.length, TABLE, false, 0);
        assertThat(((DnsResponder.Reply) outcome).bytes().length).isLessThanOrEqualTo(loop.length);
    }

    @Test
    void serverFailureNeverOutgrowsTheQuery() throws Exception {
        Message query = Message.newQuery(Record.newRecord(Name.fromString("x.example."), Type.A, DClass.IN));
        assertThat(DnsResponder.serverFailure(query, query.toWire().length)).hasSizeLessThanOrEqualTo(query.toWire().length);
        assertThat(DnsResponder.serverFailure(query, 12)).hasSize(12);
    }
}

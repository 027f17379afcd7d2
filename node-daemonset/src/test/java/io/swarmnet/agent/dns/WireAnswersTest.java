package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.net.IpAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.CookieOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The fast path answers the common query with exactly the bytes of the general path, and leaves it everything else. */
class WireAnswersTest {

    private static final NameTable NAMES = EmbeddedDnsServerTest.walkthroughNames();

    /** A query as a stub resolver sends it; {@code edns} adds an OPT record offering {@code edns} bytes, 0 adds none. */
    private static byte[] query(String name, int type, int edns, EDNSOption... options) throws Exception {
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name + "."), type, DClass.IN));
        if (edns > 0) {
            query.addRecord(new OPTRecord(edns, 0, 0, 0, List.of(options)), Section.ADDITIONAL);
        }
        return query.toWire();
    }

    /** What the general path answers. */
    private static byte[] general(byte[] query, NameTable table, boolean overTcp, int rotation) {
        DnsResponder.Outcome outcome = DnsResponder.respond(query, query.length, table, overTcp, rotation);
        assertThat(outcome).as("the general path's answer to %s", HexFormat.of().formatHex(query)).isInstanceOf(DnsResponder.Reply.class);
        return ((DnsResponder.Reply) outcome).bytes();
    }

    /** What the fast path answers, or null when it leaves the query to the general path. */
    private static byte[] fast(WireAnswers answers, byte[] query, boolean overTcp, int rotation) {
        byte[] out = new byte[65_535];
        int length = answers.write(query, query.length, overTcp, rotation, out);
        return length == WireAnswers.NOT_ANSWERED ? null : Arrays.copyOf(out, length);
    }

    private static void assertSameAnswer(WireAnswers answers, byte[] query, boolean overTcp, int rotation) {
        byte[] fast = fast(answers, query, overTcp, rotation);
        assertThat(fast).as("fast path answers %s", HexFormat.of().formatHex(query)).isNotNull();
        assertThat(HexFormat.of().formatHex(fast)).isEqualTo(HexFormat.of().formatHex(general(query, answers.table(), overTcp, rotation)));
    }

    @Test
    void answersOurNamesWithTheGeneralPathsBytes() throws Exception {
        WireAnswers answers = new WireAnswers(NAMES);
        List<String> names = List.of("my-web", "my-web.my-network", "tasks.my-web", "tasks.my-web.my-network", "my-web-2-x",
                "my-web-2-x.my-network", "3.9.0.10.in-addr.arpa", "2.9.0.10.in-addr.arpa");
        for (String name : names) {
            for (int type : new int[] {Type.A, Type.AAAA, Type.PTR}) {
                for (int edns : new int[] {0, 512, 1232, 4096}) {
                    // asked twice: once building the cached answer, once copying it
                    assertSameAnswer(answers, query(name, type, edns), false, 0);
                    assertSameAnswer(answers, query(name, type, edns), false, 0);
                    assertSameAnswer(answers, query(name, type, edns), true, 0);
                }
            }
        }
        Message vip = new Message(fast(answers, query("my-web", Type.A, 0), false, 0));
        assertThat(vip.getSection(Section.ANSWER)).singleElement().satisfies(a -> assertThat(a.rdataToString()).isEqualTo("10.0.9.2"));
        Message pointer = new Message(fast(answers, query("3.9.0.10.in-addr.arpa", Type.PTR, 0), false, 0));
        assertThat(pointer.getSection(Section.ANSWER)).singleElement()
                .satisfies(a -> assertThat(a.rdataToString()).isEqualTo("my-web-1-x.my-network."));
        Message aaaa = new Message(fast(answers, query("my-web", Type.AAAA, 0), false, 0));
        assertThat(aaaa.getRcode()).isZero();
        assertThat(aaaa.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void copiesTheQuerysIdAndRecursionFlag() throws Exception {
        WireAnswers answers = new WireAnswers(NAMES);
        for (int id : new int[] {0, 1, 0x1234, 0xFFFF}) {
            for (boolean recursion : new boolean[] {true, false}) {
                Message query = Message.newQuery(Record.newRecord(Name.fromString("my-web."), Type.A, DClass.IN));
                query.getHeader().setID(id);
                if (!recursion) {
                    query.getHeader().unsetFlag(Flags.RD);
                }
                // flags the general path does not copy stay unset too
                query.getHeader().setFlag(Flags.CD);
                query.getHeader().setFlag(Flags.AD);
                byte[] q = query.toWire();
                assertSameAnswer(answers, q, false, 0);
                Message reply = new Message(fast(answers, q, false, 0));
                assertThat(reply.getHeader().getID()).isEqualTo(id);
                assertThat(reply.getHeader().getFlag(Flags.RD)).isEqualTo(recursion);
            }
        }
    }

    @Test
    void keepsTheCaseOfTheQuestionAsAsked() throws Exception {
        WireAnswers answers = new WireAnswers(NAMES);
        for (String name : List.of("My-Web", "MY-WEB", "my-WEB", "TaSkS.mY-wEb", "Tasks.My-Web.My-Network", "My-Web-2-X", "3.9.0.10.IN-ADDR.ARPA")) {
            for (int type : new int[] {Type.A, Type.AAAA, Type.PTR}) {
                assertSameAnswer(answers, query(name, type, 0), false, 0);
                Message reply = new Message(fast(answers, query(name, type, 0), false, 0));
                assertThat(reply.getQuestion().getName().toString()).isEqualTo(name + ".");
            }
        }
        // the lower-case spelling asked after a mixed-case one is answered in lower case
        assertThat(new Message(fast(answers, query("my-web", Type.A, 0), false, 0)).getQuestion().getName().toString()).isEqualTo("my-web.");
    }

    @Test
    void rotatesDnsrrAnswersAsTheGeneralPathDoes() throws Exception {
        ServiceEndpoints rr = new ServiceEndpoints("default", "rr", io.swarmnet.api.service.EndpointMode.DNSRR, java.util.Set.of("n"),
                java.util.Map.of(), java.util.Map.of(), List.of(
                        new ServiceEndpoints.TaskEndpoint("rr-1-a", "n", IpAddress.parse("10.0.9.8")),
                        new ServiceEndpoints.TaskEndpoint("rr-2-b", "n", IpAddress.parse("10.0.9.9")),
                        new ServiceEndpoints.TaskEndpoint("rr-3-c", "n", IpAddress.parse("10.0.9.10"))));
        NameTable table = DnsRecords.forPod("default", java.util.Set.of("n"), List.of(rr));
        assertThat(table.rotating()).contains("rr");
        WireAnswers answers = new WireAnswers(table);
        List<String> firsts = new ArrayList<>();
        for (int rotation : new int[] {0, 1, 2, 3, 4, 5, -1, -2, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            for (String name : List.of("rr", "Rr.N", "tasks.rr")) {
                assertSameAnswer(answers, query(name, Type.A, 0), false, rotation);
                assertSameAnswer(answers, query(name, Type.A, 1232), true, rotation);
            }
            if (rotation >= 0 && rotation < 3) {
                firsts.add(new Message(fast(answers, query("rr", Type.A, 0), false, rotation)).getSection(Section.ANSWER).get(0).rdataToString());
            }
        }
        assertThat(firsts).containsExactlyInAnyOrder("10.0.9.8", "10.0.9.9", "10.0.9.10");
    }

    @Test
    void answersTheEdnsOfCommonClients() throws Exception {
        WireAnswers answers = new WireAnswers(NAMES);
        byte[] clientCookie = {1, 2, 3, 4, 5, 6, 7, 8};
        // dig sends a client cookie; a client that met the server before adds a server cookie; padding goes on encrypted links
        for (EDNSOption[] options : List.of(new EDNSOption[] {new CookieOption(clientCookie)},
                new EDNSOption[] {new CookieOption(clientCookie, new byte[16])},
                new EDNSOption[] {new GenericEDNSOption(EDNSOption.Code.PADDING, new byte[20])},
                new EDNSOption[] {new GenericEDNSOption(EDNSOption.Code.PADDING, new byte[0]), new CookieOption(clientCookie)})) {
            assertSameAnswer(answers, query("my-web", Type.A, 1232, options), false, 0);
            assertSameAnswer(answers, query("tasks.my-web", Type.A, 1232, options), false, 0);
            assertSameAnswer(answers, query("big", Type.A, 1232, options), true, 5);
        }
    }

    @Test
    void takesExactlyTheCookiesTheGeneralPathReads() throws Exception {
        WireAnswers answers = new WireAnswers(NAMES);
        for (int length : new int[] {8, 16, 40}) {
            assertSameAnswer(answers, query("my-web", Type.A, 1232, new GenericEDNSOption(EDNSOption.Code.COOKIE, new byte[length])), false, 0);
        }
        for (int length : new int[] {0, 7, 9, 15, 41}) {
            byte[] q = query("my-web", Type.A, 1232, new GenericEDNSOption(EDNSOption.Code.COOKIE, new byte[length]));
            assertThat(fast(answers, q, false, 0)).as("cookie of %d bytes", length).isNull();
            assertThat(new Message(general(q, NAMES, false, 0)).getRcode()).as("cookie of %d bytes", length).isEqualTo(Rcode.FORMERR);
        }
    }

    @Test
    void answerThatFitsOnlyAnEdnsClientIsFastForItAndTruncatedByTheGeneralPathForOthers() throws Exception {
        WireAnswers answers = new WireAnswers(NAMES);
        // 100 records of 16 bytes: more than 512 and more than 1232, so only TCP takes them whole
        assertThat(fast(answers, query("tasks.big", Type.A, 0), false, 0)).isNull();
        assertThat(fast(answers, query("tasks.big", Type.A, 1232), false, 0)).isNull();
        assertSameAnswer(answers, query("tasks.big", Type.A, 0), true, 7);
        assertThat(new Message(general(query("tasks.big", Type.A, 0), NAMES, false, 0)).getHeader().getFlag(Flags.TC)).isTrue();

        List<IpAddress> forty = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            forty.add(IpAddress.parse("10.0.9.0").plus(10 + i));
        }
        WireAnswers some = new WireAnswers(new NameTable(java.util.Map.of("tasks.some", forty), java.util.Set.of(), java.util.Map.of(),
                java.util.Map.of()));
        assertThat(fast(some, query("tasks.some", Type.A, 0), false, 0)).as("40 records exceed 512 bytes").isNull();
        assertThat(fast(some, query("tasks.some", Type.A, 511), false, 0)).as("an offer below 512 means 512").isNull();
        assertSameAnswer(some, query("tasks.some", Type.A, 1232), false, 0);
        assertSameAnswer(some, query("tasks.some", Type.A, 0), true, 0);
    }

    @Test
    void leavesEverythingElseToTheGeneralPath() throws Exception {
        NameTable searching = NAMES;
        WireAnswers answers = new WireAnswers(searching);
        byte[] plain = query("my-web", Type.A, 0);
        List<byte[]> others = new ArrayList<>();
        // not ours: forwarded, with or without our answer as the fallback for a search domain
        others.add(query("kubernetes.default.svc.cluster.local", Type.A, 0));
        others.add(query("my-web.default.svc.cluster.local", Type.A, 0));
        others.add(query("other", Type.AAAA, 0));
        // types and classes it does not answer
        others.add(query("my-web", Type.ANY, 0));
        others.add(query("my-web", Type.MX, 0));
        others.add(query("my-web", Type.SRV, 0));
        byte[] chaos = plain.clone();
        chaos[chaos.length - 1] = DClass.CH;
        others.add(chaos);
        // EDNS options it does not know, a cookie of a length RFC 7873 does not allow, an OPT record for another name
        others.add(query("my-web", Type.A, 1232, new GenericEDNSOption(EDNSOption.Code.NSID, new byte[0])));
        others.add(query("my-web", Type.A, 1232, new GenericEDNSOption(EDNSOption.Code.COOKIE, new byte[12])));
        byte[] optNamed = query("my-web", Type.A, 1232);
        optNamed[plain.length] = (byte) 0xC0;
        others.add(Arrays.copyOf(optNamed, optNamed.length + 1));
        // not a plain query: a response, another opcode
        byte[] response = plain.clone();
        response[2] |= (byte) 0x80;
        others.add(response);
        byte[] notify = plain.clone();
        notify[2] = (byte) ((notify[2] & 0x87) | (4 << 3));
        others.add(notify);
        // counts it does not take: two questions, an answer record, two additional records
        for (int[] count : new int[][] {{5, 2}, {7, 1}, {9, 1}, {11, 2}}) {
            byte[] q = plain.clone();
            q[count[0]] = (byte) count[1];
            others.add(q);
        }
        // a compressed question name, bytes after the question, a label with a dot or a space in it, the root name
        others.add(new byte[] {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01});
        others.add(Arrays.copyOf(plain, plain.length + 3));
        byte[] dotted = plain.clone();
        dotted[15] = '.';
        others.add(dotted);
        byte[] spaced = plain.clone();
        spaced[15] = ' ';
        others.add(spaced);
        others.add(new byte[] {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x01});
        // cut short anywhere
        for (int cut = 0; cut < plain.length; cut++) {
            others.add(Arrays.copyOf(plain, cut));
        }
        for (byte[] other : others) {
            assertThat(fast(answers, other, false, 0)).as("fast path on %s", HexFormat.of().formatHex(other)).isNull();
            assertThat(fast(answers, other, true, 0)).as("fast path over TCP on %s", HexFormat.of().formatHex(other)).isNull();
        }
        // and the general path still answers what it always did
        assertThat(DnsResponder.respond(others.get(1), others.get(1).length, searching, false, 0))
                .isInstanceOfSatisfying(DnsResponder.Forward.class, f -> assertThat(f.fallback()).isPresent());
        assertThat(DnsResponder.respond(response, response.length, searching, false, 0)).isInstanceOf(DnsResponder.Drop.class);
    }

    @Test
    void answersOnlyWithTheNamesOfItsOwnTable() throws Exception {
        NameTable before = new NameTable(java.util.Map.of("svc", List.of(IpAddress.parse("10.0.9.20"))), java.util.Set.of(),
                java.util.Map.of(), java.util.Map.of());
        NameTable after = new NameTable(java.util.Map.of("svc", List.of(IpAddress.parse("10.0.9.21"))), java.util.Set.of(),
                java.util.Map.of(), java.util.Map.of());
        byte[] q = query("svc", Type.A, 0);
        assertThat(new Message(fast(new WireAnswers(before), q, false, 0)).getSection(Section.ANSWER).get(0).rdataToString())
                .isEqualTo("10.0.9.20");
        assertThat(new Message(fast(new WireAnswers(after), q, false, 0)).getSection(Section.ANSWER).get(0).rdataToString())
                .isEqualTo("10.0.9.21");
        assertThat(fast(new WireAnswers(NameTable.EMPTY), q, false, 0)).isNull();
    }

    @Test
    void holdsManyNames() throws Exception {
        List<ServiceEndpoints> services = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            services.add(new ServiceEndpoints("default", "svc-" + i, io.swarmnet.api.service.EndpointMode.VIP, java.util.Set.of("n"),
                    java.util.Map.of("n", IpAddress.parse("10.1.0.0").plus(2 + i)), java.util.Map.of(), List.of()));
        }
        WireAnswers answers = new WireAnswers(DnsRecords.forPod("default", java.util.Set.of("n"), services));
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 1_000; i++) {
                byte[] fast = fast(answers, query("svc-" + i, Type.A, 0), false, 0);
                assertThat(new Message(fast).getSection(Section.ANSWER).get(0).rdataToString())
                        .isEqualTo(IpAddress.parse("10.1.0.0").plus(2 + i).toString());
            }
        }
    }

    /**
     * Queries of every kind above with random bytes changed: whatever the fast path still answers, it answers with the
     * general path's bytes.
     */
    @Test
    void whateverItAnswersTheGeneralPathAnswersAlike() throws Exception {
        WireAnswers answers = new WireAnswers(NAMES);
        Random random = new Random(0x20);
        List<byte[]> seeds = new ArrayList<>();
        for (String name : List.of("my-web", "tasks.my-web", "big", "my-web-1-x.my-network", "4.9.0.10.in-addr.arpa", "nope")) {
            for (int type : new int[] {Type.A, Type.AAAA, Type.PTR}) {
                seeds.add(query(name, type, 0));
                seeds.add(query(name, type, 1232));
                seeds.add(query(name, type, 1232, new CookieOption(new byte[8])));
            }
        }
        int answered = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] q = seeds.get(random.nextInt(seeds.size())).clone();
            for (int flips = random.nextInt(3); flips > 0; flips--) {
                int at = 2 + random.nextInt(q.length - 2);
                q[at] ^= (byte) (1 << random.nextInt(8));
            }
            boolean overTcp = random.nextBoolean();
            int rotation = random.nextInt();
            byte[] fast = fast(answers, q, overTcp, rotation);
            if (fast != null) {
                answered++;
                assertThat(HexFormat.of().formatHex(fast)).as("answer to %s", HexFormat.of().formatHex(q))
                        .isEqualTo(HexFormat.of().formatHex(general(q, NAMES, overTcp, rotation)));
            }
        }
        assertThat(answered).as("queries still of the common kind").isGreaterThan(20_000);
    }
}

package io.swarmnet.agent.dns;

import io.swarmnet.agent.netns.NetworkNamespace;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.TestNamespaces;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * 100,000 random and malformed packets at the resolver inside a real pod namespace: it must keep
 * answering valid queries, and never answer a malformed query with more bytes than it received
 * (so it can't be used to amplify traffic).
 */
@Tag("kernel")
class ResolverFuzzTest {

    private static final int PACKETS = 100_000;
    private static final int BATCH = 500;
    private final Random random = new Random(0x5eed);

    @Test
    void survivesMalformedPacketsAndNeverAmplifies() throws Exception {
        try (TestNamespaces namespaces = new TestNamespaces("sndns");
             EmbeddedDnsServer server = new EmbeddedDnsServer(null, java.time.Duration.ofSeconds(1))) {
            Path ns = namespaces.create("fuzz");
            PodRef pod = new PodRef("default", "fuzzer-1-zzzzz", "uid-fuzz");
            assertThat(server.sync(Map.of(pod, new PodResolver(ns, EmbeddedDnsServerTest.walkthroughNames())))).isEmpty();
            InetSocketAddress resolver = new InetSocketAddress("127.0.0.11", 53);
            DatagramChannel fuzz = NetworkNamespace.callInside(ns, "fuzz-client", () -> DatagramChannel.open(StandardProtocolFamily.INET));
            DatagramChannel valid = NetworkNamespace.callInside(ns, "valid-client", () -> DatagramChannel.open(StandardProtocolFamily.INET));
            try (fuzz; valid) {
                fuzz.connect(resolver).configureBlocking(false);
                valid.connect(resolver);
                valid.socket().setSoTimeout(2_000);
                byte[] template = Message.newQuery(Record.newRecord(Name.fromString("tasks.my-web."), Type.A, DClass.IN)).toWire();
                int sent = 0;
                int replies = 0;
                int amplified = 0;
                int wellFormed = 0;
                int seq = 0;
                // kept for the whole run: a reply may arrive after its batch (ids wrap only after 65,536 packets)
                Map<Integer, Integer> lengthById = new HashMap<>();
                Map<Integer, byte[]> packetById = new HashMap<>();
                java.util.List<String> examples = new java.util.ArrayList<>();
                java.util.Set<Integer> wellFormedIds = new java.util.HashSet<>();
                while (sent < PACKETS) {
                    for (int i = 0; i < BATCH && sent < PACKETS; i++, sent++) {
                        byte[] packet = malformed(template, seq++);
                        if (packet.length >= 2) {
                            int id = ((packet[0] & 0xFF) << 8) | (packet[1] & 0xFF);
                            lengthById.put(id, packet.length);
                            packetById.put(id, packet);
                            wellFormedIds.remove(id);
                            if (isWellFormedQuery(packet)) {
                                // a flip can leave a valid query, even for one of our names: answered in full
                                wellFormedIds.add(id);
                                wellFormed++;
                            }
                        }
                        fuzz.write(ByteBuffer.wrap(packet));
                    }
                    ByteBuffer in = ByteBuffer.allocate(65_535);
                    long quietUntil = System.nanoTime() + 50_000_000L;
                    while (System.nanoTime() < quietUntil) {
                        in.clear();
                        if (fuzz.read(in) > 0) {
                            replies++;
                            int id = ((in.get(0) & 0xFF) << 8) | (in.get(1) & 0xFF);
                            Integer length = lengthById.get(id);
                            if (length == null || (in.position() > length && !wellFormedIds.contains(id))) {
                                amplified++;
                                if (examples.size() < 5) {
                                    examples.add("query " + java.util.HexFormat.of().formatHex(packetById.getOrDefault(id, new byte[0]))
                                            + " -> reply of " + in.position() + " bytes");
                                }
                            }
                            quietUntil = System.nanoTime() + 50_000_000L;
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                    assertThat(answersValidQuery(valid)).as("valid query answered after %d malformed packets", sent).isTrue();
                }
                System.out.printf("fuzz: %d packets sent (%d still well-formed queries), %d replies, %d malformed ones answered"
                        + " with more bytes than received%n", sent, wellFormed, replies, amplified);
                assertThat(amplified).as("malformed queries answered with more bytes than received, e.g. %s", examples).isZero();
                assertThat(replies).as("malformed queries with a header get a FORMERR/NOTIMP/SERVFAIL").isGreaterThan(PACKETS / 4);
            }
        }
    }

    /** A standard query with exactly one question that parses completely. */
    private static boolean isWellFormedQuery(byte[] packet) {
        try {
            Message m = new Message(packet);
            return m.getHeader().getOpcode() == 0 && !m.getHeader().getFlag(org.xbill.DNS.Flags.QR)
                    && m.getHeader().getCount(Section.QUESTION) == 1;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Like any DNS client, retries a lost datagram; a resolver that stopped answering fails all three. */
    private static boolean answersValidQuery(DatagramChannel valid) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return answersValidQueryOnce(valid);
            } catch (java.net.SocketTimeoutException e) {
                // lost behind a full socket queue of fuzz packets: ask again
            }
        }
        return false;
    }

    private static boolean answersValidQueryOnce(DatagramChannel valid) throws IOException {
        Message query = Message.newQuery(Record.newRecord(Name.fromString("my-web."), Type.A, DClass.IN));
        valid.write(ByteBuffer.wrap(query.toWire()));
        ByteBuffer in = ByteBuffer.allocate(4096);
        valid.socket().getChannel().configureBlocking(true);
        java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[4096], 4096);
        valid.socket().receive(packet);
        Message reply = new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
        return reply.getHeader().getID() == query.getHeader().getID()
                && reply.getSection(Section.ANSWER).stream().anyMatch(r -> r.rdataToString().equals("10.0.9.2"));
    }

    /** One of several kinds of broken packet, chosen by the sequence number, with a fresh id. */
    private byte[] malformed(byte[] template, int seq) {
        Function<byte[], byte[]>[] kinds = kinds();
        byte[] packet = kinds[seq % kinds.length].apply(template.clone());
        if (packet.length >= 2) {
            packet[0] = (byte) (seq >> 8);
            packet[1] = (byte) seq;
        }
        return packet;
    }

    @SuppressWarnings("unchecked")
    private Function<byte[], byte[]>[] kinds() {
        return new Function[] {
            // random bytes of random length
            (Function<byte[], byte[]>) t -> bytes(random.nextInt(600)),
            // truncated header or question
            (Function<byte[], byte[]>) t -> java.util.Arrays.copyOf(t, random.nextInt(t.length)),
            // question name is a compression pointer to itself: a label loop
            (Function<byte[], byte[]>) t -> new byte[] {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 12, 0, 1, 0, 1},
            // two pointers pointing at each other
            (Function<byte[], byte[]>) t -> new byte[] {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 14, (byte) 0xC0, 12, 0, 1, 0, 1},
            // huge section counts
            (Function<byte[], byte[]>) t -> {
                for (int i = 4; i < 12; i++) {
                    t[i] = (byte) random.nextInt(256);
                }
                return t;
            },
            // wrong or random class
            (Function<byte[], byte[]>) t -> {
                int c = random.nextBoolean() ? DClass.CH : random.nextInt(65_536);
                t[t.length - 2] = (byte) (c >> 8);
                t[t.length - 1] = (byte) c;
                return t;
            },
            // random opcode and flags
            (Function<byte[], byte[]>) t -> {
                t[2] = (byte) (random.nextInt(256) & 0x7F);
                t[3] = (byte) random.nextInt(256);
                return t;
            },
            // bit flips anywhere past the id
            (Function<byte[], byte[]>) t -> {
                for (int i = 0; i < 1 + random.nextInt(4); i++) {
                    int at = 2 + random.nextInt(t.length - 2);
                    t[at] ^= (byte) (1 << random.nextInt(8));
                }
                return t;
            },
            // label length bytes that run past the end
            (Function<byte[], byte[]>) t -> {
                t[12] = (byte) (0x3F);
                return t;
            },
            // a valid query with garbage records appended
            (Function<byte[], byte[]>) t -> {
                byte[] tail = bytes(random.nextInt(200));
                byte[] joined = java.util.Arrays.copyOf(t, t.length + tail.length);
                System.arraycopy(tail, 0, joined, t.length, tail.length);
                joined[11] = 1; // claims an additional record
                return joined;
            },
        };
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}

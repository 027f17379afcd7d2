package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.dns.TruncatingUpstream.Asked;
import io.swarmnet.agent.dns.TruncatingUpstream.Tcp;
import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TXTRecord;

/**
 * Forwarded answers larger than a UDP answer may be: real {@code dig} in a real pod namespace, asking through the
 * resolver an upstream that truncates over UDP what it answers in full over TCP.
 */
@Tag("kernel")
class EmbeddedDnsLargeAnswerTest {

    private static final PodRef CLIENT = new PodRef("default", "my-busybox-1-aaaaa", "uid-client");
    /** 40 A records: about 670 bytes, more than 512 and less than dig's EDNS size of 1232. */
    private static final List<String> FORTY = new ArrayList<>();
    /** 12 TXT records of 200 characters: about 2,600 bytes, more than any UDP limit. */
    private static final List<String> WIDE = new ArrayList<>();
    private static final Map<String, List<Record>> ZONE = new HashMap<>();
    private static TestNamespaces namespaces;
    private static TruncatingUpstream upstream;
    private static EmbeddedDnsServer server;

    @BeforeAll
    static void start() throws IOException {
        Name forty = Name.fromString("forty.example.");
        Name wide = Name.fromString("wide.example.");
        List<Record> records = new ArrayList<>();
        for (int i = 1; i <= 40; i++) {
            IpAddress address = IpAddress.parse("198.51.100.0").plus(i);
            FORTY.add(address.toString());
            records.add(new ARecord(forty, DClass.IN, 60, InetAddress.getByAddress(address.bytes())));
        }
        ZONE.put("forty.example.", records);
        List<Record> texts = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            String text = String.format("record-%02d-", i) + "x".repeat(190);
            WIDE.add(text);
            texts.add(new TXTRecord(wide, DClass.IN, 60, text));
        }
        ZONE.put("wide.example.", texts);
        ZONE.put("my-web.svc.cluster.local.", List.of(new ARecord(Name.fromString("my-web.svc.cluster.local."), DClass.IN, 60,
                InetAddress.getByName("192.0.2.80"))));
        namespaces = new TestNamespaces("sntcp");
        upstream = new TruncatingUpstream(ZONE, Tcp.ANSWERS);
        server = serve("client", upstream, Duration.ofSeconds(2));
    }

    private static EmbeddedDnsServer serve(String ns, TruncatingUpstream upstream, Duration timeout) throws IOException {
        Path namespace = namespaces.create(ns);
        EmbeddedDnsServer resolver = new EmbeddedDnsServer(upstream.address(), timeout);
        assertThat(resolver.sync(Map.of(CLIENT, new PodResolver(namespace, EmbeddedDnsServerTest.walkthroughNames())))).isEmpty();
        return resolver;
    }

    @BeforeEach
    void forgetEarlierQuestions() {
        upstream.forget();
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (namespaces != null) {
            namespaces.close();
        }
    }

    private static String dig(String ns, String... args) throws IOException {
        return EmbeddedDnsServerTest.dig(namespaces, ns, args);
    }

    /** The flags of dig's answer header, as in ";; flags: qr tc rd ra;". */
    private static List<String> flags(String digOutput) {
        String line = digOutput.lines().filter(l -> l.startsWith(";; flags:")).findFirst().orElseThrow();
        return List.of(line.substring(";; flags:".length(), line.indexOf(';', ";; flags:".length())).trim().split(" "));
    }

    /** The data of the answer records of {@code type} (unquoted for TXT). */
    private static List<String> answers(String digOutput, String type) {
        // name, TTL, class, type, data: dig separates them with tabs or, after a long name, spaces
        return digOutput.lines().filter(l -> !l.startsWith(";")).map(l -> l.split("\\s+", 5))
                .filter(fields -> fields.length == 5 && fields[3].equals(type)).map(fields -> fields[4].replace("\"", "")).toList();
    }

    private static List<String> bigTasks() {
        return EmbeddedDnsServerTest.walkthroughNames().lookup("tasks.big").orElseThrow().stream().map(IpAddress::toString).toList();
    }

    @Test
    void queryOverTcpIsForwardedOverTcpAndGetsEveryRecord() throws IOException {
        String answer = dig("client", "+tcp", "TXT", "wide.example");
        assertThat(flags(answer)).doesNotContain("tc");
        assertThat(answers(answer, "TXT")).containsExactlyInAnyOrderElementsOf(WIDE);
        assertThat(upstream.asked()).containsExactly(new Asked("tcp", "wide.example."));
    }

    @Test
    void udpClientIsToldToRetryOverTcpAndItsRetryGetsEveryRecord() throws IOException {
        // plain dig: UDP with EDNS 1232 first, TCP after a truncated answer
        String answer = dig("client", "TXT", "wide.example");
        assertThat(answer).contains("Truncated, retrying in TCP mode");
        assertThat(answers(answer, "TXT")).containsExactlyInAnyOrderElementsOf(WIDE);
        assertThat(upstream.asked()).contains(new Asked("udp", "wide.example."), new Asked("tcp", "wide.example."));
    }

    @Test
    void truncatedUpstreamAnswerIsFetchedOverTcpAndSentOverUdpWhereItFits() throws IOException {
        String answer = dig("client", "+notcp", "+ignore", "forty.example");
        assertThat(flags(answer)).doesNotContain("tc");
        assertThat(answers(answer, "A")).containsExactlyInAnyOrderElementsOf(FORTY);
        assertThat(upstream.asked()).containsExactly(new Asked("udp", "forty.example."), new Asked("tcp", "forty.example."));
    }

    @Test
    void answerLargerThanAClientsUdpLimitIsTruncatedAndCompleteOnItsRetry() throws IOException {
        String truncated = dig("client", "+noedns", "+notcp", "+ignore", "forty.example");
        assertThat(flags(truncated)).contains("tc");
        assertThat(answers(truncated, "A")).isEmpty();
        assertThat(upstream.asked()).contains(new Asked("tcp", "forty.example."));

        String retried = dig("client", "+noedns", "forty.example");
        assertThat(retried).contains("Truncated, retrying in TCP mode");
        assertThat(answers(retried, "A")).containsExactlyInAnyOrderElementsOf(FORTY);
    }

    @Test
    void searchDomainFallbackAnswersOverBothTransports() throws IOException {
        // the cluster has no such name: our 100 tasks, at once over TCP and after dig's own retry over UDP
        assertThat(answers(dig("client", "+tcp", "tasks.big.default.svc.cluster.local"), "A"))
                .containsExactlyInAnyOrderElementsOf(bigTasks());
        assertThat(upstream.asked()).containsExactly(new Asked("tcp", "tasks.big.default.svc.cluster.local."));
        String overUdp = dig("client", "+noedns", "tasks.big.default.svc.cluster.local");
        assertThat(overUdp).contains("Truncated, retrying in TCP mode");
        assertThat(answers(overUdp, "A")).containsExactlyInAnyOrderElementsOf(bigTasks());
        // a name the cluster has keeps the cluster's answer over TCP as over UDP
        assertThat(dig("client", "+tcp", "+short", "my-web.svc.cluster.local").strip()).isEqualTo("192.0.2.80");
        assertThat(dig("client", "+notcp", "+short", "my-web.svc.cluster.local").strip()).isEqualTo("192.0.2.80");
    }

    @Test
    void upstreamRefusingTcpGivesServfail() throws IOException {
        try (TruncatingUpstream refusing = new TruncatingUpstream(ZONE, Tcp.REFUSES);
             EmbeddedDnsServer resolver = serve("refused", refusing, Duration.ofSeconds(2))) {
            assertThat(dig("refused", "+tcp", "TXT", "wide.example")).contains("status: SERVFAIL");
            assertThat(dig("refused", "+notcp", "+ignore", "TXT", "wide.example")).contains("status: SERVFAIL");
            // answers that fit UDP do not need TCP
            assertThat(answers(dig("refused", "+notcp", "my-web.svc.cluster.local"), "A")).containsExactly("192.0.2.80");
        }
    }

    @Test
    void upstreamSilentOverTcpGivesServfailAtTheTimeout() throws IOException {
        try (TruncatingUpstream silent = new TruncatingUpstream(ZONE, Tcp.IGNORES);
             EmbeddedDnsServer resolver = serve("silent", silent, Duration.ofMillis(500))) {
            long started = System.nanoTime();
            String answer = dig("silent", "+tcp", "TXT", "wide.example");
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(answer).contains("status: SERVFAIL");
            assertThat(took).as("dig's answer time; the resolver's upstream timeout is 500 ms").isLessThan(Duration.ofMillis(2_500));
            assertThat(silent.asked()).containsExactly(new Asked("tcp", "wide.example."));
        }
    }

    @Test
    void aForwardedQueryLostOnTheWayIsSentAgainBeforeTheTimeout() throws IOException {
        try (TruncatingUpstream lossy = new TruncatingUpstream(ZONE, Tcp.ANSWERS);
             EmbeddedDnsServer resolver = serve("lossy", lossy, Duration.ofSeconds(2))) {
            lossy.dropFirstUdpCopyOfEachQuestion();
            // dig asks once and waits 3 s; only the copy the resolver sends again (after 400 ms) is answered, within
            // the 2 s upstream timeout that would otherwise end in SERVFAIL
            String answer = dig("lossy", "+notcp", "my-web.svc.cluster.local");
            assertThat(answer).contains("status: NOERROR");
            assertThat(answers(answer, "A")).containsExactly("192.0.2.80");
            assertThat(lossy.asked()).containsExactly(new Asked("udp-lost", "my-web.svc.cluster.local."),
                    new Asked("udp", "my-web.svc.cluster.local."));
        }
    }
}

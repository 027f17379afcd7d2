package io.swarmnet.agent.attach;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WaitAttachedTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private DatagramSocket resolver;
    private Thread answering;
    private final AtomicInteger queries = new AtomicInteger();

    @BeforeEach
    void startResolver() throws Exception {
        // a DNS server on loopback that answers every query with its id and NXDOMAIN, as a resolver that knows nothing would
        resolver = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        answering = new Thread(() -> {
            byte[] buffer = new byte[512];
            while (!resolver.isClosed()) {
                try {
                    DatagramPacket query = new DatagramPacket(buffer, buffer.length);
                    resolver.receive(query);
                    queries.incrementAndGet();
                    byte[] reply = java.util.Arrays.copyOf(buffer, query.getLength());
                    reply[2] = (byte) 0x81;
                    reply[3] = (byte) 0x83;
                    resolver.send(new DatagramPacket(reply, reply.length, query.getSocketAddress()));
                } catch (java.io.IOException closed) {
                    return;
                }
            }
        });
        answering.start();
    }

    @AfterEach
    void stopResolver() throws Exception {
        resolver.close();
        answering.join(2000);
    }

    private int run(Supplier<Set<String>> local, String... args) {
        return WaitAttached.run(args, local, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), dir.resolve("termination-log"));
    }

    private String resolverFlag() {
        return "127.0.0.1:" + resolver.getLocalPort();
    }

    @Test
    void returnsOnceEveryAddressIsOnAnInterfaceAndTheResolverAnswers() {
        AtomicInteger looks = new AtomicInteger();
        // the agent adds the interfaces a few looks after the container started
        Supplier<Set<String>> local = () -> looks.incrementAndGet() < 5 ? Set.of("10.244.1.7")
                : looks.get() < 8 ? Set.of("10.244.1.7", "10.0.9.3") : Set.of("10.244.1.7", "10.0.9.3", "10.0.10.4");

        int exit = run(local, "--address", "my-network=10.0.9.3", "--address", "other=10.0.10.4", "--name", "my-web",
                "--resolver", resolverFlag(), "--timeout", "10");

        assertThat(exit).isEqualTo(WaitAttached.ATTACHED);
        assertThat(looks.get()).isGreaterThanOrEqualTo(8);
        assertThat(queries.get()).as("the resolver is asked only once the addresses are there").isGreaterThanOrEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("attached after", "my-network 10.0.9.3", "other 10.0.10.4");
    }

    @Test
    void givesUpAfterTheTimeoutNamingTheMissingAddressInTheTerminationMessage() throws Exception {
        int exit = run(() -> Set.of("10.244.1.7"), "--address", "my-network=10.0.9.3", "--name", "my-web",
                "--resolver", resolverFlag(), "--timeout", "1");

        assertThat(exit).isEqualTo(WaitAttached.NOT_ATTACHED);
        Path log = dir.resolve("termination-log");
        assertThat(log).doesNotExist(); // written only where the kubelet made the file
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("not attached after 1 s", "address 10.0.9.3 of network my-network is on no interface", "agent");
        assertThat(queries.get()).as("no point asking the resolver before the interfaces exist").isZero();

        Files.writeString(log, "");
        run(() -> Set.of(), "--address", "my-network=10.0.9.3", "--name", "my-web", "--resolver", resolverFlag(), "--timeout", "1");
        assertThat(Files.readString(log)).contains("address 10.0.9.3 of network my-network is on no interface");
    }

    @Test
    void givesUpWhenTheResolverNeverAnswers() throws Exception {
        int closedPort;
        try (DatagramSocket nothing = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            closedPort = nothing.getLocalPort();
        }
        int exit = run(() -> Set.of("10.0.9.3"), "--address", "my-network=10.0.9.3", "--name", "my-web",
                "--resolver", "127.0.0.1:" + closedPort, "--timeout", "1");

        assertThat(exit).isEqualTo(WaitAttached.NOT_ATTACHED);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("the resolver at 127.0.0.1:" + closedPort + " does not answer");
    }

    @Test
    void badArgumentsAreRefusedWithWhatToGive() {
        assertThat(run(Set::of, "--address", "my-network=10.0.9.999", "--name", "x")).isEqualTo(WaitAttached.USAGE);
        assertThat(run(Set::of, "--name", "x")).isEqualTo(WaitAttached.USAGE);
        assertThat(run(Set::of, "--address", "n=10.0.9.3", "--name", "x", "--timeout", "soon")).isEqualTo(WaitAttached.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("expected NETWORK=IPV4", "no --address given", "--timeout soon",
                "usage: swarmnet wait-attached");
    }

    @Test
    void itsQueryIsOneAQuestionForTheServiceName() throws Exception {
        org.xbill.DNS.Message parsed = new org.xbill.DNS.Message(WaitAttached.query(0xbeef, "my-web"));
        assertThat(parsed.getHeader().getID()).isEqualTo(0xbeef);
        assertThat(parsed.getHeader().getFlag(org.xbill.DNS.Flags.RD)).isTrue();
        assertThat(parsed.getQuestion().getName().toString()).isEqualTo("my-web.");
        assertThat(parsed.getQuestion().getType()).isEqualTo(org.xbill.DNS.Type.A);
        assertThat(parsed.getSectionArray(org.xbill.DNS.Section.ANSWER)).isEmpty();
    }
}

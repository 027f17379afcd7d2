package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.netns.TestNamespaces;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The resolver with two UDP threads: a socket each on the pod's one port, both answering, both closed when the pod leaves. */
@Tag("kernel")
class EmbeddedDnsUdpThreadsTest {

    private static final PodRef POD = new PodRef("default", "my-busybox-1-aaaaa", "uid-threads");

    @Test
    void everyClientIsAnsweredWhicheverSocketTheKernelPicksAndThePortIsFreeOnceThePodLeaves() throws Exception {
        try (TestNamespaces namespaces = new TestNamespaces("sndnt");
             EmbeddedDnsServer server = new EmbeddedDnsServer(null, Duration.ofSeconds(1), KernelTools.forAgent(Duration.ofSeconds(10)), 2)) {
            Path ns = namespaces.create("pod");
            assertThat(server.sync(Map.of(POD, new PodResolver(ns, EmbeddedDnsServerTest.walkthroughNames())))).isEmpty();
            int port = new RedirectTable(KernelTools.forAgent(Duration.ofSeconds(10)), false).read(ns).orElseThrow().udpPort();
            assertThat(namespaces.exec("pod", "ss", "-uan", "sport = :" + port).output().lines()
                    .filter(l -> l.contains("127.0.0.11:" + port)).count()).as("two sockets on the pod's port").isEqualTo(2);

            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 40; i++) { // 40 source ports: the kernel's hash sends some to each socket
                answers.add(NetworkNamespace.callInside(ns, "client", () -> {
                    try (DatagramChannel client = DatagramChannel.open(StandardProtocolFamily.INET)) {
                        client.connect(new InetSocketAddress("127.0.0.11", 53));
                        client.socket().setSoTimeout(2_000);
                        client.write(ByteBuffer.wrap(Message.newQuery(Record.newRecord(Name.fromString("my-web."), Type.A, DClass.IN)).toWire()));
                        byte[] reply = new byte[512];
                        java.net.DatagramPacket packet = new java.net.DatagramPacket(reply, reply.length);
                        client.socket().receive(packet);
                        return ((ARecord) new Message(java.util.Arrays.copyOf(reply, packet.getLength())).getSection(Section.ANSWER).get(0))
                                .getAddress().getHostAddress();
                    }
                }));
            }
            assertThat(answers).hasSize(40).containsOnly("10.0.9.2");

            assertThat(server.sync(Map.of())).isEmpty();
            NetworkNamespace.callInside(ns, "rebind", () -> {
                try (DatagramChannel again = DatagramChannel.open(StandardProtocolFamily.INET)) {
                    again.bind(new InetSocketAddress("127.0.0.11", port)); // no SO_REUSEPORT: only a free port binds
                }
                return null;
            });
        }
    }
}

package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.netns.NetworkNamespace;
import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Deleting a pod's connections to a removed VIP backend on a real connection tracker: the first deletion dumps the
 * table, later ones know the connections from the tracker's announcements and dump nothing.
 */
@Tag("kernel")
class ConntrackTableTest {

    private static final String VIP = "10.99.0.2";
    private static final String BACKEND = "10.99.0.21";
    private static final String OTHER = "10.99.0.22";

    private TestNamespaces namespaces;
    private Path pod;
    private NetNamespace namespace;
    private final ConntrackTable table = new ConntrackTable(Duration.ofSeconds(5));

    @BeforeEach
    void podWithAVip() throws Exception {
        KernelAvailability.assumeKernelTestsCanRun("ip", "nft", "conntrack");
        namespaces = new TestNamespaces("snct");
        pod = namespaces.create("pod");
        namespace = NetNamespace.of(pod);
        must(namespaces.exec("pod", "ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1"));
        must(namespaces.exec("pod", "ip", "link", "set", "d0", "up"));
        must(namespaces.exec("pod", "ip", "link", "set", "d1", "up"));
        must(namespaces.exec("pod", "ip", "addr", "add", BACKEND + "/24", "dev", "d0"));
        must(namespaces.exec("pod", "ip", "addr", "add", OTHER + "/24", "dev", "d0"));
        // the VIP's connections are DNATed to the backend, as a pod's VIP table does
        must(namespaces.exec("pod", "nft", "add table ip t; add chain ip t out { type nat hook output priority -100; }; "
                + "add rule ip t out ip daddr " + VIP + " dnat to " + BACKEND));
    }

    @AfterEach
    void remove() throws Exception {
        table.close();
        if (namespaces != null) {
            namespaces.close();
        }
    }

    @Test
    void laterDeletionsKnowThePodsConnectionsFromTheTrackersAnnouncementsAndDumpNothing() throws Exception {
        StaleVipFlows stale = new StaleVipFlows(IpAddress.parse(VIP), IpAddress.parse(BACKEND), false);
        open(5, VIP);
        open(2, OTHER);
        assertThat(entries()).isEqualTo(7);

        assertThat(table.delete(namespace, List.of(stale))).as("the first deletion finds the 5 flows in a dump").isEqualTo(5);
        assertThat(table.dumps(namespace)).isEqualTo(1);
        assertThat(entries()).as("the connections not bound for the backend stay").isEqualTo(2);

        open(3, VIP);
        assertThat(table.delete(namespace, List.of(stale))).as("3 flows made since, known from announcements").isEqualTo(3);
        assertThat(table.dumps(namespace)).as("no second dump").isEqualTo(1);
        assertThat(entries()).isEqualTo(2);
        assertThat(table.delete(namespace, List.of(stale))).as("nothing left to delete").isZero();

        // a connection that ended by itself is announced as destroyed and not deleted twice
        open(1, VIP);
        must(namespaces.exec("pod", "conntrack", "-D", "-d", VIP));
        assertThat(table.delete(namespace, List.of(stale))).isZero();
        assertThat(table.dumps(namespace)).isEqualTo(1);

        table.retain(Set.of());
        assertThat(table.followed()).as("sockets let go when the pod is no longer listed").isEmpty();
        open(2, VIP);
        assertThat(table.delete(namespace, List.of(stale))).as("followed afresh: a dump again").isEqualTo(2);
        assertThat(table.dumps(namespace)).isEqualTo(1);
    }

    @Test
    void aFollowedPodsFirstDeletionFindsItsConnectionsAlreadyKnown() throws Exception {
        StaleVipFlows stale = new StaleVipFlows(IpAddress.parse(VIP), IpAddress.parse(BACKEND), false);
        open(2, VIP);
        table.follow(Set.of(namespace));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (table.dumps(namespace) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(table.dumps(namespace)).as("the pod's table dumped in the background").isEqualTo(1);
        open(3, VIP);

        assertThat(table.delete(namespace, List.of(stale))).as("the 2 dumped and the 3 announced").isEqualTo(5);
        assertThat(table.dumps(namespace)).as("the deletion itself dumps nothing").isEqualTo(1);
        table.follow(Set.of(namespace));
        assertThat(table.followed()).containsExactly(namespace);
    }

    /** {@code count} UDP flows from the pod to {@code destination}:7000, each from its own source port. */
    private void open(int count, String destination) throws Exception {
        NetworkNamespace.callInside(pod, "ct-client", () -> {
            for (int i = 0; i < count; i++) {
                try (DatagramChannel channel = DatagramChannel.open()) {
                    channel.send(ByteBuffer.wrap(new byte[] {1}), new InetSocketAddress(destination, 7000));
                }
            }
            return null;
        });
    }

    private int entries() throws Exception {
        TestNamespaces.Result list = namespaces.exec("pod", "conntrack", "-L", "-p", "udp");
        must(list);
        return (int) list.output().lines().filter(l -> l.startsWith("udp")).count();
    }

    private static void must(TestNamespaces.Result result) {
        assertThat(result.exit()).as(result.output()).isZero();
    }
}

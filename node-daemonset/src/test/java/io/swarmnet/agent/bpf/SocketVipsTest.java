package io.swarmnet.agent.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.datapath.KernelAvailability;
import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The node's VIPs written into the socket load balancer's maps in the kernel, and only what changed. */
@Tag("kernel")
class SocketVipsTest {

    private static final IpAddress WEB = ip("10.77.0.2");
    private static final IpAddress DB = ip("10.77.0.3");

    private TestNamespaces namespaces;
    private SocketLoadBalancer balancer;
    private long first;
    private long second;

    @BeforeEach
    void start() throws IOException {
        KernelAvailability.assumeKernelTestsCanRun("ip");
        Path cgroup = SocketLoadBalancer.cgroup2Root().orElse(null);
        assumeTrue(cgroup != null, "the socket load balancer needs a cgroup2 mount (none in /proc/self/mountinfo)");
        namespaces = new TestNamespaces("ssv");
        first = Bpf.netnsCookie(namespaces.create("first"));
        second = Bpf.netnsCookie(namespaces.create("second"));
        balancer = SocketLoadBalancer.attach(cgroup, "ssvt");
    }

    @AfterEach
    void stop() throws IOException {
        if (balancer != null) {
            balancer.close();
        }
        if (namespaces != null) {
            namespaces.close();
        }
    }

    @Test
    void onlyWhatDiffersIsWrittenAndTheMapsSayWhatWasAsked() throws IOException {
        SocketVips vips = new SocketVips(balancer);
        SocketVips.Result created = vips.apply(Map.of(
                first, Map.of(WEB, List.of(ip("10.77.1.1"), ip("10.77.1.2")), DB, List.of(ip("10.77.1.3"))),
                second, Map.of(WEB, List.of(ip("10.77.1.1"), ip("10.77.1.2")))));
        assertThat(created).isEqualTo(new SocketVips.Result(2, 0, 3, 0, List.of()));
        assertThat(balancer.routes()).isEqualTo(Map.of(first, Set.of(WEB, DB), second, Set.of(WEB)));
        assertThat(balancer.groups()).isEqualTo(Map.of(SocketVips.group(WEB), List.of(ip("10.77.1.1"), ip("10.77.1.2")),
                SocketVips.group(DB), List.of(ip("10.77.1.3"))));

        // a backend of web leaves: one group rewritten, whatever the number of pods; no route touched
        SocketVips.Result changed = vips.apply(Map.of(
                first, Map.of(WEB, List.of(ip("10.77.1.2")), DB, List.of(ip("10.77.1.3"))),
                second, Map.of(WEB, List.of(ip("10.77.1.2")))));
        assertThat(changed).isEqualTo(new SocketVips.Result(1, 0, 0, 0, List.of(), Map.of(WEB, Set.of(ip("10.77.1.1")))));
        assertThat(balancer.groups().get(SocketVips.group(WEB))).containsExactly(ip("10.77.1.2"));

        // the second pod goes, and db leaves the first one's networks
        SocketVips.Result gone = vips.apply(Map.of(first, Map.of(WEB, List.of(ip("10.77.1.2")))));
        assertThat(gone).as("db's backend left with db").isEqualTo(new SocketVips.Result(0, 1, 0, 2, List.of(),
                Map.of(DB, Set.of(ip("10.77.1.3")))));
        assertThat(balancer.routes()).isEqualTo(Map.of(first, Set.of(WEB)));
        assertThat(balancer.groups()).containsOnlyKeys(SocketVips.group(WEB));

        // what a restarted agent does with adopted maps: it reads them first, and the same VIPs need no write
        SocketVips restarted = new SocketVips(balancer);
        assertThat(restarted.apply(Map.of(first, Map.of(WEB, List.of(ip("10.77.1.2"))))))
                .isEqualTo(new SocketVips.Result(0, 0, 0, 0, List.of()));

        // another writer changes web's group behind this one's back: found after forget(), and set right
        balancer.backends(SocketVips.group(WEB), List.of(ip("10.77.1.9")), 1);
        assertThat(restarted.apply(Map.of(first, Map.of(WEB, List.of(ip("10.77.1.2")))))).as("before forget(): what it remembers")
                .isEqualTo(new SocketVips.Result(0, 0, 0, 0, List.of()));
        restarted.forget();
        assertThat(restarted.apply(Map.of(first, Map.of(WEB, List.of(ip("10.77.1.2")))))).as("after forget()")
                .isEqualTo(new SocketVips.Result(1, 0, 0, 0, List.of(), Map.of(WEB, Set.of(ip("10.77.1.9")))));
        assertThat(balancer.groups().get(SocketVips.group(WEB))).containsExactly(ip("10.77.1.2"));
    }

    @Test
    void aVipClaimedWithOtherBackendsByASecondPodIsReportedAndNotRoutedThere() throws IOException {
        SocketVips.Result result = new SocketVips(balancer).apply(Map.of(
                first, Map.of(WEB, List.of(ip("10.77.1.1"))),
                second, Map.of(WEB, List.of(ip("10.88.1.1")))));
        assertThat(result.problems()).singleElement().asString().contains("VIP " + WEB).contains("10.88.1.1");
        assertThat(balancer.routes()).isEqualTo(Map.of(Math.min(first, second), Set.of(WEB)));
        assertThat(balancer.groups().get(SocketVips.group(WEB))).hasSize(1);
    }

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }
}

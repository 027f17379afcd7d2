package io.swarmnet.agent.e2e;

import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.bpf.SocketLoadBalancer;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.PodAttachmentMode;
import io.swarmnet.agent.datapath.VipBalancing;
import io.swarmnet.agent.dns.DnsSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The agents balancing VIPs at the socket ({@code SWARMNET_VIP_BALANCING=socket}): two simulated nodes, a service of
 * three tasks serving HTTP (busybox httpd) on both, a client task reaching it through its VIP with curl and finding
 * the VIP by name with dig — every task answers, none of the connections is tracked or translated in the client, the client's VIP table has no NAT
 * chain; a task that stops being ready is no longer chosen and comes back when ready again; a VIP without tasks refuses;
 * the connections balanced to a task that is gone are ended by the agent.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VipAtTheSocketEndToEndTest {

    private static final String VIP = "10.236.0.2";
    private static final String EMPTY_VIP = "10.236.0.4";
    private static final Map<String, String> WEB = Map.of("web-1", "10.236.0.21", "web-2", "10.236.0.22", "web-3", "10.236.0.23");

    private AgentCluster stage;
    private Path temp;

    @BeforeAll
    void start() throws Exception {
        AgentCluster.assumeRootWith("ip", "bridge", "nft", "busybox", "curl", "dig", "python3", "conntrack", "ss");
        assumeTrue(SocketLoadBalancer.cgroup2Root().isPresent(), "balancing at the socket needs a cgroup2 mount (none in /proc/self/mountinfo)");
        stage = AgentCluster.start(2, PodAttachmentMode.DEFAULT, VipBalancing.SOCKET);
        stage.createWithStatus(network("front").allocated("10.236.0.0/24", "10.236.0.1", 4706).build());
        stage.createWithStatus(service("web").network("front").vip("front", VIP).build());
        stage.createWithStatus(service("empty").network("front").vip("front", EMPTY_VIP).build());
        stage.createWithStatus(service("client").network("front").vip("front", "10.236.0.3").build());
        stage.runAgents(new DnsSettings(Optional.empty(), Duration.ofSeconds(1)).withUntrackedRedirect(true));
        stage.runTask("client-1", "client", 1, Map.of("front", "10.236.0.10"));
        stage.runTask("web-1", "web", 2, Map.of("front", WEB.get("web-1")));
        stage.runTask("web-2", "web", 2, Map.of("front", WEB.get("web-2")));
        stage.runTask("web-3", "web", 1, Map.of("front", WEB.get("web-3")));
        stage.awaitAttached("client-1", "web-1", "web-2", "web-3");
        temp = Files.createTempDirectory("swarmnet-socket-vip");
        for (String task : WEB.keySet()) {
            Path site = Files.createDirectories(temp.resolve(task));
            Files.writeString(site.resolve("index.html"), task + "\n");
            stage.simulation().startProcess(stage.pod(task), "busybox", "httpd", "-f", "-p", "8080", "-h", site.toString());
        }
        AgentCluster.await("every web task answers through the VIP", () -> answering(VIP, 30).containsAll(WEB.keySet()), Duration.ofSeconds(20));
    }

    @AfterAll
    void stop() throws java.io.IOException {
        if (stage != null) {
            stage.close();
        }
        if (temp != null) {
            try (var files = Files.walk(temp)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void everyTaskAnswersThroughTheVipAndTheNameWithNothingTrackedOrTranslated() {
        assertThat(answering(VIP, 30)).containsExactlyInAnyOrderElementsOf(WEB.keySet());
        // the name, at the resolver in the task: 127.0.0.11:53 rewritten to its ports without NAT, over UDP and TCP
        KernelTools.Result name = stage.exec("client-1", "dig", "+short", "+time=2", "+tries=2", "@127.0.0.11", "web");
        assertThat(name.stdout().strip()).as("web at 127.0.0.11: %s", name.describe()).isEqualTo(VIP);
        KernelTools.Result overTcp = stage.exec("client-1", "dig", "+tcp", "+short", "+time=2", "+tries=2", "@127.0.0.11", "web");
        assertThat(overTcp.stdout().strip()).as("web at 127.0.0.11 over TCP: %s", overTcp.describe()).isEqualTo(VIP);

        String table = stage.exec("client-1", "nft", "list", "table", "ip", stage.node(1).datapathPrefix() + "_vip").stdout();
        assertThat(table).as("the client's VIP table").contains("chain refuse").contains("chain isolate").doesNotContain("type nat")
                .doesNotContain("dnat");
        String redirect = stage.exec("client-1", "nft", "list", "table", "ip", "swarmnet_dns").stdout();
        assertThat(redirect).as("the client's DNS redirect").contains("dport set").doesNotContain("type nat").doesNotContain("dnat");
        // nothing in the task asks the kernel to track connections: not one of the HTTP or DNS exchanges above is
        KernelTools.Result tracked = stage.exec("client-1", "conntrack", "-L");
        assertThat(tracked.stdout()).as("connections the client's kernel tracked (%s)", tracked.stderr()).isBlank();
    }

    @Test
    @Order(2)
    void aTaskThatIsNotReadyIsNoLongerChosenAndComesBackWhenReady() {
        stage.setContainersReady("web-2", false);
        AgentCluster.await("web-2 no longer chosen", () -> !answering(VIP, 20).contains("web-2"), Duration.ofSeconds(10));
        assertThat(answering(VIP, 30)).containsExactlyInAnyOrder("web-1", "web-3");
        stage.setContainersReady("web-2", true);
        AgentCluster.await("web-2 chosen again", () -> answering(VIP, 30).contains("web-2"), Duration.ofSeconds(10));
    }

    @Test
    @Order(3)
    void aVipWithoutTasksRefusesConnections() {
        KernelTools.Result refused = stage.exec("client-1", "python3", "-c", "import socket, errno; s = socket.socket(); s.settimeout(3); "
                + "print(errno.errorcode.get(s.connect_ex(('" + EMPTY_VIP + "', 8080))))");
        assertThat(refused.stdout().strip()).as("connect to a VIP without tasks: %s", refused.describe()).isEqualTo("ECONNREFUSED");
    }

    @Test
    @Order(4)
    void theConnectionsBalancedToATaskThatIsGoneAreEnded() throws Exception {
        // 30 connections through the VIP, held open: a task has none of them once in 2^17 runs
        Process holder = stage.simulation().startProcess(stage.pod("client-1"), "python3", "-c",
                "import socket, time\nc = [socket.create_connection(('" + VIP + "', 8080), 3) for _ in range(30)]\ntime.sleep(60)");
        try {
            String leaving = WEB.get("web-3");
            AgentCluster.await("30 connections held", () -> established(null) == 30, Duration.ofSeconds(10));
            int toLeaving = established(leaving);
            assertThat(toLeaving).as("connections balanced to web-3").isPositive();
            stage.deleteTask("web-3");
            // the task's namespace goes with it: nothing would reset these connections; the agent ends them
            AgentCluster.await("the connections to web-3 ended", () -> established(leaving) == 0, Duration.ofSeconds(15));
            assertThat(established(null)).as("the others stay").isEqualTo(30 - toLeaving);
        } finally {
            holder.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** Established TCP connections in client-1 to port 8080 (of {@code peer} only, unless null). */
    private int established(String peer) {
        KernelTools.Result ss = stage.exec("client-1", "ss", "-Htn", "state", "established", "( dport = :8080 )");
        return (int) ss.stdout().lines().filter(l -> peer == null || l.contains(peer + ":8080")).count();
    }

    /** Which tasks answered {@code count} requests from client-1 to http://{@code target}:8080/. */
    private Set<String> answering(String target, int count) {
        Set<String> answered = new HashSet<>();
        for (int i = 0; i < count; i++) {
            KernelTools.Result page = stage.exec("client-1", "curl", "-sS", "--max-time", "3", "http://" + target + ":8080/");
            if (page.ok()) {
                answered.add(page.stdout().strip());
            }
        }
        return answered;
    }
}

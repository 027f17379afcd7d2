package io.swarmnet.agent.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.agent.datapath.KernelAvailability;
import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.agent.netns.NetworkNamespace;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The socket load balancer on this machine's kernel, with real clients (curl, dig, busybox wget) and servers (python's
 * HTTP server, dnsmasq) in namespaces of our own: a client namespace routed to a VIP reaches the VIP's backends with
 * no NAT rule and no conntrack entry anywhere, answers seem to come from the VIP, a group without backends refuses,
 * and a namespace without routes, and every namespace once the balancer is closed, is left alone.
 */
@Tag("kernel")
class SocketLoadBalancerTest {

    private static final IpAddress VIP = IpAddress.parse("198.18.99.100");
    private static final IpAddress EMPTY_VIP = IpAddress.parse("198.18.99.101");
    private static final IpAddress FIRST = IpAddress.parse("198.18.99.2");
    private static final IpAddress SECOND = IpAddress.parse("198.18.99.3");

    private TestNamespaces namespaces;
    private SocketLoadBalancer balancer;
    private final List<Process> servers = new ArrayList<>();
    private Path content;
    private Path cgroup;
    private long client;

    @BeforeEach
    void start() throws Exception {
        KernelAvailability.assumeKernelTestsCanRun("ip", "python3", "curl", "dig", "dnsmasq", "busybox", "conntrack");
        cgroup = SocketLoadBalancer.cgroup2Root().orElse(null);
        assumeTrue(cgroup != null, "the socket load balancer needs a cgroup2 mount (none in /proc/self/mountinfo)");
        namespaces = new TestNamespaces("ssl");
        client = Bpf.netnsCookie(namespaces.create("client"));
        namespaces.create("server");
        namespaces.create("other");
        String prefix = namespaces.names().get(0).replace("client", "");
        must(TestNamespaces.run(List.of("ip", "-n", prefix + "client", "link", "add", "c0", "type", "veth", "peer", "name", "s0",
                "netns", prefix + "server")));
        must(TestNamespaces.run(List.of("ip", "-n", prefix + "other", "link", "add", "o0", "type", "veth", "peer", "name", "s1",
                "netns", prefix + "server")));
        must(namespaces.exec("client", "ip", "addr", "add", "198.18.99.1/24", "dev", "c0"));
        must(namespaces.exec("client", "ip", "link", "set", "c0", "up"));
        must(namespaces.exec("other", "ip", "addr", "add", "198.18.98.1/24", "dev", "o0"));
        must(namespaces.exec("other", "ip", "link", "set", "o0", "up"));
        must(namespaces.exec("other", "ip", "route", "add", "198.18.99.0/24", "via", "198.18.98.2"));
        must(namespaces.exec("server", "ip", "addr", "add", FIRST + "/24", "dev", "s0"));
        must(namespaces.exec("server", "ip", "addr", "add", SECOND + "/24", "dev", "s0"));
        must(namespaces.exec("server", "ip", "addr", "add", "198.18.98.2/24", "dev", "s1"));
        must(namespaces.exec("server", "ip", "link", "set", "s0", "up"));
        must(namespaces.exec("server", "ip", "link", "set", "s1", "up"));
        content = Files.createTempDirectory("ssl-http");
        for (IpAddress backend : List.of(FIRST, SECOND)) {
            Path dir = Files.createDirectories(content.resolve(backend.toString()));
            Files.writeString(dir.resolve("index.html"), "backend " + backend + "\n");
            serve("server", "python3", "-m", "http.server", "8080", "--bind", backend.toString(), "--directory", dir.toString());
        }
        serve("server", "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=" + FIRST + "," + SECOND, "--except-interface=lo", "--port=53", "--user=root",
                "--pid-file=" + content.resolve("dnsmasq.pid"), "--address=/web.example/10.0.9.5");
        awaitListening();
    }

    @AfterEach
    void stop() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (Process server : servers) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (namespaces != null) {
            namespaces.close();
        }
        if (content != null) {
            try (var files = Files.walk(content)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aNamespaceRoutedToAVipReachesEveryBackendWithoutNatOrConntrack() throws IOException {
        balancer = SocketLoadBalancer.attach(cgroup, "sslt");
        balancer.backends(1, List.of(FIRST, SECOND), 0);
        balancer.route(client, VIP, 1);

        Set<String> answered = new HashSet<>();
        for (int i = 0; i < 30 && answered.size() < 2; i++) {
            TestNamespaces.Result curl = namespaces.exec("client", "curl", "-sS", "--max-time", "5", "http://" + VIP + ":8080/");
            assertThat(curl.exit()).as("curl to the VIP: %s", curl.output()).isZero();
            answered.add(curl.output().strip());
        }
        assertThat(answered).containsExactlyInAnyOrder("backend " + FIRST, "backend " + SECOND);

        // busybox wget's own -T option crashes Debian 12's busybox: timeout(1) bounds it instead
        TestNamespaces.Result wget = namespaces.exec("client", "timeout", "5", "busybox", "wget", "-q", "-O", "-", "http://" + VIP + ":8080/");
        assertThat(wget.output()).as("busybox wget to the VIP (exit %d)", wget.exit()).startsWith("backend ");

        // UDP: dig sends to the VIP and accepts only an answer from it; the backend's answer is shown as the VIP's
        TestNamespaces.Result dig = namespaces.exec("client", "dig", "+short", "+time=2", "+tries=1", "@" + VIP, "web.example");
        assertThat(dig.output().strip()).as("dig through the VIP: %s", dig.output()).isEqualTo("10.0.9.5");

        assertThat(namespaces.exec("client", "conntrack", "-L").output()).as("conntrack entries in the client")
                .doesNotContain(VIP.toString()).doesNotContain("dport=8080");
        assertThat(namespaces.exec("client", "nft", "list", "ruleset").output()).as("no nftables rule anywhere").isBlank();
        assertThat(namespaces.exec("server", "nft", "list", "ruleset").output()).isBlank();
    }

    @Test
    void aDualStackClientIsBalancedThroughItsIpv4MappedAddresses() throws IOException {
        balancer = SocketLoadBalancer.attach(cgroup, "sslt");
        balancer.backends(1, List.of(FIRST, SECOND), 0);
        balancer.route(client, VIP, 1);
        Path clientNamespace = Path.of("/run/netns", namespaces.names().get(0));
        // Java's sockets are IPv6 sockets that reach IPv4 through ::ffff:a.b.c.d: the connect6/sendmsg6/recvmsg6 programs
        String page = NetworkNamespace.callInside(clientNamespace, "ssl-tcp", () -> {
            try (Socket tcp = new Socket()) {
                tcp.connect(new InetSocketAddress(InetAddress.getByName(VIP.toString()), 8080), 5000);
                tcp.setSoTimeout(5000);
                tcp.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                return new String(tcp.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            }
        });
        assertThat(page).startsWith("HTTP/1.0 200").containsPattern("backend 198\\.18\\.99\\.[23]");

        // a DNS query for web.example, type A (id 0x5353, recursion desired), sent unconnected
        byte[] query = {0x53, 0x53, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'e', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1};
        DatagramPacket answer = NetworkNamespace.callInside(clientNamespace, "ssl-udp", () -> {
            try (DatagramSocket udp = new DatagramSocket()) {
                udp.setSoTimeout(5000);
                udp.send(new DatagramPacket(query, query.length, InetAddress.getByName(VIP.toString()), 53));
                DatagramPacket received = new DatagramPacket(new byte[512], 512);
                udp.receive(received);
                return received;
            }
        });
        assertThat(answer.getSocketAddress()).as("where the answer seemed to come from")
                .isEqualTo(new InetSocketAddress(InetAddress.getByName(VIP.toString()), 53));
        assertThat(answer.getData()[0]).as("the answer to our query").isEqualTo((byte) 0x53);
    }

    @Test
    void theSocketsBalancedToABackendThatLeftAreEndedAndDirectOnesAreNot() throws Exception {
        balancer = SocketLoadBalancer.attach(cgroup, "sslt");
        balancer.backends(1, List.of(FIRST), 0);
        balancer.route(client, VIP, 1);
        Path clientNamespace = Path.of("/run/netns", namespaces.names().get(0));
        InetAddress vip = InetAddress.getByName(VIP.toString());
        InetAddress first = InetAddress.getByName(FIRST.toString());
        List<java.io.Closeable> sockets = NetworkNamespace.callInside(clientNamespace, "ssl-sockets", () -> {
            Socket viaVip = new Socket();
            viaVip.connect(new InetSocketAddress(vip, 8080), 5000);
            Socket direct = new Socket();
            direct.connect(new InetSocketAddress(first, 8080), 5000);
            DatagramSocket udpViaVip = new DatagramSocket();
            udpViaVip.connect(new InetSocketAddress(vip, 53));
            DatagramSocket udpDirect = new DatagramSocket();
            udpDirect.connect(new InetSocketAddress(first, 53));
            return List.of(viaVip, direct, udpViaVip, udpDirect);
        });
        try {
            SocketLoadBalancer lb = balancer;
            BalancedSockets.Balanced fromVip = (cookie, peer, port, tcp) -> lb.origin(cookie, peer, port).filter(VIP::equals).isPresent();
            // only not ready: connected UDP sockets end, TCP connections stay
            assertThat(BalancedSockets.end(clientNamespace, Set.of(FIRST), false, fromVip)).as("UDP sockets ended").isEqualTo(1);
            // gone: the TCP connection through the VIP ends too; the direct ones stay
            assertThat(BalancedSockets.end(clientNamespace, Set.of(FIRST), true, fromVip)).as("TCP sockets ended").isEqualTo(1);
            Socket viaVip = (Socket) sockets.get(0);
            viaVip.setSoTimeout(5000);
            assertThatThrownBy(() -> viaVip.getInputStream().read()).as("the balanced connection, ended").isInstanceOf(IOException.class)
                    .hasMessageContaining("abort");
            Socket direct = (Socket) sockets.get(1);
            direct.setSoTimeout(5000);
            direct.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(direct.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).as("the direct connection")
                    .contains("backend " + FIRST);
            assertThatThrownBy(() -> ((DatagramSocket) sockets.get(2)).send(new DatagramPacket(new byte[1], 1)))
                    .as("the balanced UDP socket, ended").isInstanceOf(IOException.class);
            ((DatagramSocket) sockets.get(3)).send(new DatagramPacket(new byte[1], 1));
        } finally {
            for (java.io.Closeable socket : sockets) {
                socket.close();
            }
        }
    }

    @Test
    void aGroupWithoutBackendsRefusesAndAnUnroutedNamespaceIsLeftAlone() throws IOException {
        balancer = SocketLoadBalancer.attach(cgroup, "sslt");
        balancer.backends(1, List.of(FIRST), 0);
        balancer.backends(2, List.of(), 0);
        balancer.route(client, VIP, 1);
        balancer.route(client, EMPTY_VIP, 2);

        TestNamespaces.Result refused = namespaces.exec("client", "python3", "-c", "import socket, errno; s = socket.socket(); "
                + "s.settimeout(3); print(errno.errorcode.get(s.connect_ex(('" + EMPTY_VIP + "', 8080))))");
        assertThat(refused.output().strip()).as("connect to a VIP without backends").isEqualTo("ECONNREFUSED");

        // the other namespace has no route: its connect to the VIP goes out as asked, and nothing there answers
        TestNamespaces.Result other = namespaces.exec("other", "curl", "-sS", "--max-time", "2", "http://" + VIP + ":8080/");
        assertThat(other.exit()).as("an unrouted namespace's curl: %s", other.output()).isNotZero();
        assertThat(namespaces.exec("other", "curl", "-sS", "--max-time", "5", "http://" + FIRST + ":8080/").output())
                .as("the unrouted namespace reaches the backend itself").isEqualTo("backend " + FIRST + "\n");

        // shrinking a group: the count first, then the slot; the remaining backend takes every connection
        balancer.backends(1, List.of(SECOND), 1);
        for (int i = 0; i < 5; i++) {
            assertThat(get(VIP))
                    .isEqualTo("backend " + SECOND + "\n");
        }
        assertThat(balancer.unroute(client, VIP)).isTrue();
        assertThat(namespaces.exec("client", "curl", "-sS", "--max-time", "2", "http://" + VIP + ":8080/").exit())
                .as("unrouted again").isNotZero();
    }

    @Test
    void closingDetachesThePrograms() throws IOException {
        balancer = SocketLoadBalancer.attach(cgroup, "sslt");
        balancer.backends(1, List.of(FIRST), 0);
        balancer.route(client, VIP, 1);
        assertThat(get(VIP))
                .isEqualTo("backend " + FIRST + "\n");
        balancer.close();
        balancer = null;
        TestNamespaces.Result after = namespaces.exec("client", "curl", "-sS", "--max-time", "2", "http://" + VIP + ":8080/");
        assertThat(after.exit()).as("after close: %s", after.output()).isNotZero();
    }

    @Test
    void pinnedItKeepsBalancingAfterItsDescriptorsCloseAndTheNextInstanceAdoptsIt() throws Exception {
        Path pins = Files.createDirectory(content.resolve("bpffs"));
        must(TestNamespaces.run(List.of("mount", "-t", "bpf", "bpf", pins.toString())));
        try {
            SocketLoadBalancer first = SocketLoadBalancer.attachPinned(cgroup, "sslt", pins);
            assertThat(first.adopted()).isFalse();
            first.backends(1, List.of(FIRST), 0);
            first.route(client, VIP, 1);
            first.close();   // as when the agent's process ends
            assertThat(get(VIP)).as("balanced with no process holding the balancer").isEqualTo("backend " + FIRST + "\n");

            balancer = SocketLoadBalancer.attachPinned(cgroup, "sslt", pins);
            assertThat(balancer.adopted()).as("the maps are adopted").isTrue();
            assertThat(get(VIP)).as("the route written by the first instance").isEqualTo("backend " + FIRST + "\n");
            balancer.backends(1, List.of(SECOND), 1);
            assertThat(get(VIP)).as("a change written by the second").isEqualTo("backend " + SECOND + "\n");
            assertThat(ours(pins)).as("4 maps and 8 links pinned").containsExactlyInAnyOrder("sslt_rt", "sslt_gr", "sslt_be",
                    "sslt_or", "sslt_c4", "sslt_c6", "sslt_s4", "sslt_s6", "sslt_r4", "sslt_r6", "sslt_p4", "sslt_p6");

            balancer.remove();
            balancer = null;
            assertThat(ours(pins)).as("nothing of ours left pinned").isEmpty();
            assertThat(namespaces.exec("client", "curl", "-sS", "--max-time", "2", "http://" + VIP + ":8080/").exit())
                    .as("removed: the VIP is not balanced any more").isNotZero();
        } finally {
            if (balancer != null) {
                balancer.remove();
                balancer = null;
            }
            TestNamespaces.run(List.of("umount", pins.toString()));
        }
    }

    /** What is pinned in the file system at {@code pins} under our name (the kernel adds files of its own). */
    private static List<String> ours(Path pins) throws IOException {
        try (var pinned = Files.list(pins)) {
            return pinned.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("sslt_")).toList();
        }
    }

    private String get(IpAddress address) throws IOException {
        return namespaces.exec("client", "curl", "-sS", "--max-time", "5", "http://" + address + ":8080/").output();
    }

    private void serve(String namespace, String... command) throws IOException {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", namespaces.names().get(0).replace("client", namespace)));
        argv.addAll(List.of(command));
        servers.add(new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(content.resolve(command[0] + servers.size() + ".log").toFile()).start());
    }

    private void awaitListening() throws Exception {
        for (int i = 0; i < 100; i++) {
            String listening = namespaces.exec("server", "ss", "-lntuH").output();
            if (listening.contains(FIRST + ":8080") && listening.contains(SECOND + ":8080") && listening.contains(FIRST + ":53")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException("the servers did not start: " + namespaces.exec("server", "ss", "-lntuH").output());
    }

    private static void must(TestNamespaces.Result result) throws IOException {
        if (result.exit() != 0) {
            throw new IOException(result.output());
        }
    }
}

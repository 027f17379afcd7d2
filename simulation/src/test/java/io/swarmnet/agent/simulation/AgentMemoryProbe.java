package io.swarmnet.agent.simulation;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.agent.AgentConfig;
import io.swarmnet.agent.NodeAgent;
import io.swarmnet.agent.datapath.ApplyReport;
import io.swarmnet.agent.datapath.Datapath;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.NodeFacts;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.agent.dns.ResolverWire;
import io.swarmnet.api.net.IpAddress;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * One node agent in a JVM of its own, for {@link AgentMemoryBenchmark}: the agent's informers, snapshot, desired state,
 * publishing and DNS hand-off as in the DaemonSet, with the kernel datapath replaced by one that keeps only the last
 * desired state and reports every pod attached, and the resolver process by a thread that answers every pod served. Arguments: API URL, node name, underlay address. Commands on stdin, one
 * per line, each answered with one line on stdout starting with {@link #ANSWER}: {@code pods} (local pods in the last desired state, how many
 * states were applied, the backends behind the first pod's VIP rules), {@code heap} (heap and metaspace in use after a full GC, in bytes), {@code threads} (Java
 * threads by name), {@code gc} (each collector's collections and milliseconds so far), {@code exit}.
 */
public final class AgentMemoryProbe {

    /** Starts every line that answers a command; the agent's log goes to standard output too. */
    static final String ANSWER = "probe: ";

    private AgentMemoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: AgentMemoryProbe API_URL NODE UNDERLAY_ADDRESS");
            System.exit(2);
        }
        // the DaemonSet's default level (SWARMNET_LOG_LEVEL)
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.INFO);
        // as the DaemonSet's agent builds it
        KubernetesClient client = NodeAgent.clientBuilder()
                .withConfig(new ConfigBuilder().withMasterUrl(args[0]).withTrustCerts(true).build()).build();
        AtomicReference<NodeDatapath> last = new AtomicReference<>();
        AtomicLong applies = new AtomicLong();
        Datapath datapath = desired -> {
            last.set(desired);
            applies.incrementAndGet();
            Set<io.swarmnet.agent.desired.PodRef> attached = desired.pods().stream().map(PodDatapath::pod).collect(Collectors.toSet());
            return new ApplyReport(attached, Map.of(), Map.of(), 1);
        };
        Path socketDirectory = Files.createTempDirectory("swarmnet-probe-dns");
        // as in the DaemonSet, names go to the resolver process over a socket; here a stand-in for that process reads
        // each frame and answers that every pod is served (its memory is the resolver container's, not the agent's)
        Path socket = socketDirectory.resolve("resolver.sock");
        ServerSocketChannel resolver = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        resolver.bind(UnixDomainSocketAddress.of(socket));
        Thread answering = new Thread(() -> answerEveryFrame(resolver), "probe-resolver");
        answering.setDaemon(true);
        answering.start();
        AgentConfig config = AgentConfig.forNode(new NodeFacts(args[1], IpAddress.parse(args[2]), 1500))
                .withDns(new DnsSettings(Optional.empty(), DnsSettings.DEFAULT_UPSTREAM_TIMEOUT)
                        .withResolverSocket(Optional.of(socket)));
        // every local pod has a network namespace (no such path is opened: the datapath and the resolver are stand-ins)
        try (NodeAgent agent = NodeAgent.start(client, config, datapath, pod -> Optional.of(Path.of("/run/netns/probe-" + pod.name())))) {
            System.out.println(ANSWER + "started");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.equals("exit"); line = in.readLine()) {
                switch (line) {
                    case "pods" -> {
                        NodeDatapath state = last.get();
                        // and the backends behind the first pod's VIP rules: every ready task of the cluster
                        long backends = state == null || state.pods().isEmpty() ? -1
                                : state.pods().get(0).vips().stream().mapToLong(v -> v.backends().size()).sum();
                        System.out.println(ANSWER + "pods " + (state == null ? -1 : state.pods().size()) + " applies " + applies.get()
                                + " backends " + backends);
                    }
                    case "heap" -> {
                        System.gc();
                        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                        long nonHeap = ManagementFactory.getMemoryPoolMXBeans().stream()
                                .filter(p -> p.getType() == MemoryType.NON_HEAP).mapToLong(p -> p.getUsage().getUsed()).sum();
                        long committed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
                        System.out.println(ANSWER + "heap " + heap + " committed " + committed + " nonheap " + nonHeap
                                + " pools " + ManagementFactory.getMemoryPoolMXBeans().stream()
                                        .map(p -> p.getName().replace(' ', '_') + "=" + p.getUsage().getUsed())
                                        .collect(Collectors.joining(",")));
                    }
                    case "gc" -> {
                        // collections so far and their time, per collector (Serial: "Copy" is the young, "MarkSweepCompact" the full one)
                        System.out.println(ANSWER + ManagementFactory.getGarbageCollectorMXBeans().stream()
                                .map(c -> c.getName() + " " + c.getCollectionCount() + " " + c.getCollectionTime())
                                .collect(Collectors.joining(" ")));
                    }
                    case "threads" -> {
                        // the Java threads by name, numbers folded: what runs besides the JVM's own threads
                        Map<String, Long> names = Thread.getAllStackTraces().keySet().stream()
                                .collect(Collectors.groupingBy(t -> t.getName().replaceAll("\\d+", "N"), java.util.TreeMap::new,
                                        Collectors.counting()));
                        System.out.println(ANSWER + names);
                    }
                    default -> System.out.println(ANSWER + "unknown command " + line);
                }
                System.out.flush();
            }
        } finally {
            client.close();
            resolver.close();
            Files.deleteIfExists(socket);
            Files.deleteIfExists(socketDirectory);
        }
        System.exit(0);
    }

    /** The resolver process's side of {@code ResolverWire}: a 4-byte length and a frame in, "no failures" out. */
    private static void answerEveryFrame(ServerSocketChannel resolver) {
        byte[] served = ResolverWire.failures(Map.of());
        while (resolver.isOpen()) {
            try (SocketChannel connection = resolver.accept()) {
                DataInputStream in = new DataInputStream(Channels.newInputStream(connection));
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(connection));
                while (true) {
                    in.skipNBytes(in.readInt());
                    out.writeInt(served.length);
                    out.write(served);
                    out.flush();
                }
            } catch (IOException e) {
                // the agent closed the connection (it opens a new one), or the probe is ending
            }
        }
    }
}

package io.swarmnet.agent.datapath;

import static io.swarmnet.agent.datapath.Topology.pod;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.agent.simulation.SimulatedPod;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Datapath numbers (issue 3 item 8), printed, never asserted against a target. Run on purpose:
 * {@code mvn -pl simulation -am test -Dgroups=benchmark -DexcludedGroups=none -Dtest=DatapathBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 * Scale knobs: -Dswarmnet.bench.services (1000), -Dswarmnet.bench.tasks (10), -Dswarmnet.bench.localPods (20),
 * -Dswarmnet.bench.changes (50), -Dswarmnet.bench.warmup (0: changes made before those measured), -Dswarmnet.bench.seconds (3),
 * -Dswarmnet.bench.rounds (5: throughput rounds, the median printed; both pod attachments in each). What each hop costs:
 * {@link OverlayHopCostBenchmark}.
 */
@Tag("benchmark")
class DatapathBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SECONDS = Integer.getInteger("swarmnet.bench.seconds", 3);
    private static final int ROUNDS = Integer.getInteger("swarmnet.bench.rounds", 5);

    private SimulatedCluster cluster;
    private final List<LinuxDatapath> datapaths = new ArrayList<>();

    @BeforeEach
    void start() {
        KernelAvailability.assumeKernelTestsCanRun("ip", "bridge", "nft", "nsenter", "iperf3", "curl");
        cluster = SimulatedCluster.start(2);
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            datapaths.forEach(LinuxDatapath::close);
            cluster.close();
            assertThat(cluster.leftovers()).isEmpty();
        }
    }

    /**
     * Both pod attachments ({@link PodAttachmentMode}) in one run: before each of its measurements the nodes are switched
     * to the layout it needs by fresh datapaths (a switch replaces the pods' interfaces; a datapath that did not make the
     * switch would trust what it remembers), so the ratios of both to the bare pair come from the same rounds.
     */
    @Test
    void throughputOverlayVersusBareVxlanVersusUnderlayAndVipVersusDirect() throws Exception {
        SimulatedNode n1 = cluster.node(1);
        SimulatedNode n2 = cluster.node(2);
        Topology topology = new Topology();
        Topology.Node t1 = new Topology.Node(n1.name(), n1.underlayAddress(), n1.underlayMtu());
        Topology.Node t2 = new Topology.Node(n2.name(), n2.underlayAddress(), n2.underlayMtu());
        Topology.Network net = topology.network("bench", 4501, "10.241.0.0/24");
        topology.task(pod("client"), t1, net, "10.241.0.10");
        topology.task(pod("server"), t2, net, "10.241.0.20");
        topology.service("server", net, "10.241.0.2", List.of(pod("server")));
        SimulatedPod client = cluster.createPod(n1, pod("client"));
        SimulatedPod server = cluster.createPod(n2, pod("server"));
        AttachedAs layout = new AttachedAs(topology, List.of(n1, n2), List.of(t1, t2));
        layout.switchTo(new Layout(PodAttachmentMode.VETH, VipBalancing.NFT));

        // a bare VXLAN pair between the two node namespaces: the kernel's VXLAN cost without bridge and veth
        bareVxlan(n1, "10.242.0.1", n2.underlayAddress().toString());
        bareVxlan(n2, "10.242.0.2", n1.underlayAddress().toString());

        // ROUNDS rounds, each measuring every path once (a different one first each round), medians compared: the goal's
        // ratios come from the same run, so the machine's load falls on all of them alike
        String loadBefore = loadAverage();
        Layout veth = new Layout(PodAttachmentMode.VETH, VipBalancing.NFT);
        Layout macvlan = new Layout(PodAttachmentMode.MACVLAN, VipBalancing.NFT);
        // VIPs balanced at the socket: no NAT chain in the pods, so nothing tracked there (skipped without cgroup2)
        Layout socket = new Layout(PodAttachmentMode.MACVLAN, VipBalancing.SOCKET);
        boolean socketPossible = io.swarmnet.agent.bpf.SocketLoadBalancer.cgroup2Root().isPresent();
        Layout[] modeOf = socketPossible ? new Layout[] {null, null, veth, veth, macvlan, macvlan, socket, socket}
                : new Layout[] {null, null, veth, veth, macvlan, macvlan};
        if (!socketPossible) {
            System.out.println("VIPs at the socket not measured: no cgroup2 mount in /proc/self/mountinfo");
        }
        double[][] gbits = new double[modeOf.length][ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < modeOf.length; i++) {
                int which = (i + round) % modeOf.length;
                if (modeOf[which] != null) {
                    layout.switchTo(modeOf[which]);
                }
                gbits[which][round] = switch (which) {
                    case 0 -> iperfNodeToNode(n1, n2, n2.underlayAddress().toString());
                    case 1 -> iperfNodeToNode(n1, n2, "10.242.0.2");
                    case 2, 4, 6 -> iperfPodToPod(client, server, "10.241.0.20");
                    default -> iperfPodToPod(client, server, "10.241.0.2");
                };
            }
        }
        double underlay = medianOf(gbits[0]);
        double bare = medianOf(gbits[1]);
        System.out.printf(Locale.ROOT, "%n== TCP throughput, one flow, %d s each, median of %d alternating rounds; load average %s -> %s ==%n",
                SECONDS, ROUNDS, loadBefore, loadAverage());
        System.out.printf(Locale.ROOT, "raw underlay veth (node -> node)     %8.2f Gbit/s  %s%n", underlay, Arrays.toString(gbits[0]));
        System.out.printf(Locale.ROOT, "bare VXLAN pair (node -> node)       %8.2f Gbit/s  (%.0f%% of underlay)  %s%n", bare, 100 * bare / underlay,
                Arrays.toString(gbits[1]));
        for (int m = 0; 2 + 2 * m < modeOf.length; m++) {
            Layout mode = modeOf[2 + 2 * m];
            double overlay = medianOf(gbits[2 + 2 * m]);
            double vip = medianOf(gbits[3 + 2 * m]);
            System.out.printf(Locale.ROOT, "swarmnet overlay, %-14s (task -> task) %8.2f Gbit/s  (%.0f%% of underlay, %.3f x bare VXLAN)  %s%n",
                    mode, overlay, 100 * overlay / underlay, overlay / bare, Arrays.toString(gbits[2 + 2 * m]));
            System.out.printf(Locale.ROOT, "swarmnet overlay, %-14s via VIP       %8.2f Gbit/s  (%.3f x direct task address, %.3f x bare VXLAN)  %s%n",
                    mode, vip, vip / overlay, vip / bare, Arrays.toString(gbits[3 + 2 * m]));
        }
        // what follows measures the layout a node has unless told otherwise
        layout.switchTo(new Layout(PodAttachmentMode.DEFAULT, VipBalancing.DEFAULT));

        // connection setup: where the DNAT cost shows, one conntrack entry per connection
        cluster.startProcess(server, "busybox", "httpd", "-f", "-p", "80", "-h", "/");
        Thread.sleep(300);
        int connections = 200;
        double directMs = connectionMillis(client, "10.241.0.20", connections);
        double vipMs = connectionMillis(client, "10.241.0.2", connections);
        System.out.printf(Locale.ROOT, "HTTP request on a new connection:    direct %.3f ms, via VIP %.3f ms (%d sequential requests, curl)%n",
                directMs, vipMs, connections);
    }

    @Test
    void convergenceToThousandsOfServicesAndBackendChangeLatency() {
        int services = Integer.getInteger("swarmnet.bench.services", 1000);
        int tasksPerService = Integer.getInteger("swarmnet.bench.tasks", 10);
        int localPods = Integer.getInteger("swarmnet.bench.localPods", 20);
        int changes = Integer.getInteger("swarmnet.bench.changes", 50);
        int warmup = Integer.getInteger("swarmnet.bench.warmup", 0);
        SimulatedNode n1 = cluster.node(1);
        Topology topology = new Topology();
        Topology.Node local = new Topology.Node(n1.name(), n1.underlayAddress(), n1.underlayMtu());
        Topology.Node remote = new Topology.Node("node-far", cluster.node(2).underlayAddress(), 1500);
        Topology.Network net = topology.network("big", 4502, "10.128.0.0/14");
        // task i of service s gets 10.128.0.0 + 16 + s * tasks + i; the first localPods tasks run on node 1, the rest elsewhere
        List<List<PodRef>> backends = new ArrayList<>();
        int created = 0;
        for (int s = 0; s < services; s++) {
            List<PodRef> tasks = new ArrayList<>();
            for (int i = 0; i < tasksPerService; i++) {
                PodRef ref = pod("svc" + s + "-" + i);
                boolean isLocal = created < localPods;
                topology.task(ref, isLocal ? local : remote, net, address(16L + s * tasksPerService + i));
                if (isLocal) {
                    cluster.createPod(n1, ref);
                }
                created++;
                tasks.add(ref);
            }
            backends.add(tasks);
            topology.service("svc" + s, net, address(0x30000 + s), tasks);
        }
        NodeDatapath desired = topology.desired(local);
        LinuxDatapath datapath = track(cluster.datapath(n1));

        long t0 = System.nanoTime();
        ApplyReport first = datapath.apply(desired);
        long convergeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(first.complete()).as("%s", first.podFailures()).isTrue();
        t0 = System.nanoTime();
        ApplyReport again = datapath.apply(desired);
        long noopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(again.changes()).isZero();

        // backend changes: one task of one service leaves the rotation, then comes back; the first `warmup` are not measured
        List<Change> measured = new ArrayList<>();
        for (int w = -warmup; w < changes; w++) {
            int c = Math.floorMod(w, changes);
            int s = ((c / 2) * 7919) % services;
            List<PodRef> rotation = new ArrayList<>(backends.get(s));
            if (c % 2 == 0) {
                rotation.remove(rotation.size() - 1);
            }
            topology.service("svc" + s, net, address(0x30000 + s), rotation);
            NodeDatapath changed = topology.desired(local);
            long gcs = gcCount();
            long gcMillis = gcMillis();
            long compiling = COMPILER.getTotalCompilationTime();
            long start = System.nanoTime();
            ApplyReport r = datapath.apply(changed);
            if (w >= 0) {
                measured.add(new Change(c, System.nanoTime() - start, datapath.lastTimings(), gcCount() - gcs, gcMillis() - gcMillis,
                        COMPILER.getTotalCompilationTime() - compiling));
            }
            assertThat(r.changes()).isPositive();
        }
        long[] latencies = nanos(measured, Change::nanos);
        long[] removals = nanos(measured.stream().filter(m -> m.index() % 2 == 0).toList(), Change::nanos);
        long[] additions = nanos(measured.stream().filter(m -> m.index() % 2 == 1).toList(), Change::nanos);
        System.out.printf(Locale.ROOT, "%n== convergence, one node: %d services x %d tasks, %d local pods (each with %d VIPs), %d remote endpoints ==%n",
                services, tasksPerService, localPods, services, services * tasksPerService - localPods);
        System.out.printf(Locale.ROOT, "empty -> converged:                  %6d ms (%d kernel changes)%n", convergeMs, first.changes());
        System.out.printf(Locale.ROOT, "re-apply, nothing to change:         %6d ms (0 changes; read + diff)%n", noopMs);
        System.out.printf(Locale.ROOT, "backend change -> rules changed:     median %.1f ms, p99 %.1f ms over %d changes (datapath apply: read, diff, %d nft transactions)%s%n",
                median(latencies) / 1e6, percentile(latencies, 99) / 1e6, changes, localPods, warmup == 0 ? "" : ", after " + warmup + " not measured");
        System.out.printf(Locale.ROOT, "  of which (medians): read %.1f ms, plan %.1f ms, execute %.1f ms, record %.1f ms%n",
                median(nanos(measured, m -> m.timings().readNanos())) / 1e6, median(nanos(measured, m -> m.timings().planNanos())) / 1e6,
                median(nanos(measured, m -> m.timings().executeNanos())) / 1e6, median(nanos(measured, m -> m.timings().recordNanos())) / 1e6);
        System.out.printf(Locale.ROOT, "  a backend leaves (its flows deleted too): median %.1f ms, p99 %.1f ms; it comes back: median %.1f ms, p99 %.1f ms%n",
                percentile(removals, 50) / 1e6, percentile(removals, 99) / 1e6, percentile(additions, 50) / 1e6, percentile(additions, 99) / 1e6);
        long[] later = nanos(measured.stream().skip(10).toList(), Change::nanos);
        System.out.printf(Locale.ROOT, "  without the first ten changes: median %.1f ms, p99 %.1f ms%n", median(later) / 1e6, percentile(later, 99) / 1e6);
        System.out.printf(Locale.ROOT, "  p99 of each part: read %.1f, plan %.1f, execute %.1f (nft transactions %.1f, flows to removed backends %.1f), record %.1f ms%n",
                percentile(nanos(measured, m -> m.timings().readNanos()), 99) / 1e6, percentile(nanos(measured, m -> m.timings().planNanos()), 99) / 1e6,
                percentile(nanos(measured, m -> m.timings().executeNanos()), 99) / 1e6, percentile(nanos(measured, m -> m.phase("VIP load balancing")), 99) / 1e6,
                percentile(nanos(measured, m -> m.phase("flows to removed VIP backends")), 99) / 1e6,
                percentile(nanos(measured, m -> m.timings().recordNanos()), 99) / 1e6);
        List<Change> withGc = measured.stream().filter(m -> m.gcs() > 0).toList();
        System.out.printf(Locale.ROOT, "  changes during which the JVM collected garbage: %d (%s ms of collections)%n", withGc.size(),
                withGc.stream().map(m -> "#" + m.index() + " " + m.gcMillis()).toList());
        System.out.printf(Locale.ROOT, "  the first changes: %s ms; the JIT compilers' time during them: %s ms%n",
                measured.stream().limit(10).map(m -> String.format(Locale.ROOT, "%.1f", m.nanos() / 1e6)).toList(),
                measured.stream().limit(10).map(Change::compilingMillis).toList());
        measured.stream().sorted(java.util.Comparator.comparingLong(Change::nanos).reversed()).limit(3).forEach(m -> System.out.printf(Locale.ROOT,
                "  slow: change #%d %.1f ms = read %.1f, plan %.1f, execute %.1f (%s), record %.1f; %d GC, %d ms JIT compiling%n", m.index(), m.nanos() / 1e6,
                m.timings().readNanos() / 1e6, m.timings().planNanos() / 1e6, m.timings().executeNanos() / 1e6, m.timings().phaseNanos().entrySet().stream()
                        .map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue() / 1e6)).toList(), m.timings().recordNanos() / 1e6, m.gcs(),
                m.compilingMillis()));
    }

    /**
     * One measured backend change: its latency, the datapath's own account of it, the garbage collections during it and
     * the time the JIT compilers' threads spent meanwhile (on two cores they compete with the change).
     */
    private record Change(int index, long nanos, LinuxDatapath.Timings timings, long gcs, long gcMillis, long compilingMillis) {
        long phase(String name) {
            return timings.phaseNanos().getOrDefault(name, 0L);
        }
    }

    /** A pod attachment and a VIP balancing: what a node's datapath is switched to. */
    private record Layout(PodAttachmentMode attachment, VipBalancing balancing) {
        @Override
        public String toString() {
            return attachment + (balancing == VipBalancing.NFT ? "" : "+" + balancing);
        }
    }

    /**
     * Both nodes' pods in one layout at a time, switched by fresh datapaths that are closed once they converged — but
     * for those balancing VIPs at the socket, whose balancer lives as long as its datapath: they stay open until the
     * next switch.
     */
    private final class AttachedAs {
        private final Topology topology;
        private final List<SimulatedNode> nodes;
        private final List<Topology.Node> facts;
        private final List<LinuxDatapath> held = new ArrayList<>();
        private Layout current;

        AttachedAs(Topology topology, List<SimulatedNode> nodes, List<Topology.Node> facts) {
            this.topology = topology;
            this.nodes = nodes;
            this.facts = facts;
        }

        void switchTo(Layout mode) {
            if (mode.equals(current)) {
                return;
            }
            held.forEach(LinuxDatapath::close);
            held.clear();
            cluster.balanceVipsBy(mode.balancing());
            try {
                for (int i = 0; i < nodes.size(); i++) {
                    LinuxDatapath datapath = cluster.datapath(nodes.get(i), mode.attachment());
                    ApplyReport report = datapath.apply(topology.desired(facts.get(i)));
                    if (mode.balancing() == VipBalancing.SOCKET) {
                        held.add(datapath); // closed at the next switch (the run ends switched to the default)
                    } else {
                        datapath.close();
                    }
                    assertThat(report.complete()).as("%s in layout %s: %s", nodes.get(i).name(), mode, report).isTrue();
                }
            } finally {
                cluster.balanceVipsBy(VipBalancing.DEFAULT);
            }
            current = mode;
        }
    }

    // --- helpers -------------------------------------------------------------------------------------------

    private LinuxDatapath track(LinuxDatapath d) {
        datapaths.add(d);
        return d;
    }

    private static final java.lang.management.CompilationMXBean COMPILER = java.lang.management.ManagementFactory.getCompilationMXBean();

    private static long[] nanos(List<Change> changes, java.util.function.ToLongFunction<Change> value) {
        return changes.stream().mapToLong(value).sorted().toArray();
    }

    private static long gcCount() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(b -> b.getCollectionCount()).sum();
    }

    private static long gcMillis() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(b -> b.getCollectionTime()).sum();
    }

    private static double medianOf(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ", 4)[0];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    static long median(long[] sorted) {
        return sorted.length == 0 ? 0 : sorted[sorted.length / 2];
    }

    static long percentile(long[] sorted, int p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * p / 100.0) - 1)];
    }

    private static String address(long offset) {
        return io.swarmnet.api.net.IpAddress.parse("10.128.0.0").plus(offset).toString();
    }

    private void bareVxlan(SimulatedNode node, String address, String remote) {
        KernelTools.Result r = new KernelTools().ipBatch(node.hostNamespace(), List.of(
                "link add name bench-vx type vxlan id 99 local " + node.underlayAddress() + " dstport 4789 nolearning",
                "link set dev bench-vx mtu 1450 up",
                "addr add " + address + "/24 dev bench-vx"));
        assertThat(r.ok()).as(r.describe()).isTrue();
        KernelTools.Result fdb = new KernelTools().bridgeBatch(node.hostNamespace(),
                List.of("fdb append 00:00:00:00:00:00 dev bench-vx dst " + remote + " self permanent"));
        assertThat(fdb.ok()).as(fdb.describe()).isTrue();
    }

    private double iperfNodeToNode(SimulatedNode client, SimulatedNode server, String target) throws Exception {
        Process s = new ProcessBuilder("ip", "netns", "exec", server.namespace(), "iperf3", "-s", "-1", "-p", "5299")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Thread.sleep(300);
            KernelTools.Result r = cluster.execOnNode(client, "iperf3", "-c", target, "-p", "5299", "-t", Integer.toString(SECONDS), "-J");
            return gbits(r);
        } finally {
            s.destroyForcibly();
            s.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private double iperfPodToPod(SimulatedPod client, SimulatedPod server, String target) throws Exception {
        Process s = cluster.startProcess(server, "iperf3", "-s", "-1", "-p", "5201");
        try {
            Thread.sleep(300);
            KernelTools.Result r = cluster.exec(client, "iperf3", "-c", target, "-p", "5201", "-t", Integer.toString(SECONDS), "-J");
            return gbits(r);
        } finally {
            s.destroyForcibly();
            s.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static double gbits(KernelTools.Result r) throws Exception {
        assertThat(r.ok()).as(r.describe()).isTrue();
        JsonNode json = JSON.readTree(r.stdout());
        return json.path("end").path("sum_received").path("bits_per_second").asDouble() / 1e9;
    }

    private double connectionMillis(SimulatedPod client, String target, int count) {
        long start = System.nanoTime();
        KernelTools.Result r = cluster.exec(client, "sh", "-c",
                "i=0; while [ $i -lt " + count + " ]; do curl -s -o /dev/null --max-time 2 http://" + target + "/ || exit 1; i=$((i+1)); done");
        assertThat(r.ok()).as(r.describe()).isTrue();
        return (System.nanoTime() - start) / 1e6 / count;
    }
}

package io.swarmnet.agent.simulation;

import static io.swarmnet.agent.ClusterObjects.network;
import static io.swarmnet.agent.ClusterObjects.node;
import static io.swarmnet.agent.ClusterObjects.service;
import static io.swarmnet.agent.ClusterObjects.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.agent.AgentConfig;
import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.agent.NodeAgent;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end without the operator: the test writes what the operator would (OverlayNetworks with status, a
 * SwarmService with its VIP, task pods with the swarmnet.io/addresses annotation) into the embedded API, and one
 * real NodeAgent with a LinuxDatapath per simulated node does the rest.
 */
@Tag("e2e")
class NodeAgentsOnSimulatedNodesTest {

    private SandboxApiServer api;
    private KubernetesClient client;
    private SimulatedCluster cluster;
    private final Map<String, SimulatedPod> pods = new HashMap<>();
    @TempDir
    Path temp;

    @BeforeEach
    void start() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        for (String tool : List.of("ip", "bridge", "nft", "nsenter", "busybox", "curl")) {
            assumeTrue(onPath(tool), "needs '" + tool + "' on PATH");
        }
        api = SandboxApiServer.start();
        client = api.client();
        cluster = SimulatedCluster.start(3);
        for (SimulatedNode n : cluster.nodes()) {
            client.resource(node(n.name(), n.underlayAddress().toString())).create();
        }
        createWithStatus(network("net").allocated("10.220.0.0/24", "10.220.0.1", 4601).build());
        createWithStatus(network("other").allocated("10.221.0.0/24", "10.221.0.1", 4602).build());
        createWithStatus(service("web").network("net").vip("net", "10.220.0.2").build());
        createWithStatus(service("client").network("net").vip("net", "10.220.0.3").build());
        createWithStatus(service("iso").network("other").vip("other", "10.221.0.2").build());
        cluster.runAgents((node, datapath, locator) -> NodeAgent.start(client, AgentConfig.forNode(node.facts())
                .withBackoff(Duration.ofMillis(50), Duration.ofMillis(500)), datapath, locator));
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            String prefix = cluster.prefix();
            cluster.close();
            assertThat(cluster.leftovers()).as("objects of run %s left behind", prefix).isEmpty();
        }
        if (api != null) {
            api.close();
        }
    }

    @Test
    void tasksAttachReachEachOtherAndTheVipFollowsTheCluster() throws Exception {
        runTask("client-1", "client", 1, "net", "10.220.0.10");
        for (int i = 1; i <= 3; i++) {
            runTask("web-" + i, "web", i, "net", "10.220.0.2" + i);
        }
        runTask("iso-1", "iso", 2, "other", "10.221.0.21");
        for (String name : List.of("client-1", "web-1", "web-2", "web-3", "iso-1")) {
            await(name + " attached by its node's agent", () -> attached(name), Duration.ofSeconds(20));
        }
        for (int i = 1; i <= 3; i++) {
            serveHttp("web-" + i);
        }
        SimulatedPod clientPod = pods.get("client-1");
        assertThat(cluster.exec(clientPod, "busybox", "ping", "-c", "1", "-W", "2", "10.220.0.23").ok()).isTrue();
        String overlayInterface = interfaceWith(clientPod, "10.220.0.10");
        assertThat(cluster.exec(clientPod, "ip", "route", "add", "10.221.0.0/24", "dev", overlayInterface).ok()).isTrue();
        assertThat(cluster.exec(clientPod, "busybox", "ping", "-c", "2", "-W", "1", "10.221.0.21").ok())
                .as("a task of another network is unreachable").isFalse();

        await("the VIP balances over the three attached web tasks", () -> hits(clientPod, "10.220.0.2", 30).size() == 3,
                Duration.ofSeconds(20));
        Map<String, Integer> hits = hits(clientPod, "10.220.0.2", 30);
        assertThat(hits).containsOnlyKeys("web-1", "web-2", "web-3");

        // a task dies: it leaves every node's rotation, and its node drops the network when nothing else uses it
        client.pods().inNamespace(ClusterObjects.NS).withName("web-3").delete();
        cluster.deletePod(pods.remove("web-3").ref());
        await("web-3 out of the rotation", () -> !vipMap(clientPod).contains("10.220.0.23"), Duration.ofSeconds(5));
        assertThat(hits(clientPod, "10.220.0.2", 30)).containsOnlyKeys("web-1", "web-2");
        await("node-3 no longer carries net", () -> networkNamespaces(cluster.node(3)).isEmpty(), Duration.ofSeconds(10));
    }

    @Test
    void anAgentRestartKeepsEstablishedConnections() throws Exception {
        runTask("client-1", "client", 1, "net", "10.220.0.10");
        runTask("web-2", "web", 2, "net", "10.220.0.22");
        await("tasks attached", () -> attached("client-1") && attached("web-2"), Duration.ofSeconds(20));
        await("VIP has its backend", () -> vipMap(pods.get("client-1")).contains("10.220.0.22"), Duration.ofSeconds(10));
        Path server = resource("echo_server.py");
        Path clientScript = resource("echo_client.py");
        cluster.startProcess(pods.get("web-2"), "/usr/bin/python3", server.toString(), "9000", "60");
        Thread.sleep(500);
        Process direct = cluster.startProcessWithOutput(pods.get("client-1"), "/usr/bin/python3", clientScript.toString(), "10.220.0.22", "9000", "8");
        Process viaVip = cluster.startProcessWithOutput(pods.get("client-1"), "/usr/bin/python3", clientScript.toString(), "10.220.0.2", "9000", "8");
        Thread.sleep(1500);

        // every agent stops and a new one takes over the kernel state it left
        cluster.restartAgents((node, datapath, locator) -> NodeAgent.start(client, AgentConfig.forNode(node.facts())
                .withBackoff(Duration.ofMillis(50), Duration.ofMillis(500)), datapath, locator));
        Thread.sleep(2000);

        assertThat(direct.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(viaVip.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String directOut = new String(direct.getInputStream().readAllBytes());
        String vipOut = new String(viaVip.getInputStream().readAllBytes());
        assertThat(direct.exitValue()).as("direct connection across the restart: %s", directOut).isZero();
        assertThat(viaVip.exitValue()).as("VIP connection across the restart: %s", vipOut).isZero();
        assertThat(directOut).contains("done");
        assertThat(vipOut).contains("done");
    }

    @Test
    void agentProcessesKilledWithSigkillAndRestartedKeepEstablishedConnections() throws Exception {
        cluster.stopAgents(); // this test runs the agents of nodes 1 and 2 (node 3 has no task) as processes of their own
        List<SimulatedNode> busy = List.of(cluster.node(1), cluster.node(2));
        Path log = temp.resolve("agents.log");
        List<Process> agentProcesses = new ArrayList<>();
        try {
            for (SimulatedNode node : busy) {
                agentProcesses.add(cluster.startAgentProcess(node, api.url(), log));
            }
            runTask("client-1", "client", 1, "net", "10.220.0.10");
            runTask("web-2", "web", 2, "net", "10.220.0.22");
            try {
                await("tasks attached by the agent processes", () -> attached("client-1") && attached("web-2"), Duration.ofSeconds(60));
            } catch (AssertionError e) {
                String output = Files.readString(log);
                throw new AssertionError(e.getMessage() + "; agent output:\n" + output.substring(Math.max(0, output.length() - 6000)), e);
            }
            await("VIP has its backend", () -> vipMap(pods.get("client-1")).contains("10.220.0.22"), Duration.ofSeconds(20));
            Path server = resource("echo_server.py");
            Path clientScript = resource("echo_client.py");
            cluster.startProcess(pods.get("web-2"), "/usr/bin/python3", server.toString(), "9000", "90");
            Thread.sleep(500);
            Process direct = cluster.startProcessWithOutput(pods.get("client-1"), "/usr/bin/python3", clientScript.toString(), "10.220.0.22", "9000", "20");
            Process viaVip = cluster.startProcessWithOutput(pods.get("client-1"), "/usr/bin/python3", clientScript.toString(), "10.220.0.2", "9000", "20");
            Thread.sleep(1500);

            for (Process agent : agentProcesses) {
                KernelTools.Result kill = new KernelTools().run(List.of("kill", "-9", Long.toString(agent.pid())), null);
                assertThat(kill.ok()).as(kill.describe()).isTrue();
                assertThat(agent.waitFor(10, TimeUnit.SECONDS)).isTrue();
            }
            agentProcesses.clear();
            for (SimulatedNode node : busy) {
                agentProcesses.add(cluster.startAgentProcess(node, api.url(), log));
            }
            // the restarted agents work: a new task is attached and joins the rotation
            runTask("web-3", "web", 1, "net", "10.220.0.23");
            await("new task attached after the restart", () -> attached("web-3"), Duration.ofSeconds(60));
            await("new task in the client's VIP map", () -> vipMap(pods.get("client-1")).contains("10.220.0.23"), Duration.ofSeconds(20));

            assertThat(direct.waitFor(40, TimeUnit.SECONDS)).isTrue();
            assertThat(viaVip.waitFor(40, TimeUnit.SECONDS)).isTrue();
            String directOut = new String(direct.getInputStream().readAllBytes());
            String vipOut = new String(viaVip.getInputStream().readAllBytes());
            assertThat(direct.exitValue()).as("direct connection across kill -9: %s", directOut).isZero();
            assertThat(viaVip.exitValue()).as("VIP connection across kill -9: %s", vipOut).isZero();
            assertThat(directOut).contains("done");
            assertThat(vipOut).contains("done");
        } finally {
            for (Process agent : agentProcesses) {
                agent.destroyForcibly();
                agent.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    @Tag("benchmark")
    void backendChangeInTheClusterToKernelRulesLatency() throws Exception {
        runTask("client-1", "client", 1, "net", "10.220.0.10");
        for (int i = 1; i <= 3; i++) {
            runTask("web-" + i, "web", 1 + i % 3, "net", "10.220.0.2" + i);
        }
        for (String name : List.of("client-1", "web-1", "web-2", "web-3")) {
            await(name + " attached", () -> attached(name), Duration.ofSeconds(20));
        }
        SimulatedPod clientPod = pods.get("client-1");
        await("all backends in the VIP map", () -> vipMap(clientPod).contains("10.220.0.23"), Duration.ofSeconds(10));
        int rounds = Integer.getInteger("swarmnet.bench.changes", 20);
        long[] latencies = new long[rounds];
        for (int r = 0; r < rounds; r++) {
            boolean leave = r % 2 == 0;
            long start = System.nanoTime();
            // a task stops being ready (its containers) : it must leave the rotation; then it comes back
            Pod pod = client.pods().inNamespace(ClusterObjects.NS).withName("web-3").get();
            pod.getStatus().getConditions().stream().filter(c -> c.getType().equals("ContainersReady"))
                    .forEach(c -> c.setStatus(leave ? "False" : "True"));
            client.resource(pod).updateStatus();
            await("rotation updated", () -> vipMap(clientPod).contains("10.220.0.23") != leave, Duration.ofSeconds(10));
            latencies[r] = System.nanoTime() - start;
        }
        Arrays.sort(latencies);
        System.out.printf(Locale.ROOT, "%n== backend change in the API -> nft map changed in a client pod (real NodeAgent, sandbox API) ==%n");
        System.out.printf(Locale.ROOT, "median %.1f ms, p99 %.1f ms over %d changes (polling every 5 ms)%n",
                latencies[rounds / 2] / 1e6, latencies[Math.min(rounds - 1, (int) Math.ceil(rounds * 0.99) - 1)] / 1e6, rounds);
    }

    // --- helpers -------------------------------------------------------------------------------------------

    private void runTask(String name, String service, int node, String network, String address) {
        Pod pod = task(name, service).on("node-" + node).address(network, address).runningUnattached().build();
        pod.getMetadata().setUid(null);
        Pod created = client.resource(pod).create();
        created.setStatus(pod.getStatus());
        created = client.resource(created).updateStatus();
        PodRef ref = new PodRef(ClusterObjects.NS, name, created.getMetadata().getUid());
        pods.put(name, cluster.createPod(cluster.node(node), ref));
    }

    private String interfaceWith(SimulatedPod pod, String address) {
        for (String line : cluster.exec(pod, "ip", "-o", "-4", "addr", "show").stdout().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 3 && f[3].startsWith(address + "/")) {
                return f[1];
            }
        }
        throw new AssertionError("no interface with " + address + " in pod " + pod.ref());
    }

    private boolean attached(String name) {
        Pod pod = client.pods().inNamespace(ClusterObjects.NS).withName(name).get();
        return pod != null && pod.getStatus() != null && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> SwarmnetKeys.CONDITION_ATTACHED.equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private <T extends HasMetadata> void createWithStatus(T object) {
        ClusterObjects.createWithStatus(client, object);
    }

    private void serveHttp(String name) throws IOException {
        Path root = Files.createDirectories(temp.resolve("www-" + name));
        Files.writeString(root.resolve("index.html"), name);
        cluster.startProcess(pods.get(name), "busybox", "httpd", "-f", "-p", "80", "-h", root.toString());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < end && cluster.exec(pods.get(name), "ss", "-Hltn", "sport", "= :80").stdout().isBlank()) {
            sleep(20);
        }
    }

    private Map<String, Integer> hits(SimulatedPod from, String address, int requests) {
        KernelTools.Result r = cluster.exec(from, "sh", "-c",
                "for i in $(seq " + requests + "); do curl -sS --max-time 2 http://" + address + "/; echo; done");
        Map<String, Integer> hits = new HashMap<>();
        Arrays.stream(r.stdout().split("\n")).map(String::strip).filter(s -> s.matches("web-\\d")).forEach(s -> hits.merge(s, 1, Integer::sum));
        return hits;
    }

    /** The backends currently in the client pod's VIP map of the web service. */
    private String vipMap(SimulatedPod from) {
        String table = cluster.node(from.node().index()).datapathPrefix() + "_vip";
        return cluster.exec(from, "nft", "list", "map", "ip", table, "b_10_220_0_2").stdout();
    }

    private List<String> networkNamespaces(SimulatedNode node) {
        String[] all = new File("/run/netns").list();
        return all == null ? List.of() : Arrays.stream(all).filter(n -> n.startsWith(node.datapathPrefix() + "-net-")).toList();
    }

    private Path resource(String name) throws IOException {
        Path target = temp.resolve(name);
        try (var in = getClass().getResourceAsStream("/simulation/" + name)) {
            Files.copy(in, target);
        }
        return target;
    }

    private static void await(String what, BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not reached within " + timeout);
            }
            sleep(5);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (new File(dir, tool).canExecute()) {
                return true;
            }
        }
        return false;
    }
}

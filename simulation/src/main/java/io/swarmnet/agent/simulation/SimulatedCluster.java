package io.swarmnet.agent.simulation;

import io.swarmnet.agent.datapath.Datapath;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.LinuxDatapath;
import io.swarmnet.agent.datapath.PodAttachmentMode;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.PodNamespaceLocator;
import io.swarmnet.api.net.IpAddress;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several nodes on one machine: an underlay bridge in the root namespace (the only root-namespace object it
 * creates), one network namespace per node with a veth to the bridge and an address in 192.0.2.0/24, and task
 * pods as network namespaces. Every object name starts with a per-run prefix; {@link #close()} removes all of
 * them, and {@link #start} first removes leftovers of the same prefix (a killed test run).
 *
 * <pre>
 *   root:   PREFIX-ul (bridge)  ── PREFIX-uN (veth) ──  node N namespace PREFIX-nodeN: eth0 192.0.2.(10+N)/24
 *   pods:   PREFIX-pK namespaces (lo up), attached by node N's datapath (prefix PREFIXnN)
 * </pre>
 */
public final class SimulatedCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatedCluster.class);
    private static final Pattern RUN_PREFIX = Pattern.compile("[a-z][a-z0-9]{1,3}");
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final int UNDERLAY_MTU = 1500;

    private final String prefix;
    private final KernelTools tools = new KernelTools(Duration.ofSeconds(20));
    private final List<SimulatedNode> nodes = new ArrayList<>();
    private final Map<String, SimulatedPodNamespaceLocator> locators = new LinkedHashMap<>();
    private final Map<PodRef, SimulatedPod> pods = new ConcurrentHashMap<>();
    private final Map<PodRef, List<Process>> podProcesses = new ConcurrentHashMap<>();
    private final List<AutoCloseable> agents = Collections.synchronizedList(new ArrayList<>());
    private int podCounter;
    private volatile PodAttachmentMode attachment = PodAttachmentMode.DEFAULT;
    private volatile io.swarmnet.agent.datapath.VipBalancing vipBalancing = io.swarmnet.agent.datapath.VipBalancing.DEFAULT;

    private SimulatedCluster(String prefix) {
        this.prefix = prefix;
    }

    /** A fresh cluster of {@code nodeCount} nodes (named node-1 ...) with a random run prefix. */
    public static SimulatedCluster start(int nodeCount) {
        return start(randomPrefix(), nodeCount);
    }

    /**
     * A fresh cluster with the given run prefix (2-4 characters of [a-z0-9], starting with a letter): node N's
     * datapath prefix is PREFIX + "n" + N, which must stay within the datapath's 7 characters.
     */
    public static SimulatedCluster start(String prefix, int nodeCount) {
        if (!RUN_PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("simulation prefix '" + prefix + "' must be 2-4 characters of [a-z0-9] starting with a letter");
        }
        if (nodeCount < 1 || nodeCount > 99 || (prefix + "n" + nodeCount).length() > 7) {
            throw new IllegalArgumentException("node count " + nodeCount + " with prefix '" + prefix
                    + "' does not fit: 1..99 nodes and prefix + 'n' + node number within 7 characters");
        }
        SimulatedCluster cluster = new SimulatedCluster(prefix);
        try {
            cluster.removeLeftovers();
            cluster.createUnderlay(nodeCount);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private static String randomPrefix() {
        SecureRandom random = new SecureRandom();
        for (int attempt = 0; attempt < 100; attempt++) {
            StringBuilder sb = new StringBuilder("z");
            for (int i = 0; i < 3; i++) {
                sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            String candidate = sb.toString();
            if (ourNamespaces(candidate).isEmpty() && rootDevicesStartingWith(candidate).isEmpty()) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free simulation prefix found after 100 attempts; remove old z* namespaces");
    }

    public String prefix() {
        return prefix;
    }

    public List<SimulatedNode> nodes() {
        return List.copyOf(nodes);
    }

    public SimulatedNode node(int index) {
        return nodes.get(index - 1);
    }

    public String underlayBridge() {
        return prefix + "-ul";
    }

    /**
     * Node {@code node}'s port on the underlay bridge (root namespace). Capture here to see everything the node sends
     * and receives: the bridge device itself only sees frames flooded to it, not unicast forwarded between ports.
     */
    public String underlayPort(SimulatedNode node) {
        return prefix + "-u" + node.index();
    }

    /** Where the pods of a node are recorded (one file per pod UID holding its namespace path), for agents in other processes. */
    public Path podRegistry(SimulatedNode node) {
        return registryRoot().resolve(node.name());
    }

    /** Where the agent of {@code node} keeps state across its restarts (removed with the simulation). */
    public Path stateDirectory(SimulatedNode node) {
        return registryRoot().resolve(node.name() + "-state");
    }

    private Path registryRoot() {
        return Path.of("/run/swarmnet-simulation", prefix);
    }

    /**
     * Starts {@link SimulatedNodeAgentMain} for a node as a separate JVM (same classpath), so a test can kill it
     * with SIGKILL like a crashed DaemonSet pod. Its output goes to {@code log}. The caller owns the process.
     */
    public Process startAgentProcess(SimulatedNode node, String apiUrl, Path log) {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SimulatedNodeAgentMain.class.getName(),
                apiUrl, node.name(), node.namespace(), node.underlayAddress().toString(), Integer.toString(node.underlayMtu()),
                node.datapathPrefix(), podRegistry(node).toString(), attachment.setting(), vipBalancing.setting());
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the agent process of " + node.name() + ": " + e.getMessage(), e);
        }
    }

    /** The locator a node's agent uses: it finds that node's pods only. */
    public PodNamespaceLocator locator(SimulatedNode node) {
        return locators.get(node.name());
    }

    /**
     * How the datapaths made from now on ({@link #datapath}, {@link #runAgent}, {@link #startAgentProcess}) attach pods;
     * {@link PodAttachmentMode#DEFAULT} until set.
     */
    public void attachPodsBy(PodAttachmentMode mode) {
        this.attachment = java.util.Objects.requireNonNull(mode, "mode");
    }

    /**
     * Where the datapaths made from now on balance VIPs; {@link io.swarmnet.agent.datapath.VipBalancing#DEFAULT} until set.
     * At the socket, each node's balancer is held by its datapath's process alone (nothing pinned).
     */
    public void balanceVipsBy(io.swarmnet.agent.datapath.VipBalancing balancing) {
        this.vipBalancing = java.util.Objects.requireNonNull(balancing, "balancing");
    }

    /** A LinuxDatapath for the node (the caller closes it). */
    public LinuxDatapath datapath(SimulatedNode node) {
        return datapath(node, attachment);
    }

    /** A LinuxDatapath for the node attaching pods by {@code mode}, whatever the cluster's (the caller closes it). */
    public LinuxDatapath datapath(SimulatedNode node, PodAttachmentMode mode) {
        return new LinuxDatapath(config(node, mode), locator(node));
    }

    /** As {@link #datapath(SimulatedNode)}, trusting what it read or wrote for {@code relistAfter} (drift repair). */
    public LinuxDatapath datapath(SimulatedNode node, java.time.Duration relistAfter) {
        return new LinuxDatapath(config(node, attachment), locator(node), relistAfter);
    }

    /** The node's datapath configuration with pods attached by {@code mode}, VIPs balanced as this cluster says (nothing pinned). */
    private io.swarmnet.agent.datapath.DatapathConfig config(SimulatedNode node, PodAttachmentMode mode) {
        return node.datapathConfig().withAttachment(mode).withVipBalancing(vipBalancing, java.util.Optional.empty(), java.util.Optional.empty());
    }

    private void createUnderlay(int nodeCount) {
        String bridge = underlayBridge();
        must(tools.run(List.of("ip", "link", "add", "name", bridge, "type", "bridge"), null), "create underlay bridge " + bridge);
        must(tools.run(List.of("ip", "link", "set", "dev", bridge, "up"), null), "bring up " + bridge);
        for (int i = 1; i <= nodeCount; i++) {
            String ns = prefix + "-node" + i;
            String rootEnd = prefix + "-u" + i; // underlayPort
            IpAddress address = IpAddress.parse("192.0.2." + (10 + i));
            must(tools.run(List.of("ip", "netns", "add", ns), null), "create node namespace " + ns);
            List<String> batch = List.of(
                    "link add name " + rootEnd + " mtu " + UNDERLAY_MTU + " type veth peer name " + SimulatedNode.UNDERLAY_INTERFACE
                            + " mtu " + UNDERLAY_MTU + " netns " + ns,
                    "link set dev " + rootEnd + " master " + bridge + " up");
            must(tools.run(List.of("ip", "-batch", "-"), String.join("\n", batch) + "\n"), "connect node " + ns + " to " + bridge);
            must(tools.run(List.of("ip", "-n", ns, "-batch", "-"), String.join("\n", List.of(
                    "link set dev lo up",
                    "addr add " + address + "/24 dev " + SimulatedNode.UNDERLAY_INTERFACE,
                    "link set dev " + SimulatedNode.UNDERLAY_INTERFACE + " up")) + "\n"), "address node " + ns);
            SimulatedNode node = new SimulatedNode(i, "node-" + i, ns, address, UNDERLAY_MTU, prefix + "n" + i);
            nodes.add(node);
            locators.put(node.name(), new SimulatedPodNamespaceLocator(podRegistry(node)));
        }
    }

    /** Creates a pod's namespace on a node (lo up) and makes it findable by that node's locator. */
    public synchronized SimulatedPod createPod(SimulatedNode node, PodRef ref) {
        if (pods.containsKey(ref)) {
            throw new IllegalArgumentException("pod " + ref + " already exists in the simulation");
        }
        String ns = prefix + "-p" + (++podCounter);
        must(tools.run(List.of("ip", "netns", "add", ns), null), "create namespace of pod " + ref);
        must(tools.run(List.of("ip", "-n", ns, "link", "set", "dev", "lo", "up"), null), "bring up lo of pod " + ref);
        SimulatedPod pod = new SimulatedPod(ref, node, ns);
        pods.put(ref, pod);
        locators.get(node.name()).register(ref, pod.namespacePath());
        return pod;
    }

    /** Stops the pod's processes and removes its namespace (what a node does when a pod dies). */
    public void deletePod(PodRef ref) {
        SimulatedPod pod = pods.remove(ref);
        if (pod == null) {
            return;
        }
        locators.get(pod.node().name()).unregister(ref);
        stopProcesses(ref);
        tools.run(List.of("ip", "netns", "del", pod.namespace()), null);
    }

    public List<SimulatedPod> pods() {
        return List.copyOf(pods.values());
    }

    /** Runs a command inside the pod and waits for it (bounded by the tool timeout). */
    public KernelTools.Result exec(SimulatedPod pod, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", pod.namespace()));
        full.addAll(List.of(command));
        return tools.run(full, null);
    }

    /** Starts a long-running command inside the pod (a server); stopped when the pod is deleted or the cluster closed. */
    public Process startProcess(SimulatedPod pod, String... command) {
        return start(pod, true, command);
    }

    /** Like {@link #startProcess} but the caller reads the process's output (stdout and stderr merged). */
    public Process startProcessWithOutput(SimulatedPod pod, String... command) {
        return start(pod, false, command);
    }

    private Process start(SimulatedPod pod, boolean discardOutput, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", pod.namespace()));
        full.addAll(List.of(command));
        try {
            ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true);
            if (discardOutput) {
                builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            }
            Process process = builder.start();
            podProcesses.computeIfAbsent(pod.ref(), k -> Collections.synchronizedList(new ArrayList<>())).add(process);
            return process;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + full + " in pod " + pod.ref() + ": " + e.getMessage(), e);
        }
    }

    /** Runs a command in a node's namespace (its host network). */
    public KernelTools.Result execOnNode(SimulatedNode node, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", node.namespace()));
        full.addAll(List.of(command));
        return tools.run(full, null);
    }

    /** Starts one agent per node; each gets a LinuxDatapath for its node and that node's pod locator. */
    public void runAgents(AgentLauncher launcher) {
        for (SimulatedNode node : nodes) {
            runAgent(node, launcher);
        }
    }

    /**
     * Stops every running agent (the kernel state stays, as when a DaemonSet pod is replaced) and starts new ones
     * with fresh datapath instances, which must take the kernel over by diffing.
     */
    public void restartAgents(AgentLauncher launcher) {
        stopAgents();
        runAgents(launcher);
    }

    /** Stops every running agent, leaving the kernel as it is. */
    public void stopAgents() {
        List<AutoCloseable> running;
        synchronized (agents) {
            running = List.copyOf(agents);
            agents.clear();
        }
        for (AutoCloseable agent : running) {
            try {
                agent.close();
            } catch (Exception e) {
                LOG.warn("stopping an agent of simulation {} failed: {}", prefix, e.toString());
            }
        }
    }

    /** Starts the agent of one node (e.g. again after stopping it); the returned handle stops it. */
    public AutoCloseable runAgent(SimulatedNode node, AgentLauncher launcher) {
        LinuxDatapath datapath = datapath(node);
        AutoCloseable agent;
        try {
            agent = launcher.start(node, datapath, locator(node));
        } catch (Exception e) {
            datapath.close();
            throw new IllegalStateException("agent of " + node.name() + " did not start: " + e.getMessage(), e);
        }
        AutoCloseable handle = () -> {
            try {
                agent.close();
            } finally {
                datapath.close();
            }
        };
        agents.add(handle);
        return handle;
    }

    /** How to start one node agent: the sandbox and the end-to-end tests pass NodeAgent::start wrapped here. */
    @FunctionalInterface
    public interface AgentLauncher {
        AutoCloseable start(SimulatedNode node, Datapath datapath, PodNamespaceLocator locator) throws Exception;
    }

    /** Kernel objects of this run still present: network namespaces and root-namespace devices with our prefix. */
    public List<String> leftovers() {
        List<String> found = new ArrayList<>();
        ourNamespaces(prefix).forEach(n -> found.add("netns " + n));
        rootDevicesStartingWith(prefix).forEach(d -> found.add("root device " + d));
        if (Files.exists(registryRoot())) {
            found.add("directory " + registryRoot());
        }
        return found;
    }

    @Override
    public void close() {
        stopAgents();
        for (PodRef ref : List.copyOf(pods.keySet())) {
            deletePod(ref);
        }
        removeLeftovers();
        nodes.clear();
    }

    private void stopProcesses(PodRef ref) {
        List<Process> processes = podProcesses.remove(ref);
        if (processes == null) {
            return;
        }
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Everything named with this run's prefix: node namespaces, their datapaths' network namespaces, pods, the bridge. */
    private void removeLeftovers() {
        for (List<Process> processes : podProcesses.values()) {
            processes.forEach(Process::destroyForcibly);
        }
        podProcesses.clear();
        for (String ns : ourNamespaces(prefix)) {
            killProcessesIn(ns);
            // VXLAN devices are deleted explicitly so their UDP sockets are released now, not at namespace reaping
            KernelTools.Result links = tools.run(List.of("ip", "-n", ns, "-o", "link", "show", "type", "vxlan"), null);
            for (String line : links.stdout().split("\n")) {
                String[] parts = line.split(":\\s+", 3);
                if (parts.length >= 2) {
                    String dev = parts[1].split("@")[0];
                    tools.run(List.of("ip", "-n", ns, "link", "del", "dev", dev), null);
                }
            }
            tools.run(List.of("ip", "netns", "del", ns), null);
        }
        for (String device : rootDevicesStartingWith(prefix)) {
            tools.run(List.of("ip", "link", "del", "dev", device), null);
        }
        deleteRecursively(registryRoot());
        try {
            // the shared parent goes too once no other run uses it
            Files.deleteIfExists(registryRoot().getParent());
        } catch (IOException e) {
            // another run's registry is still there: leave the directory to it
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", root, e.toString());
        }
    }

    private void killProcessesIn(String ns) {
        KernelTools.Result pids = tools.run(List.of("ip", "netns", "pids", ns), null);
        for (String pid : pids.stdout().split("\\s+")) {
            if (pid.matches("\\d+")) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /** Node and pod namespaces (PREFIX-...) and the network namespaces of the nodes' datapaths (PREFIXnN-net-...). */
    private static List<String> ourNamespaces(String prefix) {
        File dir = new File("/run/netns");
        String[] names = dir.list();
        if (names == null) {
            return List.of();
        }
        Pattern ours = Pattern.compile(Pattern.quote(prefix) + "(-.*|n\\d+-net-\\d+)");
        List<String> matching = new ArrayList<>();
        for (String n : names) {
            if (ours.matcher(n).matches()) {
                matching.add(n);
            }
        }
        Collections.sort(matching);
        return matching;
    }

    // Root devices are named PREFIX-ul and PREFIX-uN; nothing else of ours lives in the root namespace.
    private static List<String> rootDevicesStartingWith(String prefix) {
        try (Stream<Path> devices = Files.list(Path.of("/sys/class/net"))) {
            return devices.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix + "-")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /sys/class/net: " + e.getMessage(), e);
        }
    }

    private static void must(KernelTools.Result result, String what) {
        if (!result.ok()) {
            throw new IllegalStateException("simulation: cannot " + what + ": " + result.describe());
        }
    }
}

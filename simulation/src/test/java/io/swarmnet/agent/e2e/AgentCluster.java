package io.swarmnet.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.swarmnet.agent.encryption.KeyRing;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.api.contract.NodeNetworkStates;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.agent.AgentConfig;
import io.swarmnet.agent.ClusterObjects;
import io.swarmnet.agent.NodeAgent;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.agent.encryption.EncryptionSettings;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.agent.simulation.SimulatedPod;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkStatus;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceStatus;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The stage of the end-to-end tests: the embedded API server, simulated nodes on an underlay bridge, and one
 * real {@link NodeAgent} per node with the Linux datapath, the embedded resolver and encryption turned on, as
 * the DaemonSet runs it. The test plays the operator where it does not run the real one (networks with status,
 * services with VIPs, task pods with their addresses) and the kubelet (pod phase, containers ready).
 */
final class AgentCluster implements AutoCloseable {

    /** Where the key Secret lives: the operator's namespace (OperatorConfig's default). */
    static final String KEY_NAMESPACE = "swarmnet-system";

    private final SandboxApiServer api;
    private final KubernetesClient client;
    private final SimulatedCluster cluster;
    private final Map<String, SimulatedPod> pods = new ConcurrentHashMap<>();
    /** The namespace of each pod of the test (by pod name; names are unique in a test), when it is not the default one. */
    private final Map<String, String> namespaceOf = new ConcurrentHashMap<>();
    private final Map<Integer, NodeAgent> agents = new java.util.HashMap<>();
    private final Map<Integer, AutoCloseable> handles = new ConcurrentHashMap<>();
    private SimulatedCluster.AgentLauncher launcher;

    private AgentCluster(SandboxApiServer api, SimulatedCluster cluster) {
        this.api = api;
        this.client = api.client();
        this.cluster = cluster;
    }

    /** An API server, {@code nodes} simulated nodes and their Node objects; no agent runs yet. */
    static AgentCluster start(int nodes) {
        return start(nodes, io.swarmnet.agent.datapath.PodAttachmentMode.DEFAULT);
    }

    /** The same, the agents' datapaths attaching pods by {@code attachment}. */
    static AgentCluster start(int nodes, io.swarmnet.agent.datapath.PodAttachmentMode attachment) {
        return start(nodes, attachment, io.swarmnet.agent.datapath.VipBalancing.DEFAULT);
    }

    /** The same, the agents' datapaths balancing VIPs by {@code balancing}. */
    static AgentCluster start(int nodes, io.swarmnet.agent.datapath.PodAttachmentMode attachment,
            io.swarmnet.agent.datapath.VipBalancing balancing) {
        SandboxApiServer api = SandboxApiServer.start();
        SimulatedCluster cluster;
        try {
            cluster = SimulatedCluster.start(nodes);
            cluster.attachPodsBy(attachment);
            cluster.balanceVipsBy(balancing);
        } catch (RuntimeException e) {
            api.close();
            throw e;
        }
        AgentCluster stage = new AgentCluster(api, cluster);
        try {
            stage.client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(KEY_NAMESPACE).endMetadata().build()).create();
            for (SimulatedNode n : cluster.nodes()) {
                stage.client.resource(ClusterObjects.node(n.name(), n.underlayAddress().toString())).create();
            }
        } catch (RuntimeException e) {
            stage.close();
            throw e;
        }
        return stage;
    }

    /** One agent per node with DNS (forwarding to {@code dns}'s upstream) and encryption on, in the mode auto chooses. */
    void runAgents(DnsSettings dns) {
        runAgents(dns, EncryptionSettings.ModeSetting.auto);
    }

    /** One agent per node with DNS (forwarding to {@code dns}'s upstream) and encryption on, in {@code mode}. */
    void runAgents(DnsSettings dns, EncryptionSettings.ModeSetting mode) {
        runAgents(dns, node -> mode);
    }

    /** One agent per node with DNS and encryption on, node {@code n} in mode {@code modeOf.apply(n)}. */
    void runAgents(DnsSettings dns, java.util.function.IntFunction<EncryptionSettings.ModeSetting> modeOf) {
        runAgents(dns, modeOf, io.swarmnet.agent.encryption.SequenceLimit.ESP);
    }

    /** One agent per node with DNS and encryption on in {@code mode}, outbound SAs limited to {@code limit}. */
    void runAgents(DnsSettings dns, EncryptionSettings.ModeSetting mode, io.swarmnet.agent.encryption.SequenceLimit limit) {
        runAgents(dns, node -> mode, limit);
    }

    private void runAgents(DnsSettings dns, java.util.function.IntFunction<EncryptionSettings.ModeSetting> modeOf,
            io.swarmnet.agent.encryption.SequenceLimit limit) {
        launcher = (node, datapath, locator) -> {
            EncryptionSettings.ModeSetting mode = modeOf.apply(node.index());
            AgentConfig config = AgentConfig.forNode(node.facts())
                    .withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                    .withHealthPort(0)
                    .withDns(dns)
                    .withEncryption(new EncryptionSettings(node.hostNamespace(), node.datapathConfig().prefix(), KEY_NAMESPACE, mode,
                            cluster.stateDirectory(node)).withSequenceLimit(limit));
            NodeAgent agent = NodeAgent.start(client, config, datapath, locator);
            synchronized (agents) {
                agents.put(node.index(), agent);
            }
            return agent;
        };
        for (SimulatedNode node : cluster.nodes()) {
            handles.put(node.index(), cluster.runAgent(node, launcher));
        }
    }

    /** The running agent of node {@code index}. */
    NodeAgent agent(int index) {
        synchronized (agents) {
            return agents.get(index);
        }
    }

    /** Stops the agent of node {@code index} as a replaced DaemonSet pod stops: the kernel state stays. */
    void stopAgent(int index) throws Exception {
        AutoCloseable handle = handles.remove(index);
        if (handle != null) {
            handle.close();
        }
    }

    /** Starts the agent of node {@code index} again, with the settings of {@link #runAgents}. */
    void startAgent(int index) {
        handles.put(index, cluster.runAgent(cluster.node(index), launcher));
    }

    KubernetesClient client() {
        return client;
    }

    SimulatedCluster simulation() {
        return cluster;
    }

    SimulatedNode node(int index) {
        return cluster.node(index);
    }

    SimulatedPod pod(String name) {
        SimulatedPod pod = pods.get(name);
        if (pod == null) {
            throw new IllegalArgumentException("no task pod named " + name + " in this test");
        }
        return pod;
    }

    /** Creates a network or service together with the status the operator would have written. */
    <T extends HasMetadata> T createWithStatus(T object) {
        return ClusterObjects.createWithStatus(client, object);
    }

    /**
     * A task of {@code service} on node {@code node}: the pod (Running, containers ready, not yet attached) in the
     * API and its network namespace on the node, which the node's agent then attaches.
     */
    SimulatedPod runTask(String name, String service, int node, Map<String, String> addresses) {
        return run(name, ClusterObjects.task(name, service), node, addresses);
    }

    /** As {@link #runTask}, for a service of {@code namespace} (created with {@link #namespace}). */
    SimulatedPod runTask(String namespace, String name, String service, int node, Map<String, String> addresses) {
        namespaceOf.put(name, namespace);
        return run(name, ClusterObjects.task(name, service).namespace(namespace), node, addresses);
    }

    /** Creates a namespace with these labels. */
    void namespace(String name, Map<String, String> labels) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build())
                .create();
    }

    private String namespaceOf(String pod) {
        return namespaceOf.getOrDefault(pod, ClusterObjects.NS);
    }

    /**
     * A pod that is no task, on attachable networks as the operator leaves it (label, addresses, the networks it asked
     * for in {@code addresses}' order with {@code aliases}), running on node {@code node}; the node's agent then attaches it.
     */
    SimulatedPod runAttachedPod(String name, int node, Map<String, String> addresses, Map<String, List<String>> aliases) {
        ClusterObjects.TaskBuilder builder = ClusterObjects.attachedPod(name);
        aliases.forEach((network, names) -> builder.aliases(network, names.toArray(String[]::new)));
        return run(name, builder, node, addresses);
    }

    private SimulatedPod run(String name, ClusterObjects.TaskBuilder builder, int node, Map<String, String> addresses) {
        builder.on(cluster.node(node).name()).runningUnattached();
        addresses.forEach(builder::address);
        Pod pod = builder.build();
        pod.getMetadata().setUid(null);
        Pod created = client.resource(pod).create();
        PodRef ref = new PodRef(namespaceOf(name), name, created.getMetadata().getUid());
        // the kubelet's part, in its order: the sandbox (the pod's network namespace) first, then the status that
        // reports it (a pod IP) and the pod running with ready containers (agents may write their condition meanwhile)
        SimulatedPod simulated = cluster.createPod(cluster.node(node), ref);
        pods.put(name, simulated);
        pod.getStatus().setPodIP("10.244." + node + "." + pods.size());
        writeStatus(name, current -> current.setStatus(pod.getStatus()));
        return simulated;
    }

    /**
     * A ready task in the API only, on a node that runs no agent here (the test plays that node's kubelet and agent):
     * the other nodes see it as a remote endpoint, and their resolvers list it.
     */
    void createRemoteReadyTask(String name, String service, String node, Map<String, String> addresses) {
        ClusterObjects.TaskBuilder builder = ClusterObjects.task(name, service).on(node).ready();
        addresses.forEach(builder::address);
        Pod pod = builder.build();
        pod.getMetadata().setUid(null);
        client.resource(pod).create();
        writeStatus(name, current -> current.setStatus(pod.getStatus()));
    }

    /** Deletes the task from the API and then its namespace from its node, as the kubelet does. */
    void deleteTask(String name) {
        client.pods().inNamespace(namespaceOf(name)).withName(name).delete();
        SimulatedPod pod = pods.remove(name);
        if (pod != null) {
            cluster.deletePod(pod.ref());
        }
    }

    /** Plays the kubelet's readiness probe: the task's containers become (un)ready. */
    void setContainersReady(String name, boolean ready) {
        writeStatus(name, pod -> pod.getStatus().getConditions().stream().filter(c -> c.getType().equals("ContainersReady"))
                .forEach(c -> c.setStatus(ready ? "True" : "False")));
    }

    /** Read, change, write the pod's status; again on a conflict with an agent's concurrent write. */
    private void writeStatus(String name, java.util.function.Consumer<Pod> change) {
        for (int attempt = 1; ; attempt++) {
            Pod pod = client.pods().inNamespace(namespaceOf(name)).withName(name).get();
            change.accept(pod);
            try {
                client.resource(pod).updateStatus();
                return;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    boolean attached(String name) {
        return attachedCondition(name).filter(c -> "True".equals(c.getStatus())).isPresent();
    }

    /** The pod's swarmnet.io/attached condition, as its node's agent last wrote it. */
    Optional<io.fabric8.kubernetes.api.model.PodCondition> attachedCondition(String name) {
        Pod pod = client.pods().inNamespace(namespaceOf(name)).withName(name).get();
        if (pod == null || pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream().filter(c -> SwarmnetKeys.CONDITION_ATTACHED.equals(c.getType())).findFirst();
    }

    void awaitAttached(String... names) {
        for (String name : names) {
            await(name + " attached by its node's agent", () -> attached(name), Duration.ofSeconds(30));
        }
    }

    KernelTools.Result exec(String pod, String... command) {
        return cluster.exec(pod(pod), command);
    }

    /** Skips the calling test unless it runs as root (network namespaces) with {@code tools} on PATH. */
    static void assumeRootWith(String... tools) {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        for (String tool : tools) {
            org.junit.jupiter.api.Assumptions.assumeTrue(onPath(tool), "needs '" + tool + "' on PATH (scripts/install-deps.sh installs it)");
        }
    }

    /** One busybox ping from inside {@code pod}, waiting at most a second for the answer. */
    boolean ping(String pod, String address) {
        return exec(pod, "busybox", "ping", "-c", "1", "-W", "1", address).ok();
    }

    /**
     * Waits (at most 5 s) until {@code pod} gets an answer from {@code address} on another node. A pod's attached
     * condition says its own node is ready; the other node adds the pod's endpoint in its next round after it sees the pod,
     * tens of milliseconds later, and until then a one-shot ping's answer has no way back (seen once in CI).
     */
    void awaitReach(String what, String pod, String address) {
        await(what, () -> ping(pod, address), Duration.ofSeconds(5));
    }

    /** What busybox nslookup prints (both streams) for {@code name}, asked of the embedded resolver inside {@code pod}. */
    String nslookup(String pod, String name) {
        KernelTools.Result result = exec(pod, "busybox", "nslookup", name, "127.0.0.11");
        return result.stdout() + result.stderr();
    }

    /** The addresses busybox nslookup printed for the name (not the server's own 127.0.0.11). */
    static List<String> addressesIn(String nslookupOutput) {
        List<String> found = new java.util.ArrayList<>();
        boolean answers = false;
        for (String line : nslookupOutput.split("\n")) {
            String l = line.strip();
            if (l.startsWith("Name:")) {
                answers = true;
            }
            if (answers && l.startsWith("Address")) {
                String value = l.substring(l.indexOf(':') + 1).strip();
                if (value.matches("\\d+\\.\\d+\\.\\d+\\.\\d+")) {
                    found.add(value);
                }
            }
        }
        return found;
    }

    KernelTools.Result execOnNode(int node, String... command) {
        return cluster.execOnNode(cluster.node(node), command);
    }

    /**
     * A dnsrr service (no VIP to allocate) on {@code network} with no replicas: the tasks the test runs itself belong
     * to it, and the operator starts no pods of its own.
     */
    void createTasklessService(String name, String network) {
        SwarmService service = ClusterObjects.service(name).network(network).dnsrr().build();
        service.getMetadata().setUid(null);
        service.getSpec().setReplicas(0);
        service.setStatus(null);
        client.resource(service).create();
    }

    /** Waits until node {@code node} reports encryption of {@code network} Established in {@code mode}. */
    void awaitEncryption(int node, String network, NodeNetworkState.EncryptionMode mode) {
        String name = cluster.node(node).name();
        await(name + " reports " + mode + " encryption of " + network + " Established", () -> nodeState(name, network)
                .map(s -> s.encryption() == NodeNetworkState.Encryption.Established && s.encryptionMode() == mode).orElse(false),
                Duration.ofSeconds(30));
    }

    /** Stops the operator (if it started) and then the stage (if it started): the end of every test class here. */
    static void close(AutoCloseable operator, AgentCluster stage) throws Exception {
        try {
            if (operator != null) {
                operator.close();
            }
        } finally {
            if (stage != null) {
                stage.close();
            }
        }
    }

    // --- what the cluster says about networks and keys ---------------------------------------------------------

    static OverlayNetwork network(String name, String subnet, int vni, boolean encrypted) {
        OverlayNetwork network = new OverlayNetwork();
        network.setMetadata(new ObjectMetaBuilder().withNamespace(ClusterObjects.NS).withName(name).build());
        network.getSpec().setSubnet(subnet);
        network.getSpec().setVxlanId(vni);
        network.getSpec().setEncrypted(encrypted);
        return network;
    }

    boolean allocated(String name) {
        OverlayNetwork network = client.resources(OverlayNetwork.class).inNamespace(ClusterObjects.NS).withName(name).get();
        return network != null && network.getStatus() != null && network.getStatus().getVxlanId() != null;
    }

    Optional<Condition> encryptedCondition(String name) {
        OverlayNetwork network = client.resources(OverlayNetwork.class).inNamespace(ClusterObjects.NS).withName(name).get();
        if (network == null || network.getStatus() == null) {
            return Optional.empty();
        }
        return network.getStatus().getConditions().stream().filter(c -> "Encrypted".equals(c.getType())).findFirst();
    }

    Optional<NodeNetworkState> nodeState(String node, String network) {
        Node n = client.nodes().withName(node).get();
        String annotation = n.getMetadata().getAnnotations() == null ? null
                : n.getMetadata().getAnnotations().get(SwarmnetKeys.ANNOTATION_NODE_NETWORKS);
        if (annotation == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(NodeNetworkStates.parse(annotation).byNetwork().get(NodeNetworkStates.key(ClusterObjects.NS, network)));
    }

    Secret secret() {
        return client.secrets().inNamespace(KEY_NAMESPACE).withName(SwarmnetKeys.SECRET_ENCRYPTION_KEYS).get();
    }

    KeyRing ring() {
        return KeyRing.fromSecretData(secret().getData());
    }

    /** Stops the agents, removes every kernel object of the run and asserts none is left, stops the API. */
    @Override
    public void close() {
        try {
            String prefix = cluster.prefix();
            cluster.close();
            assertThat(cluster.leftovers()).as("kernel objects of run %s left behind", prefix).isEmpty();
        } finally {
            api.close();
        }
    }

    static void await(String what, BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not reached within " + timeout);
            }
            sleep(20);
        }
    }

    /**
     * The rotation's next step once the agents have confirmed the previous one: while the operator's plan waits for a
     * node's confirmation, steps again every 20 ms, at most 20 s.
     */
    static io.swarmnet.operator.keys.KeyRotationPlan.Step stepOnceConfirmed(io.swarmnet.operator.keys.KeyRotation rotation) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        io.swarmnet.operator.keys.KeyRotationPlan.Step step = rotation.step();
        while (step instanceof io.swarmnet.operator.keys.KeyRotationPlan.AwaitNodes waiting) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the agents of " + waiting.nodes() + " did not confirm the rotation's last step within 20 s");
            }
            sleep(20);
            step = rotation.step();
        }
        return step;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (new File(dir, tool).canExecute()) {
                return true;
            }
        }
        return false;
    }
}

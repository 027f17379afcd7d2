package io.swarmnet.agent;

import ch.qos.logback.classic.Level;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.agent.cluster.ClusterPublisher;
import io.swarmnet.agent.cluster.ClusterWatch;
import io.swarmnet.agent.datapath.Datapath;
import io.swarmnet.agent.datapath.DatapathConfig;
import io.swarmnet.agent.datapath.LinuxDatapath;
import io.swarmnet.agent.datapath.NetNamespace;
import io.swarmnet.agent.desired.NodeFacts;
import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.agent.dns.NodeDns;
import io.swarmnet.agent.encryption.EncryptionSettings;
import io.swarmnet.agent.encryption.NodeEncryption;
import io.swarmnet.agent.netns.PodNamespaceLocator;
import io.swarmnet.agent.netns.ProcPodNamespaceLocator;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.SwarmService;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent: watches the cluster, computes this node's desired datapath, has the {@link Datapath} apply it,
 * and publishes the result (pod readiness-gate conditions, the Node's per-network state, events).
 *
 * <p>Several agents can run in one JVM (the simulation and the sandbox run one per simulated node): there is
 * no static state, every thread is named after the node and stops on {@link #close()}, and nothing calls
 * System.exit. Closing the agent leaves the kernel as it is, on purpose: the datapath outlives the process,
 * and the next agent takes it over by diffing.
 */
public final class NodeAgent implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);
    /** A round running longer than this means the loop is stuck: liveness fails and the kubelet restarts us. */
    private static final Duration STUCK_AFTER = Duration.ofMinutes(5);
    /** How long a starting agent waits for the agent of the pod it replaces to stop. */
    private static final Duration PREDECESSOR_WAIT = Duration.ofMinutes(5);

    private final AgentConfig config;
    private final PodNamespaceLocator locator;
    private final ClusterWatch watch;
    private final ReconcileLoop loop;
    private final Thread thread;
    private final HealthEndpoint health;
    private final AgentMetrics metrics = new AgentMetrics(this::espCounters);
    private final NodeEncryption encryption;
    private final NodeDns dns;

    private NodeAgent(KubernetesClient client, AgentConfig config, Datapath datapath, PodNamespaceLocator locator) {
        this.config = config;
        this.locator = locator;
        String node = config.node().nodeName();
        // the key Secret's informer starts inside NodeEncryption's constructor and may report the Secret before the
        // loop exists; nothing is lost then, since the loop's first round reads the keys it already holds
        AtomicReference<ReconcileLoop> loopRef = new AtomicReference<>();
        Runnable markDirty = () -> {
            ReconcileLoop current = loopRef.get();
            if (current != null) {
                current.markDirty();
            }
        };
        this.watch = new ClusterWatch(client, node, markDirty);
        this.encryption = config.encryption().map(e -> new NodeEncryption(client, node, e, markDirty)).orElse(null);
        this.dns = config.dns().map(d -> new NodeDns(d, locator)).orElse(null);
        this.loop = new ReconcileLoop(config, watch, datapath, new ClusterPublisher(client, watch, node, Clock.systemUTC()),
                encryption, dns);
        loopRef.set(loop);
        this.thread = new Thread(loop, "swarmnet-agent-" + node);
        thread.setDaemon(true);
        HealthEndpoint endpoint = null;
        try {
            thread.start();
            watch.start();
            if (config.healthPort() >= 0) {
                endpoint = new HealthEndpoint(config.healthPort(), "swarmnet-health-" + node, this::liveness, this::readiness,
                        this::metrics);
            }
        } catch (RuntimeException e) {
            stopThreads();
            throw e;
        }
        this.health = endpoint;
    }

    /**
     * Starts an agent for {@code config.node()}; returns at once while it syncs with the cluster in the background.
     * The client stays the caller's (closing the agent does not close it).
     */
    public static NodeAgent start(KubernetesClient client, AgentConfig config, Datapath datapath, PodNamespaceLocator locator) {
        return new NodeAgent(client, config, datapath, locator);
    }

    public AgentConfig config() {
        return config;
    }

    /** How this node finds pods' network namespaces (shared with the DNS resolver, which opens sockets in them). */
    public PodNamespaceLocator locator() {
        return locator;
    }

    public AgentStatus status() {
        return loop.status();
    }

    /** True once the agent has synced with the cluster and completed a first round. */
    public boolean ready() {
        return readiness() == null;
    }

    /** The agent's metrics in the Prometheus text format, see {@link AgentMetrics}. */
    String metrics() {
        return metrics.scrape();
    }

    /** The userspace ESP datapath's counters, while this agent runs it (encrypted networks on a node in userspace mode). */
    public java.util.Optional<io.swarmnet.agent.encryption.userspace.EspTunnel.Counters> espCounters() {
        return encryptionTunnel().map(t -> t.counters());
    }

    /** The userspace ESP datapath, while this agent runs it. */
    public java.util.Optional<io.swarmnet.agent.encryption.userspace.EspTunnel> encryptionTunnel() {
        return encryption == null ? java.util.Optional.empty() : encryption.tunnel();
    }

    /** The port /healthz and /readyz are served on, if any (useful when the config asked for port 0). */
    public OptionalInt healthPort() {
        return health == null ? OptionalInt.empty() : OptionalInt.of(health.port());
    }

    private String liveness() {
        if (!thread.isAlive()) {
            return "the reconcile thread has stopped";
        }
        Duration busy = loop.busyFor();
        return busy.compareTo(STUCK_AFTER) > 0 ? "the current reconcile round has been running for " + busy.toSeconds() + " s" : null;
    }

    private String readiness() {
        String live = liveness();
        if (live != null) {
            return live;
        }
        AgentStatus status = status();
        if (!status.synced()) {
            return "not yet synced with the API server (pods, SwarmServices, OverlayNetworks, Nodes)";
        }
        return status.rounds() == 0 ? "first reconcile round not finished" : null;
    }

    @Override
    public void close() {
        if (health != null) {
            health.close();
        }
        stopThreads();
    }

    private void stopThreads() {
        loop.stop();
        watch.close();
        if (encryption != null) {
            encryption.close();
        }
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
            LOG.warn("reconcile thread of node {} did not stop within 30 s; interrupted it", config.node().nodeName());
        }
        if (dns != null) {
            // the resolver's sockets die with the process anyway; closing them here frees the pods' port 53 at once
            dns.close();
        }
    }

    /**
     * The kinds the agent watches (ClusterWatch's informers, the encryption key Secret's): the only ones its client reads
     * watch events as, see {@link KubernetesClients#builder(List)}.
     */
    static final List<Class<? extends KubernetesResource>> WATCHED_KINDS = List.of(Pod.class, Node.class, Secret.class,
            SwarmService.class, OverlayNetwork.class);

    /** A client builder as the DaemonSet's agent uses it (configured from the environment unless given a config). */
    public static KubernetesClientBuilder clientBuilder() {
        return KubernetesClients.builder(WATCHED_KINDS).withHttpClientFactory(new HttpWorkers());
    }

    /** The DaemonSet entry point; configuration from the environment, see {@link AgentEnvironment}. */
    public static void main(String[] args) throws Exception {
        KubernetesClients.widenCommonPool();
        AgentEnvironment env = AgentEnvironment.parse(System.getenv());
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.toLevel(env.logLevel()));
        // one agent per node at a time: the pod this one replaces (a rollout with surge) keeps its agent until this pod
        // is ready, and its probes are answered by that agent on the host network meanwhile
        HealthEndpoint.awaitFree(env.httpPort(), PREDECESSOR_WAIT);
        KubernetesClient client = clientBuilder().build();
        IpAddress address = env.underlayAddress().orElseGet(() -> internalIp(client, env.nodeName()));
        OptionalInt measured = env.underlayMtu().isPresent() ? env.underlayMtu() : UnderlayInterface.mtuOf(address);
        if (measured.isEmpty()) {
            throw new IllegalStateException("node " + env.nodeName() + ": no interface in the host network namespace holds the "
                    + "underlay address " + address + ", so its MTU is unknown; run the agent with hostNetwork, or set "
                    + "SWARMNET_UNDERLAY_ADDRESS / SWARMNET_UNDERLAY_MTU");
        }
        NodeFacts node = new NodeFacts(env.nodeName(), address, measured.getAsInt());
        PodNamespaceLocator locator = new ProcPodNamespaceLocator(env.procRoot());
        // first: with SWARMNET_VIP_BALANCING=auto the datapath decides how VIPs are balanced, and the DNS redirect follows
        LinuxDatapath datapath = new LinuxDatapath(DatapathConfig.forHost(env.datapathPrefix()).withVxlanPort(env.vxlanPort())
                .withAttachment(env.podAttachment()).withVipBalancing(env.vipBalancing(), env.bpfPins(), env.cgroup2Root()), locator);
        AgentConfig config = AgentConfig.forNode(node).withHealthPort(env.httpPort()).withDebounce(env.debounce())
                .withResync(env.resync())
                .withDns(new DnsSettings(env.dnsUpstream().or(() -> DnsSettings.firstNameserver(Path.of("/etc/resolv.conf"))),
                        DnsSettings.DEFAULT_UPSTREAM_TIMEOUT).withResolverSocket(env.resolverSocket())
                        .withUntrackedRedirect(datapath.vipBalancing() == io.swarmnet.agent.datapath.VipBalancing.SOCKET))
                .withEncryption(new EncryptionSettings(new NetNamespace.Root(), env.datapathPrefix(), env.keyNamespace(), env.encryptionMode(),
                        env.stateDirectory(), env.vxlanPort(), env.sequenceLimit()));
        NodeAgent agent = start(client, config, datapath, locator);
        LOG.info("node agent for {} started: underlay {} MTU {}, VXLAN port {}, pods attached by {}, VIPs balanced by {}{}, health port {}",
                node.nodeName(), address, node.underlayMtu(), env.vxlanPort(), env.podAttachment(), datapath.vipBalancing(),
                env.vipBalancing() == io.swarmnet.agent.datapath.VipBalancing.AUTO ? " (auto)" : "",
                agent.healthPort().isPresent() ? agent.healthPort().getAsInt() : "none");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            datapath.close();
            client.close();
            stopped.countDown();
        }, "swarmnet-agent-shutdown"));
        stopped.await();
    }

    /** The Node's InternalIP, waiting for the API server and the Node's status if they are not there yet. */
    private static IpAddress internalIp(KubernetesClient client, String nodeName) {
        long delayMillis = 500;
        while (true) {
            try {
                Node node = client.nodes().withName(nodeName).get();
                Optional<IpAddress> address = node == null || node.getStatus() == null || node.getStatus().getAddresses() == null
                        ? Optional.empty()
                        : node.getStatus().getAddresses().stream()
                                .filter(a -> "InternalIP".equals(a.getType()) && IpAddress.isValid(a.getAddress()))
                                .map(a -> IpAddress.parse(a.getAddress())).findFirst();
                if (address.isPresent()) {
                    return address.get();
                }
                LOG.warn("Node {} has no IPv4 InternalIP yet (or does not exist); waiting (set SWARMNET_UNDERLAY_ADDRESS to skip)",
                        nodeName);
            } catch (KubernetesClientException e) {
                LOG.warn("cannot read Node {} from the API server ({}); retrying", nodeName, e.getMessage());
            }
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Node " + nodeName, e);
            }
            delayMillis = Math.min(delayMillis * 2, 10_000);
        }
    }
}

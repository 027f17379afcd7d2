package io.swarmnet.sandbox.daemon;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.agent.AgentConfig;
import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.agent.encryption.EncryptionSettings;
import io.swarmnet.agent.NodeAgent;
import io.swarmnet.agent.simulation.SimulatedCluster;
import io.swarmnet.agent.simulation.SimulatedNode;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.SwarmnetOperator;
import io.swarmnet.sandbox.SandboxHome;
import io.swarmnet.sandbox.kubelet.Kubelet;
import io.swarmnet.sandbox.kubelet.TaskRecords;
import io.swarmnet.sandbox.scheduling.Scheduler;
import io.swarmnet.sandboxapi.SandboxApiOptions;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole sandbox in one process: the embedded API server, the operator, N simulated nodes (the node
 * agent's simulation harness) each with its real node agent, and the scheduler and kubelet that run task
 * pods as host processes. {@link #close()} stops them in reverse order and removes every namespace and
 * device they made.
 */
public final class SandboxDaemon implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxDaemon.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final List<AutoCloseable> started = Collections.synchronizedList(new ArrayList<>());
    private final List<NodeAgent> agents = Collections.synchronizedList(new ArrayList<>());
    private SandboxApiServer api;
    private SimulatedCluster cluster;
    private Kubelet kubelet;

    private SandboxDaemon() {
    }

    /** Starts everything and returns once the operator and every node agent are ready; on failure removes what it made. */
    public static SandboxDaemon start(SandboxHome home, int nodeCount, Path crdDirectory) {
        SandboxDaemon daemon = new SandboxDaemon();
        try {
            daemon.startAll(home, nodeCount, crdDirectory);
            return daemon;
        } catch (RuntimeException e) {
            daemon.close();
            throw e;
        }
    }

    private void startAll(SandboxHome home, int nodeCount, Path crdDirectory) {
        long begin = System.nanoTime();
        LOG.info("starting {} nodes (JVM up for {} ms)", nodeCount, java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime());
        api = SandboxApiServer.start(SandboxApiOptions.defaults().withCrdDirectory(crdDirectory));
        started.add(api);
        KubernetesClient client = api.client();
        LOG.info("API server at {} with the CRDs of {}", api.url(), crdDirectory);

        cluster = SimulatedCluster.start(home.prefix(), nodeCount);
        started.add(cluster);
        Map<String, String> hostIps = new LinkedHashMap<>();
        for (SimulatedNode node : cluster.nodes()) {
            NodeRegistration.register(client, node);
            hostIps.put(node.name(), node.underlayAddress().toString());
        }
        LOG.info("{} simulated nodes on underlay bridge {}: {}", nodeCount, cluster.underlayBridge(), hostIps);

        OperatorConfig operatorConfig = OperatorConfig.defaults();
        // the operator's own namespace holds the encryption key Secret, as a Helm install would create it
        if (client.namespaces().withName(operatorConfig.operatorNamespace()).get() == null) {
            client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
                    .withName(operatorConfig.operatorNamespace()).endMetadata().build()).create();
        }
        SwarmnetOperator operator = SwarmnetOperator.start(client, operatorConfig);
        started.add(operator);
        // names that are not overlay names go to this machine's own resolver, standing in for the cluster DNS
        DnsSettings dns = new DnsSettings(DnsSettings.firstNameserver(Path.of("/etc/resolv.conf")), DnsSettings.DEFAULT_UPSTREAM_TIMEOUT);
        cluster.runAgents((node, datapath, locator) -> {
            AgentConfig config = AgentConfig.forNode(node.facts()).withDns(dns)
                    .withEncryption(new EncryptionSettings(node.hostNamespace(), node.datapathConfig().prefix(),
                            operatorConfig.operatorNamespace(), EncryptionSettings.ModeSetting.auto, cluster.stateDirectory(node)));
            NodeAgent agent = NodeAgent.start(client, config, datapath, locator);
            agents.add(agent);
            return agent;
        });

        Scheduler scheduler = new Scheduler(client, Clock.systemUTC()).start();
        started.add(scheduler);
        kubelet = new Kubelet(client, hostIps, new SimulatedPodNamespaces(cluster), new TaskRecords(home.tasksDir()),
                home.containerLogsDir(), Clock.systemUTC()).start();
        started.add(kubelet);

        awaitReady(operator);
        api.writeKubeconfig(home.kubeconfig());
        LOG.info("sandbox ready in {} ms", Duration.ofNanos(System.nanoTime() - begin).toMillis());
    }

    private void awaitReady(SwarmnetOperator operator) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            boolean agentsReady = agents.stream().allMatch(NodeAgent::ready);
            if (operator.healthy() && agentsReady) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the operator and the node agents");
            }
        }
        List<String> waiting = new ArrayList<>();
        if (!operator.healthy()) {
            waiting.add("operator");
        }
        agents.stream().filter(a -> !a.ready()).forEach(a -> waiting.add("node agent of " + a.config().node().nodeName()));
        throw new IllegalStateException("not ready after " + READY_TIMEOUT.toSeconds() + " s: " + String.join(", ", waiting));
    }

    public String apiUrl() {
        return api.url();
    }

    /** Stops the kubelet first (so every container process dies and every pod namespace goes), then the rest in reverse order. */
    @Override
    public void close() {
        List<AutoCloseable> reverse = new ArrayList<>(started);
        Collections.reverse(reverse);
        for (AutoCloseable part : reverse) {
            try {
                part.close();
            } catch (Exception e) {
                LOG.warn("stopping {} failed: {}", part.getClass().getSimpleName(), e.toString());
            }
        }
        started.clear();
    }
}

package io.swarmnet.agent.dns;

import io.swarmnet.agent.cluster.ClusterSnapshot;
import io.swarmnet.agent.datapath.ApplyReport;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.PodNamespaceLocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's part of service discovery: after each reconcile round, every attached local pod gets
 * the resolver at 127.0.0.11 with the names of the services it shares a network with; pods that
 * left lose theirs.
 */
public final class NodeDns implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeDns.class);
    private final PodResolvers server;
    private final PodNamespaceLocator locator;
    private Map<PodRef, String> lastFailures = Map.of();

    /**
     * The resolver in the agent's own process, or — with {@link DnsSettings#resolverSocket()} — the resolver process
     * beside it, reached over that socket.
     */
    public NodeDns(DnsSettings settings, PodNamespaceLocator locator) {
        this(settings.resolverSocket().<PodResolvers>map(socket -> new ResolverClient(socket, RESOLVER_PROCESS_TIMEOUT)
                        .redirectUntracked(settings.untrackedRedirect()))
                .orElseGet(() -> inProcess(settings)), locator);
    }

    public NodeDns(PodResolvers server, PodNamespaceLocator locator) {
        this.server = server;
        this.locator = locator;
    }

    /** How long one exchange with the resolver process may take (opening resolvers runs nft in each new pod). */
    static final java.time.Duration RESOLVER_PROCESS_TIMEOUT = java.time.Duration.ofSeconds(30);

    private static PodResolvers inProcess(DnsSettings settings) {
        try {
            return new EmbeddedDnsServer(settings.upstream().orElse(null), settings.upstreamTimeout())
                    .redirectUntracked(settings.untrackedRedirect());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded DNS resolver", e);
        }
    }

    /** Serves exactly the attached pods of {@code desired}; returns, per pod that could not be served, why. */
    public Map<PodRef, String> update(ClusterSnapshot snapshot, NodeDatapath desired, ApplyReport report) {
        Map<PodRef, PodResolver> pods = new HashMap<>();
        Map<PodRef, String> failures = new HashMap<>();
        NodeNames.compute(snapshot, desired).forEach((pod, names) -> {
            boolean attached = report.attachedPods().contains(pod);
            Optional<Path> namespace = locator.find(pod);
            if (namespace.isPresent()) {
                // a pod of the node whose attachment failed this round keeps a resolver it has (a restarted agent's
                // first rounds, a transient failure); only an attached pod gets a new one
                pods.put(pod, new PodResolver(namespace.get(), names, !attached));
            } else if (attached) {
                failures.put(pod, "DNS resolver for pod " + pod + ": its network namespace is gone");
            } else if (server.serves(pod)) {
                LOG.info("pod {}: its network namespace was not found; its resolver closes", pod);
            }
        });
        failures.putAll(server.sync(pods));
        if (!failures.equals(lastFailures)) {
            failures.forEach((pod, why) -> LOG.warn(why));
            lastFailures = Map.copyOf(failures);
        }
        return failures;
    }

    public boolean serves(PodRef pod) {
        return server.serves(pod);
    }

    @Override
    public void close() {
        server.close();
    }
}

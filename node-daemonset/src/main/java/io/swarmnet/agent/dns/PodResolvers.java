package io.swarmnet.agent.dns;

import io.swarmnet.agent.desired.PodRef;
import java.util.Map;

/**
 * What serves 127.0.0.11 in the pods of this node: the resolver itself ({@link EmbeddedDnsServer}, in the agent's
 * process where the agent runs alone, as in the sandbox), or the resolver process beside the agent
 * ({@link ResolverClient} → {@link ResolverProcess}), which keeps answering while the agent restarts.
 */
public interface PodResolvers extends AutoCloseable {

    /**
     * Serves exactly {@code desired}: opens resolvers in the namespaces of new pods, closes those of pods that left,
     * and swaps every pod's names. Returns, per pod that could not be served, why.
     */
    Map<PodRef, String> sync(Map<PodRef, PodResolver> desired);

    boolean serves(PodRef pod);

    /**
     * From the next {@link #sync} on, the pods' redirect of 127.0.0.11:53 is written without NAT ({@code true}: VIPs
     * are balanced at the socket on this node, nothing else in a pod asks the kernel to track connections) or with it;
     * a pod whose redirect is of the other kind gets it replaced. Returns this.
     */
    PodResolvers redirectUntracked(boolean untracked);

    @Override
    void close();
}

package io.swarmnet.agent.cluster;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.net.IpAddress;
import java.util.Map;
import java.util.Optional;

/**
 * A task pod as the agent needs it.
 *
 * @param service         the swarmnet.io/service label
 * @param node            spec.nodeName, empty while unscheduled
 * @param addresses       the swarmnet.io/addresses annotation: network name → address
 * @param phase           status.phase (Pending, Running, Succeeded, Failed, Unknown); Pending when absent
 * @param deleting        metadata.deletionTimestamp is set
 * @param containersReady every container is ready (the ContainersReady condition, or all container statuses)
 * @param attached        the swarmnet.io/attached condition is True
 * @param dnsSearches     spec.dnsConfig.searches: the domains the pod's resolver appends to short names
 */
public record TaskInfo(PodRef pod, String service, Optional<String> node, Map<String, IpAddress> addresses, String phase,
        boolean deleting, boolean containersReady, boolean attached, java.util.List<String> dnsSearches) {

    public TaskInfo {
        addresses = Map.copyOf(addresses);
        dnsSearches = java.util.List.copyOf(dnsSearches);
    }

    public ServiceKey serviceKey() {
        return new ServiceKey(pod.namespace(), service);
    }

    /** The pod has stopped for good: it can never be attached again. */
    public boolean terminated() {
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    /**
     * The task should have connectivity: scheduled, not being deleted and not terminated. Includes pods
     * that are still starting (Pending), because their interfaces are attached before their containers run.
     */
    public boolean alive() {
        return node.isPresent() && !deleting && !terminated();
    }

    /** The task receives traffic through VIPs and DNS: running, not being deleted, containers ready and attached. */
    public boolean ready() {
        return node.isPresent() && !deleting && "Running".equals(phase) && containersReady && attached;
    }

    public boolean isOn(String nodeName) {
        return node.isPresent() && node.get().equals(nodeName);
    }
}

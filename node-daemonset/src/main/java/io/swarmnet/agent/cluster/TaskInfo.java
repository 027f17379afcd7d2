package io.swarmnet.agent.cluster;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.net.IpAddress;
import java.util.Map;
import java.util.Optional;

/**
 * A pod the agent attaches as it needs it: a task of a SwarmService, or a pod that is no task and joined attachable networks
 * (label swarmnet.io/attached-pod; {@link #standalone()}), which is attached, resolved and named the same way but backs no
 * virtual IP.
 *
 * @param service         the swarmnet.io/service label; null for a standalone pod
 * @param node            spec.nodeName, empty while unscheduled
 * @param addresses       the swarmnet.io/addresses annotation: network as the pod's namespace records it (its name, or
 *                        {@code namespace/name} for one shared from another namespace) → address
 * @param phase           status.phase (Pending, Running, Succeeded, Failed, Unknown); Pending when absent
 * @param deleting        metadata.deletionTimestamp is set
 * @param containersReady every container is ready (the ContainersReady condition, or all container statuses)
 * @param attached        the swarmnet.io/attached condition is True
 * @param dnsSearches     spec.dnsConfig.searches: the domains the pod's resolver appends to short names
 * @param podAliases      a standalone pod's networks in the order it asked for them (its interfaces follow it), each with the
 *                        pod's own DNS aliases there (annotation swarmnet.io/attached-networks); empty for a task
 * @param sandboxReported status.podIP is set: the kubelet has reported the pod's sandbox, its network namespace, up. Until
 *                        then a namespace the agent cannot find yet is the pod starting, not a failure to report
 */
public record TaskInfo(PodRef pod, String service, Optional<String> node, Map<String, IpAddress> addresses, String phase,
        boolean deleting, boolean containersReady, boolean attached, java.util.List<String> dnsSearches,
        Map<String, java.util.List<String>> podAliases, boolean sandboxReported) {

    public TaskInfo {
        addresses = Map.copyOf(addresses);
        dnsSearches = java.util.List.copyOf(dnsSearches);
        if (podAliases.isEmpty()) {
            podAliases = Map.of(); // every task's: no map of its own
        } else {
            java.util.Map<String, java.util.List<String>> ordered = new java.util.LinkedHashMap<>();
            podAliases.forEach((network, aliases) -> ordered.put(network, java.util.List.copyOf(aliases)));
            podAliases = java.util.Collections.unmodifiableMap(ordered);
        }
    }

    /** A pod that is no task: it joined attachable networks through its annotation. */
    public boolean standalone() {
        return service == null;
    }

    /** The owning service; only for a task, see {@link #standalone()}. */
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

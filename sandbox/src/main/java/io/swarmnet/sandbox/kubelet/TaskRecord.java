package io.swarmnet.sandbox.kubelet;

import java.util.Map;

/**
 * A running pod as {@code sandbox exec} needs it: where it runs and the environment of its first container,
 * kept by the kubelet under the sandbox's tasks directory.
 *
 * @param namespace  the pod's Kubernetes namespace
 * @param pod        the pod's name
 * @param service    its SwarmService (swarmnet.io/service label), or null
 * @param slot       its task slot (swarmnet.io/slot label), or null
 * @param node       the simulated node it runs on
 * @param netns      its network namespace's name (ip netns)
 * @param container  the container exec joins (the first one)
 * @param env        that container's environment
 * @param workingDir that container's working directory
 * @param pid        the container's main process, whose UTS namespace exec joins; 0 when not running
 */
public record TaskRecord(String namespace, String pod, String service, String slot, String node, String netns,
                         String container, Map<String, String> env, String workingDir, long pid) {

    public TaskRecord {
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    public TaskRecord withPid(long newPid) {
        return new TaskRecord(namespace, pod, service, slot, node, netns, container, env, workingDir, newPid);
    }

    /** {@code <service>.<slot>}, the task's name as docker service ps shows it, or null for a pod of no service. */
    public String taskName() {
        return service == null || slot == null ? null : service + "." + slot;
    }

    String fileName() {
        return namespace + "_" + pod + ".json";
    }
}

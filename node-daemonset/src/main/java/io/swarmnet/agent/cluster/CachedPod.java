package io.swarmnet.agent.cluster;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.agent.desired.PodRef;
import java.util.List;
import java.util.Optional;

/**
 * What the node agent keeps of a pod in its informers' caches ({@link PodParser}): the pod read once per
 * resourceVersion into a {@link TaskInfo}, or the problems that kept it from being one, and for a pod on the agent's own
 * node its {@code swarmnet.io/attached} condition as last seen, which {@link ClusterPublisher} compares its decision
 * with. The agent caches every task of the cluster: a few hundred bytes each instead of the kilobytes of a fabric8 Pod.
 *
 * @param resourceVersion   the version this was read from (the informer compares versions to tell an update)
 * @param serviceLabel      the pod carries the swarmnet.io/service label: a task, even when it is attached too
 * @param task              the pod as a task or attached pod; empty when it is neither or could not be read
 * @param problems          why the pod could not be read; empty for most
 * @param attachedCondition the pod's swarmnet.io/attached condition, kept for pods on the agent's node only
 */
public record CachedPod(PodRef ref, String resourceVersion, boolean serviceLabel, Optional<TaskInfo> task,
        List<Problem> problems, Optional<ConditionSeen> attachedCondition) implements ParsedStore.Kept<Pod> {

    public CachedPod {
        problems = List.copyOf(problems);
    }

    /** A pod condition's fields as the API server last showed them. */
    public record ConditionSeen(String status, String reason, String message, String lastTransitionTime) {
    }

    /** A Pod that only names this one (and its version): what the informer compares and what a patch is sent to. */
    @Override
    public Pod reference() {
        ObjectMeta meta = new ObjectMeta();
        meta.setNamespace(ref.namespace());
        meta.setName(ref.name());
        meta.setUid(ref.uid());
        meta.setResourceVersion(resourceVersion);
        Pod pod = new Pod();
        pod.setApiVersion("v1");
        pod.setKind("Pod");
        pod.setMetadata(meta);
        return pod;
    }
}

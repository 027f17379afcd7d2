package io.swarmnet.agent.cluster;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.contract.PodNetworkRequests;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.IpAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads a pod into what the agent keeps of it ({@link CachedPod}): pure, never throws; a pod that cannot be read
 * becomes a {@link Problem}. Strings every pod repeats (namespace, service, node, phase, network names, the DNS search
 * path) are kept once. One parser per informer store; thread-safe.
 */
public final class PodParser {

    private final String localNode;
    private final SharedStrings strings = new SharedStrings();

    /** @param localNode the agent's node: only its pods' swarmnet.io/attached condition is kept (the agent publishes it) */
    public PodParser(String localNode) {
        this.localNode = localNode;
    }

    public CachedPod read(Pod pod) {
        ObjectMeta meta = pod.getMetadata();
        PodRef ref = new PodRef(strings.of(meta.getNamespace()), meta.getName(), meta.getUid());
        String node = pod.getSpec() == null ? null : strings.of(blankToNull(pod.getSpec().getNodeName()));
        Map<String, String> labels = meta.getLabels() == null ? Map.of() : meta.getLabels();
        Optional<PodCondition> attachedCondition = condition(pod.getStatus(), SwarmnetKeys.CONDITION_ATTACHED);
        Optional<CachedPod.ConditionSeen> attached = Objects.equals(node, localNode)
                ? attachedCondition.map(c -> new CachedPod.ConditionSeen(strings.of(c.getStatus()),
                        strings.of(c.getReason()), c.getMessage(), c.getLastTransitionTime()))
                : Optional.empty();
        String service = strings.of(blankToNull(labels.get(SwarmnetKeys.LABEL_SERVICE)));
        boolean standalone = service == null && labels.containsKey(SwarmnetKeys.LABEL_ATTACHED_POD);
        if (service == null && !standalone) {
            // neither a task pod nor an attached one (the informers select by label; defensive only)
            return new CachedPod(ref, meta.getResourceVersion(), labels.containsKey(SwarmnetKeys.LABEL_SERVICE), Optional.empty(),
                    List.of(), attached);
        }
        Map<String, String> annotations = meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
        Map<String, List<String>> podAliases = Map.of();
        if (standalone) {
            String accepted = annotations.get(SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS);
            try {
                podAliases = PodNetworkRequests.parse(accepted, meta.getNamespace()).networks();
            } catch (IllegalArgumentException e) {
                return unreadable(ref, meta, attached, new Problem(ObjectRef.pod(ref.namespace(), ref.name(), ref.uid()),
                        "InvalidAttachedNetworks", "pod " + ref + ": annotation " + SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS + " '"
                        + accepted + "' is unusable (" + e.getMessage()
                        + "); the pod is not attached to any network until the operator rewrites it", node));
            }
        }
        String annotation = annotations.get(SwarmnetKeys.ANNOTATION_ADDRESSES);
        Map<String, IpAddress> addresses = new LinkedHashMap<>();
        try {
            TaskAddresses.parse(annotation).byNetwork().forEach((network, address) -> addresses.put(strings.of(network), address));
        } catch (RuntimeException e) {
            return unreadable(ref, meta, attached, new Problem(ObjectRef.pod(ref.namespace(), ref.name(), ref.uid()), "InvalidAddresses",
                    "pod " + ref + ": annotation " + SwarmnetKeys.ANNOTATION_ADDRESSES + " '" + annotation + "' is unusable ("
                    + e.getMessage() + "); the task is not attached to any network until the operator rewrites it", node));
        }
        PodStatus status = pod.getStatus();
        String phase = status == null || status.getPhase() == null ? "Pending" : strings.of(status.getPhase());
        boolean deleting = meta.getDeletionTimestamp() != null;
        List<String> searches = pod.getSpec() == null || pod.getSpec().getDnsConfig() == null
                || pod.getSpec().getDnsConfig().getSearches() == null ? List.of() : pod.getSpec().getDnsConfig().getSearches();
        TaskInfo task = new TaskInfo(ref, service, Optional.ofNullable(node), addresses, phase, deleting, containersReady(status),
                attachedCondition.map(c -> "True".equals(c.getStatus())).orElse(false),
                strings.of(searches.stream().filter(Objects::nonNull).toList()), podAliases,
                status != null && status.getPodIP() != null && !status.getPodIP().isBlank());
        return new CachedPod(ref, meta.getResourceVersion(), service != null, Optional.of(task), List.of(), attached);
    }

    private static CachedPod unreadable(PodRef ref, ObjectMeta meta, Optional<CachedPod.ConditionSeen> attached, Problem problem) {
        boolean serviceLabel = meta.getLabels() != null && meta.getLabels().containsKey(SwarmnetKeys.LABEL_SERVICE);
        return new CachedPod(ref, meta.getResourceVersion(), serviceLabel, Optional.empty(), List.of(problem), attached);
    }

    private static boolean containersReady(PodStatus status) {
        if (status == null) {
            return false;
        }
        Optional<PodCondition> condition = condition(status, "ContainersReady");
        if (condition.isPresent()) {
            return "True".equals(condition.get().getStatus());
        }
        List<ContainerStatus> containers = status.getContainerStatuses();
        return containers != null && !containers.isEmpty()
                && containers.stream().allMatch(c -> c != null && Boolean.TRUE.equals(c.getReady()));
    }

    private static Optional<PodCondition> condition(PodStatus status, String type) {
        if (status == null || status.getConditions() == null) {
            return Optional.empty();
        }
        return status.getConditions().stream().filter(c -> c != null && type.equals(c.getType())).findFirst();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}

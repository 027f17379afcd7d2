package io.swarmnet.agent.cluster;

import io.swarmnet.agent.datapath.ApplyReport;
import io.swarmnet.agent.desired.DesiredState;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The swarmnet.io/attached condition a local pod should carry (the pod's readiness gate), decided from what
 * the datapath achieved: True once every interface and VIP rule is in place, False with the reason when the
 * datapath failed for the pod or the agent had to skip it. Pods the datapath has not reported on keep theirs.
 */
public record AttachedCondition(boolean attached, String reason, String message) {

    public String status() {
        return attached ? "True" : "False";
    }

    public static Map<PodRef, AttachedCondition> decide(DesiredState state, ApplyReport report, String nodeName) {
        Map<PodRef, AttachedCondition> wanted = new HashMap<>();
        for (Problem problem : state.problems()) {
            ObjectRef subject = problem.subject();
            if ("Pod".equals(subject.kind()) && nodeName.equals(problem.node())) {
                wanted.put(new PodRef(subject.namespace(), subject.name(), subject.uid()),
                        new AttachedCondition(false, problem.reason(), problem.message()));
            }
        }
        for (PodDatapath pod : state.datapath().pods()) {
            String failure = report.podFailures().get(pod.pod());
            if (failure != null && !state.reportsFailuresOf(pod.pod())) {
                continue; // starting: its sandbox is not up yet; the condition stays as the pod has it
            }
            if (failure != null) {
                wanted.put(pod.pod(), new AttachedCondition(false, "AttachFailed", failure));
            } else if (report.attachedPods().contains(pod.pod())) {
                String networks = pod.attachments().stream()
                        .map(a -> a.interfaceName() + "=" + a.network().relativeTo(pod.pod().namespace()) + " " + a.address() + "/"
                                + a.prefixLength())
                        .collect(Collectors.joining(", "));
                wanted.put(pod.pod(), new AttachedCondition(true, "Attached", "attached on node " + nodeName + ": " + networks));
            }
        }
        return wanted;
    }
}

package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.swarmnet.api.contract.SwarmnetKeys;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which nodes a service's new tasks may run on, decided as the Kubernetes scheduler and the DaemonSet
 * controller decide it: a swarmnet agent must run there (its label), the template's nodeSelector and required node affinity must match the
 * node, and its tolerations must tolerate the node's taints. A NoSchedule taint keeps new tasks
 * off a node but leaves a running one alone; a NoExecute taint also removes a running one;
 * PreferNoSchedule is only a preference and is ignored.
 */
public final class NodeEligibility {

    private static final String NO_SCHEDULE = "NoSchedule";
    private static final String NO_EXECUTE = "NoExecute";

    private NodeEligibility() {
    }

    /** Why a new task of this template may not start on the node; empty when it may. */
    public static Optional<String> rejectsNewTask(PodSpec template, Node node) {
        return rejects(template, node, true);
    }

    /** Why a task of this template already running on the node must go; empty when it may stay. */
    public static Optional<String> rejectsRunningTask(PodSpec template, Node node) {
        return rejects(template, node, false);
    }

    private static Optional<String> rejects(PodSpec template, Node node, boolean newTask) {
        String name = node.getMetadata().getName();
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        if (newTask && !SwarmnetKeys.NODE_AGENT_PRESENT.equals(labels.get(SwarmnetKeys.LABEL_NODE_AGENT))) {
            // a task already running stays, as with any node label taken away (IgnoredDuringExecution)
            return Optional.of("node " + name + " runs no swarmnet agent (it has no label " + SwarmnetKeys.LABEL_NODE_AGENT + "="
                    + SwarmnetKeys.NODE_AGENT_PRESENT + ", which the agent sets)");
        }
        Map<String, String> selector = template == null || template.getNodeSelector() == null ? Map.of() : template.getNodeSelector();
        for (var entry : selector.entrySet()) {
            if (!entry.getValue().equals(labels.get(entry.getKey()))) {
                return Optional.of("node " + name + " does not match nodeSelector " + entry.getKey() + "=" + entry.getValue());
            }
        }
        NodeSelector required = requiredAffinity(template);
        if (required != null && !matchesAnyTerm(required.getNodeSelectorTerms(), name, labels)) {
            return Optional.of("node " + name + " does not match the template's required node affinity");
        }
        List<Taint> taints = node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
        List<Toleration> tolerations = template == null || template.getTolerations() == null ? List.of() : template.getTolerations();
        for (Taint taint : taints) {
            boolean blocks = NO_EXECUTE.equals(taint.getEffect()) || (newTask && NO_SCHEDULE.equals(taint.getEffect()));
            if (blocks && tolerations.stream().noneMatch(t -> tolerates(t, taint))) {
                return Optional.of("node " + name + " has taint " + taint.getKey()
                        + (taint.getValue() == null || taint.getValue().isEmpty() ? "" : "=" + taint.getValue())
                        + ":" + taint.getEffect() + " that the template does not tolerate");
            }
        }
        return Optional.empty();
    }

    private static NodeSelector requiredAffinity(PodSpec template) {
        if (template == null || template.getAffinity() == null || template.getAffinity().getNodeAffinity() == null) {
            return null;
        }
        return template.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
    }

    /** Terms are ORed; within a term every expression and field must match; an empty term matches nothing. */
    private static boolean matchesAnyTerm(List<NodeSelectorTerm> terms, String nodeName, Map<String, String> labels) {
        if (terms == null) {
            return false;
        }
        for (NodeSelectorTerm term : terms) {
            List<NodeSelectorRequirement> expressions = term.getMatchExpressions() == null ? List.of() : term.getMatchExpressions();
            List<NodeSelectorRequirement> fields = term.getMatchFields() == null ? List.of() : term.getMatchFields();
            if (expressions.isEmpty() && fields.isEmpty()) {
                continue;
            }
            boolean all = expressions.stream().allMatch(r -> matches(r, labels))
                    && fields.stream().allMatch(r -> matches(r, "metadata.name".equals(r.getKey())
                            ? Map.of(r.getKey(), nodeName) : Map.of()));
            if (all) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(NodeSelectorRequirement requirement, Map<String, String> labels) {
        String value = labels.get(requirement.getKey());
        List<String> values = requirement.getValues() == null ? List.of() : requirement.getValues();
        return switch (Objects.requireNonNullElse(requirement.getOperator(), "")) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> value != null;
            case "DoesNotExist" -> value == null;
            case "Gt" -> compare(value, values) > 0;
            case "Lt" -> compare(value, values) < 0;
            default -> false;
        };
    }

    /** Gt and Lt compare integers; anything unparsable does not match (returns 0, which neither Gt nor Lt accept). */
    private static int compare(String value, List<String> values) {
        if (value == null || values.size() != 1) {
            return 0;
        }
        try {
            return Long.compare(Long.parseLong(value), Long.parseLong(values.get(0)));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean tolerates(Toleration toleration, Taint taint) {
        if (toleration.getEffect() != null && !toleration.getEffect().isEmpty() && !toleration.getEffect().equals(taint.getEffect())) {
            return false;
        }
        if (toleration.getKey() != null && !toleration.getKey().isEmpty() && !toleration.getKey().equals(taint.getKey())) {
            return false;
        }
        if ("Exists".equals(toleration.getOperator())) {
            return true;
        }
        return Objects.requireNonNullElse(toleration.getValue(), "").equals(Objects.requireNonNullElse(taint.getValue(), ""));
    }
}

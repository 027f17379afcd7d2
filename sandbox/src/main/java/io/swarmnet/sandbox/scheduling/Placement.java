package io.swarmnet.sandbox.scheduling;

import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Chooses a node for a pod: filters as kube-scheduler does (schedulable, nodeSelector, required node affinity,
 * NoSchedule and NoExecute taints), then spreads: fewest tasks of the same service, then fewest pods, then nodes with
 * no untolerated PreferNoSchedule taint, then by name so the choice is repeatable.
 */
public final class Placement {

    private Placement() {
    }

    public static PlacementResult choose(PodDemand pod, List<NodeCandidate> nodes, NodeLoad load) {
        if (nodes.isEmpty()) {
            return new PlacementResult.Unschedulable("0/0 nodes are available: no nodes registered.");
        }
        List<NodeCandidate> feasible = new ArrayList<>();
        Map<String, Integer> reasons = new TreeMap<>();
        for (NodeCandidate node : nodes) {
            Optional<String> rejection = rejection(pod, node);
            if (rejection.isPresent()) {
                reasons.merge(rejection.get(), 1, Integer::sum);
            } else {
                feasible.add(node);
            }
        }
        if (feasible.isEmpty()) {
            StringBuilder message = new StringBuilder("0/" + nodes.size() + " nodes are available: ");
            List<String> parts = new ArrayList<>();
            reasons.forEach((reason, count) -> parts.add(count + " node(s) " + reason));
            message.append(String.join(", ", parts)).append('.');
            return new PlacementResult.Unschedulable(message.toString());
        }
        Comparator<NodeCandidate> spread = Comparator
                .<NodeCandidate>comparingInt(n -> load.servicePods(pod.service(), n.name()))
                .thenComparingInt(n -> load.pods(n.name()))
                .thenComparing(n -> hasUntolerated(pod, n, "PreferNoSchedule"))
                .thenComparing(NodeCandidate::name);
        return new PlacementResult.Placed(feasible.stream().min(spread).orElseThrow().name());
    }

    private static Optional<String> rejection(PodDemand pod, NodeCandidate node) {
        if (!node.schedulable()) {
            return Optional.of("were unschedulable");
        }
        for (Map.Entry<String, String> wanted : pod.nodeSelector().entrySet()) {
            if (!wanted.getValue().equals(node.labels().get(wanted.getKey()))) {
                return Optional.of("didn't match Pod's node affinity/selector");
            }
        }
        if (!pod.affinity().isEmpty() && pod.affinity().stream().noneMatch(term -> matches(term, node))) {
            return Optional.of("didn't match Pod's node affinity/selector");
        }
        for (Taint taint : node.taints()) {
            boolean blocking = "NoSchedule".equals(taint.getEffect()) || "NoExecute".equals(taint.getEffect());
            if (blocking && !tolerated(taint, pod.tolerations())) {
                return Optional.of("had untolerated taint {" + taint.getKey()
                        + (taint.getValue() == null || taint.getValue().isEmpty() ? "" : ": " + taint.getValue()) + "}");
            }
        }
        return Optional.empty();
    }

    private static boolean hasUntolerated(PodDemand pod, NodeCandidate node, String effect) {
        return node.taints().stream().anyMatch(t -> effect.equals(t.getEffect()) && !tolerated(t, pod.tolerations()));
    }

    /**
     * One node selector term: every label expression and every field (only metadata.name exists) must hold; a term
     * with neither matches no node, as in Kubernetes.
     */
    static boolean matches(NodeSelectorTerm term, NodeCandidate node) {
        List<NodeSelectorRequirement> expressions = term.getMatchExpressions() == null ? List.of() : term.getMatchExpressions();
        List<NodeSelectorRequirement> fields = term.getMatchFields() == null ? List.of() : term.getMatchFields();
        if (expressions.isEmpty() && fields.isEmpty()) {
            return false;
        }
        for (NodeSelectorRequirement expression : expressions) {
            if (!holds(expression, node.labels().get(expression.getKey()))) {
                return false;
            }
        }
        for (NodeSelectorRequirement field : fields) {
            if (!holds(field, "metadata.name".equals(field.getKey()) ? node.name() : null)) {
                return false;
            }
        }
        return true;
    }

    private static boolean holds(NodeSelectorRequirement requirement, String actual) {
        List<String> values = requirement.getValues() == null ? List.of() : requirement.getValues();
        String operator = requirement.getOperator() == null ? "" : requirement.getOperator();
        switch (operator) {
            case "In":
                return actual != null && values.contains(actual);
            case "NotIn":
                return actual == null || !values.contains(actual);
            case "Exists":
                return actual != null;
            case "DoesNotExist":
                return actual == null;
            case "Gt":
            case "Lt":
                if (actual == null || values.size() != 1) {
                    return false;
                }
                try {
                    int order = Long.compare(Long.parseLong(actual), Long.parseLong(values.get(0)));
                    return operator.equals("Gt") ? order > 0 : order < 0;
                } catch (NumberFormatException e) {
                    return false;
                }
            default:
                return false;
        }
    }

    /** Kubernetes' toleration semantics: empty key with Exists tolerates everything; empty effect matches every effect. */
    static boolean tolerated(Taint taint, List<Toleration> tolerations) {
        for (Toleration toleration : tolerations) {
            String effect = toleration.getEffect();
            if (effect != null && !effect.isEmpty() && !effect.equals(taint.getEffect())) {
                continue;
            }
            String key = toleration.getKey();
            boolean exists = "Exists".equals(toleration.getOperator());
            if (key == null || key.isEmpty()) {
                if (exists) {
                    return true;
                }
                continue;
            }
            if (!key.equals(taint.getKey())) {
                continue;
            }
            if (exists) {
                return true;
            }
            String wanted = toleration.getValue() == null ? "" : toleration.getValue();
            String actual = taint.getValue() == null ? "" : taint.getValue();
            if (wanted.equals(actual)) {
                return true;
            }
        }
        return false;
    }
}

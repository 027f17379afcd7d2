package io.swarmnet.sandbox.scheduling;

import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Chooses a node for a pod: filters as kube-scheduler does (schedulable, nodeSelector, NoSchedule and
 * NoExecute taints), then spreads: fewest tasks of the same service, then fewest pods, then nodes with
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

package io.swarmnet.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Status conditions as Kubernetes conventions want them: one per type; lastTransitionTime changes
 * only when the status does (so `kubectl wait` and alerts see real transitions), while reason,
 * message and observedGeneration follow every reconcile. Pure.
 */
public final class Conditions {

    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    private Conditions() {
    }

    /** A desired condition before it is merged with what the status already says. */
    public record Desired(String type, String status, String reason, String message) {
        public Desired {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(reason, "reason");
            message = message == null ? "" : message;
        }
    }

    /**
     * The new conditions list: every desired condition (keeping its old lastTransitionTime when the
     * status is unchanged), conditions of other types not in {@code removed} kept as they were.
     */
    public static List<Condition> merge(List<Condition> current, List<Desired> desired, List<String> removed, long generation,
                                        Instant now) {
        List<Condition> result = new ArrayList<>();
        String timestamp = now.truncatedTo(ChronoUnit.SECONDS).toString();
        for (Desired d : desired) {
            Condition old = find(current, d.type());
            String transition = old != null && d.status().equals(old.getStatus()) && old.getLastTransitionTime() != null
                    ? old.getLastTransitionTime() : timestamp;
            result.add(new ConditionBuilder().withType(d.type()).withStatus(d.status()).withReason(d.reason())
                    .withMessage(d.message()).withObservedGeneration(generation).withLastTransitionTime(transition).build());
        }
        if (current != null) {
            for (Condition c : current) {
                boolean replaced = desired.stream().anyMatch(d -> d.type().equals(c.getType()));
                if (!replaced && !removed.contains(c.getType())) {
                    result.add(c);
                }
            }
        }
        return result;
    }

    public static Condition find(List<Condition> conditions, String type) {
        if (conditions == null) {
            return null;
        }
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    public static boolean isTrue(List<Condition> conditions, String type) {
        Condition c = find(conditions, type);
        return c != null && TRUE.equals(c.getStatus());
    }
}

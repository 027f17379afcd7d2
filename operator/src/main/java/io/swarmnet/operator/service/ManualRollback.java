package io.swarmnet.operator.service;

import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.service.SwarmService;
import java.util.Objects;

/**
 * {@code docker service rollback} for kubectl users: a new value of the {@code swarmnet.io/rollback}
 * annotation asks for one ({@code kubectl annotate ssvc/my-web swarmnet.io/rollback="$(date +%s)" --overwrite}).
 * An annotation does not change metadata.generation, so the reconciler's events are filtered here
 * rather than by generation: spec changes, this annotation, finalizers and deletion wake it;
 * status writes (its own) do not.
 */
public final class ManualRollback implements OnUpdateFilter<SwarmService> {

    /** The annotation's value, or null. */
    public static String requested(SwarmService service) {
        var annotations = service.getMetadata().getAnnotations();
        String value = annotations == null ? null : annotations.get(SwarmnetKeys.ANNOTATION_ROLLBACK);
        return value == null || value.isEmpty() ? null : value;
    }

    @Override
    public boolean accept(SwarmService before, SwarmService after) {
        return !Objects.equals(before.getMetadata().getGeneration(), after.getMetadata().getGeneration())
                || !Objects.equals(requested(before), requested(after))
                || !Objects.equals(before.getMetadata().getFinalizers(), after.getMetadata().getFinalizers())
                || after.getMetadata().getDeletionTimestamp() != null;
    }
}

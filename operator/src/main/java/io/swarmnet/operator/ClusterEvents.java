package io.swarmnet.operator;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Kubernetes Events (what `kubectl describe` shows under Events) for allocations and
 * rejections. Events are best effort: a failure to write one is logged, never fails a reconcile.
 * The same reason and message for the same object is written once, not on every reconcile.
 */
public final class ClusterEvents {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterEvents.class);
    public static final String COMPONENT = "swarmnet-operator";

    private final KubernetesClient client;
    private final Map<String, String> lastByObject = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    public ClusterEvents(KubernetesClient client) {
        this.client = client;
    }

    public void normal(HasMetadata object, String reason, String message) {
        emit(object, "Normal", reason, message);
    }

    public void warning(HasMetadata object, String reason, String message) {
        emit(object, "Warning", reason, message);
    }

    /** Forgets what was said about an object that is gone. */
    public void forget(HasMetadata object) {
        lastByObject.remove(identity(object));
    }

    private void emit(HasMetadata object, String type, String reason, String message) {
        String identity = identity(object);
        String said = type + "/" + reason + "/" + message;
        if (said.equals(lastByObject.put(identity, said))) {
            return;
        }
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String namespace = object.getMetadata().getNamespace() == null ? "default" : object.getMetadata().getNamespace();
        try {
            client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                    .withNewMetadata()
                    .withNamespace(namespace)
                    .withName(object.getMetadata().getName() + "." + Long.toHexString(System.currentTimeMillis()) + sequence.incrementAndGet())
                    .endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder()
                            .withApiVersion(object.getApiVersion()).withKind(object.getKind())
                            .withNamespace(object.getMetadata().getNamespace()).withName(object.getMetadata().getName())
                            .withUid(object.getMetadata().getUid()).withResourceVersion(object.getMetadata().getResourceVersion())
                            .build())
                    .withType(type)
                    .withReason(reason)
                    .withMessage(message.length() > 1024 ? message.substring(0, 1021) + "..." : message)
                    .withCount(1)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .withReportingComponent(COMPONENT)
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warn("could not record event {} for {} {}/{}: {}", reason, object.getKind(), namespace,
                    object.getMetadata().getName(), e.getMessage());
        }
    }

    private static String identity(HasMetadata object) {
        String uid = object.getMetadata().getUid();
        return uid != null ? uid : object.getKind() + "/" + object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
    }
}

package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.api.service.SwarmService;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on a SwarmService (what {@code kubectl describe ssvc} and {@code kubectl get
 * events} show): tasks created, replaced, updated and removed, and why a service is blocked.
 * Best effort: a failed event is logged, never fails a reconcile.
 */
final class ServiceEvents {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceEvents.class);
    static final String COMPONENT = "swarmnet-operator";

    private final KubernetesClient client;

    ServiceEvents(KubernetesClient client) {
        this.client = client;
    }

    void normal(SwarmService service, String reason, String message) {
        record(service, "Normal", reason, message);
    }

    void warning(SwarmService service, String reason, String message) {
        record(service, "Warning", reason, message);
    }

    private void record(SwarmService service, String type, String reason, String message) {
        var meta = service.getMetadata();
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        var event = new EventBuilder()
                .withNewMetadata()
                    // the API server's own naming: <object>.<unique hex>
                    .withName(meta.getName() + "." + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()))
                    .withNamespace(meta.getNamespace())
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(service.getApiVersion())
                        .withKind(service.getKind())
                        .withName(meta.getName())
                        .withNamespace(meta.getNamespace())
                        .withUid(meta.getUid())
                        .build())
                .withType(type)
                .withReason(reason)
                .withMessage(message)
                .withCount(1)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withNewSource().withComponent(COMPONENT).endSource()
                .withReportingComponent(COMPONENT)
                .build();
        try {
            client.v1().events().inNamespace(meta.getNamespace()).resource(event).create();
        } catch (KubernetesClientException e) {
            LOG.warn("SwarmService {}/{}: could not record event {} ({}): {}", meta.getNamespace(), meta.getName(), reason,
                    message, e.getMessage());
        }
    }
}

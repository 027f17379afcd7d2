package io.swarmnet.operator.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.swarmnet.api.Patches;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceStatus;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes SwarmService status, only when it changes, and remembers what it wrote for each service.
 * Shared by all reconcile threads.
 */
final class ServiceStatusWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The status last written for each service (by uid); see {@link #last}. */
    private final Map<String, SwarmServiceStatus> written = new ConcurrentHashMap<>();

    /**
     * Writes status as one JSON merge patch of the status subresource, without a resourceVersion.
     * The whole status is replaced (lists included), and the service reconciler is its only writer,
     * so no lock is needed; JOSDK's own non-SSA status patch is a JSON Patch diffed against the cached
     * object, which the API refuses whenever the cache lags behind the previous write. True if it was written.
     */
    boolean write(KubernetesClient client, SwarmService service, SwarmServiceStatus status) {
        boolean changed = !sameStatus(service.getStatus(), status);
        if (changed) {
            String patch = JSON.createObjectNode().set("status", JSON.valueToTree(status)).toString();
            Patches.send(client, service, "status", PatchType.JSON_MERGE, patch);
        }
        written.put(service.getMetadata().getUid(), status);
        return changed;
    }

    /**
     * The status last written for the service, or the cached one after a restart. The cache can lag
     * behind a status write, and the update bookkeeping (which template runs, whether a rollback
     * stands) must never be read from before the last decision, or a rolled-back template would be
     * rolled out again.
     */
    SwarmServiceStatus last(SwarmService service) {
        SwarmServiceStatus mine = written.get(service.getMetadata().getUid());
        return mine != null ? mine : service.getStatus();
    }

    /** Drops what was written for a deleted service. */
    void forget(SwarmService service) {
        written.remove(service.getMetadata().getUid());
    }

    /**
     * Whether the two statuses say the same, compared as JSON written with properties and map keys in one order (what the API
     * server holds is compared, not the objects; cheaper than building and comparing two trees on every reconcile).
     */
    static boolean sameStatus(SwarmServiceStatus before, SwarmServiceStatus after) {
        if (before == null) {
            return false;
        }
        try {
            return Arrays.equals(TemplateHash.CANONICAL.writeValueAsBytes(before), TemplateHash.CANONICAL.writeValueAsBytes(after));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a SwarmService status as JSON", e);
        }
    }
}

package io.swarmnet.agent.cluster;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.swarmnet.api.service.SwarmService;
import java.util.List;
import java.util.Optional;

/**
 * What the node agent keeps of a SwarmService in its informer's cache ({@link ServiceParser}): its networks, endpoint
 * mode and virtual IPs, read once per resourceVersion, or the problem that kept it from being read, instead of the
 * whole object with its pod template.
 *
 * @param service  the service as the agent needs it; empty when it could not be read
 * @param problems what was wrong with it (a service can be read and still have entries that were skipped)
 */
public record CachedService(String namespace, String name, String uid, String resourceVersion, Optional<ServiceInfo> service,
        List<Problem> problems) implements ParsedStore.Kept<SwarmService> {

    public CachedService {
        problems = List.copyOf(problems);
    }

    @Override
    public SwarmService reference() {
        ObjectMeta meta = new ObjectMeta();
        meta.setNamespace(namespace);
        meta.setName(name);
        meta.setUid(uid);
        meta.setResourceVersion(resourceVersion);
        SwarmService service = new SwarmService();
        service.setMetadata(meta);
        service.setSpec(null); // a custom resource starts with an empty one
        service.setStatus(null);
        return service;
    }
}

package io.swarmnet.agent.cluster;

import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceSpec;
import io.swarmnet.api.service.VirtualIP;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a SwarmService into what the agent keeps of it ({@link CachedService}): pure, never throws; what cannot be
 * read becomes a {@link Problem} every agent reports the same way.
 */
public final class ServiceParser {

    private ServiceParser() {
    }

    public static CachedService read(SwarmService service) {
        String namespace = service.getMetadata().getNamespace();
        String name = service.getMetadata().getName();
        String uid = service.getMetadata().getUid();
        String version = service.getMetadata().getResourceVersion();
        ServiceKey key = new ServiceKey(namespace, name);
        ObjectRef ref = ObjectRef.service(namespace, name, uid);
        List<Problem> problems = new ArrayList<>();
        SwarmServiceSpec spec = service.getSpec();
        if (spec == null) {
            problems.add(Problem.clusterWide(ref, "InvalidService", "SwarmService " + key + " has no spec; its tasks are not attached"));
            return new CachedService(namespace, name, uid, version, Optional.empty(), problems);
        }
        List<ServiceNetwork> networks = new ArrayList<>();
        if (spec.getNetworks() != null) {
            for (int i = 0; i < spec.getNetworks().size(); i++) {
                NetworkAttachment attachment = spec.getNetworks().get(i);
                if (attachment == null || attachment.getName() == null || attachment.getName().isBlank()) {
                    problems.add(Problem.clusterWide(ref, "InvalidService", "SwarmService " + key + ": spec.networks[" + i
                            + "].name is missing; that entry is ignored"));
                    continue;
                }
                List<String> aliases = attachment.getAliases() == null ? List.of()
                        : attachment.getAliases().stream().filter(a -> a != null && !a.isBlank()).toList();
                // as the service's tasks and status record it: a network shared from another namespace carries its namespace
                String recorded = attachment.getNamespace() == null ? attachment.getName()
                        : new NetworkKey(attachment.getNamespace(), attachment.getName()).relativeTo(namespace);
                networks.add(new ServiceNetwork(recorded, aliases));
            }
        }
        Map<String, IpAddress> vips = new LinkedHashMap<>();
        if (service.getStatus() != null && service.getStatus().getVirtualIPs() != null) {
            for (VirtualIP vip : service.getStatus().getVirtualIPs()) {
                if (vip == null || vip.getNetwork() == null) {
                    problems.add(Problem.clusterWide(ref, "InvalidVirtualIP", "SwarmService " + key
                            + ": a status.virtualIPs entry has no network; it is ignored"));
                    continue;
                }
                try {
                    vips.put(vip.getNetwork(), IpAddress.parse(vip.getAddress()));
                } catch (IllegalArgumentException e) {
                    problems.add(Problem.clusterWide(ref, "InvalidVirtualIP", "SwarmService " + key + ": status.virtualIPs["
                            + vip.getNetwork() + "].address '" + vip.getAddress() + "' is not an IPv4 address ("
                            + e.getMessage() + "); no VIP on that network until the operator fixes it"));
                }
            }
        }
        return new CachedService(namespace, name, uid, version, Optional.of(new ServiceInfo(key, spec.effectiveEndpointMode(), networks, vips)),
                problems);
    }
}

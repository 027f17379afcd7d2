package io.swarmnet.operator.service;

import io.swarmnet.api.service.EndpointMode;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.VirtualIP;
import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.ipam.AddressOwner;
import io.swarmnet.operator.ipam.AddressPoolExhaustedException;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A service's virtual IPs, held in the {@link AddressLedger}: one per network in vip mode, none in
 * dnsrr mode. The service's {@code status.virtualIPs} is their record on the cluster.
 */
final class ServiceVirtualIps {

    private final AddressLedger ledger;

    ServiceVirtualIps(AddressLedger ledger) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
    }

    /** Holds one VIP per network in vip mode; in dnsrr mode and on networks left behind, gives them back. */
    List<VirtualIP> hold(SwarmService service, List<AllocatableNetwork> serviceNetworks) throws AddressPoolExhaustedException {
        String namespace = service.getMetadata().getNamespace();
        AddressOwner owner = AddressOwner.virtualIps(service.getMetadata().getName());
        Set<String> current = new HashSet<>();
        serviceNetworks.forEach(n -> current.add(n.name()));
        for (VirtualIP old : inStatus(service)) {
            if (!current.contains(old.getNetwork())) {
                ledger.release(namespace, old.getNetwork(), owner);
            }
        }
        List<VirtualIP> vips = new ArrayList<>();
        if (service.getSpec().effectiveEndpointMode() == EndpointMode.DNSRR) {
            serviceNetworks.forEach(n -> ledger.release(namespace, n.name(), owner));
            return vips;
        }
        for (AllocatableNetwork network : serviceNetworks) {
            vips.add(new VirtualIP(network.name(), ledger.allocate(network, owner).toString()));
        }
        return vips;
    }

    /** Gives back the service's VIPs on these networks: the service is gone. */
    void release(SwarmService service, Collection<String> networkNames) {
        AddressOwner owner = AddressOwner.virtualIps(service.getMetadata().getName());
        for (String network : networkNames) {
            ledger.release(service.getMetadata().getNamespace(), network, owner);
        }
    }

    /** The VIPs the service's status records (each naming its network). */
    static List<VirtualIP> inStatus(SwarmService service) {
        return service.getStatus() == null || service.getStatus().getVirtualIPs() == null ? List.of()
                : service.getStatus().getVirtualIPs().stream().filter(v -> v.getNetwork() != null).toList();
    }
}

package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Condition;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.operator.Conditions;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Whether a service's networks are there and Ready, decided from the OverlayNetworks the operator
 * sees. Tasks are only created on networks that are Ready: before that a network has no subnet,
 * and Docker likewise refuses {@code docker service create --network} for a network it does not know.
 *
 * @param networks the service's networks in spec order, when all are usable
 * @param blocker  why they are not, otherwise
 */
public record ServiceNetworks(List<AllocatableNetwork> networks, ServiceHealth.Blocker blocker) {

    public boolean usable() {
        return blocker == null;
    }

    public static ServiceNetworks resolve(String namespace, List<NetworkAttachment> attachments,
                                          Function<String, Optional<OverlayNetwork>> lookup) {
        if (attachments == null || attachments.isEmpty()) {
            return new ServiceNetworks(List.of(), new ServiceHealth.Blocker(ServiceHealth.REASON_INVALID_SPEC,
                    "spec.networks is empty; list at least one OverlayNetwork the tasks attach to"));
        }
        List<String> missing = new ArrayList<>();
        List<String> notReady = new ArrayList<>();
        List<AllocatableNetwork> usable = new ArrayList<>();
        for (NetworkAttachment attachment : attachments) {
            String name = attachment.getName();
            Optional<OverlayNetwork> found = lookup.apply(name);
            if (found.isEmpty()) {
                missing.add(name);
                continue;
            }
            OverlayNetwork network = found.get();
            Optional<String> why = notReadyReason(network);
            if (why.isPresent()) {
                notReady.add(name + " (" + why.get() + ")");
                continue;
            }
            usable.add(AllocatableNetwork.of(network));
        }
        if (!missing.isEmpty()) {
            return new ServiceNetworks(List.of(), new ServiceHealth.Blocker(ServiceHealth.REASON_NETWORK_NOT_FOUND,
                    "spec.networks names " + String.join(", ", missing) + " but no OverlayNetwork of that name exists in namespace "
                            + namespace + "; create it (kubectl apply an OverlayNetwork) or fix the name. No tasks are started until then"));
        }
        if (!notReady.isEmpty()) {
            return new ServiceNetworks(List.of(), new ServiceHealth.Blocker(ServiceHealth.REASON_NETWORK_NOT_READY,
                    "OverlayNetwork " + String.join(", ", notReady) + " in namespace " + namespace
                            + " is not Ready; see kubectl describe onet. No tasks are started until it is"));
        }
        return new ServiceNetworks(usable, null);
    }

    /** Why tasks (or attached pods) cannot get addresses on the network yet, or empty when they can. */
    public static Optional<String> notReadyReason(OverlayNetwork network) {
        if (network.getMetadata().getDeletionTimestamp() != null) {
            return Optional.of("being deleted");
        }
        var status = network.getStatus();
        Condition ready = status == null ? null : Conditions.find(status.getConditions(), ServiceHealth.READY);
        if (ready == null) {
            return Optional.of("not reconciled yet");
        }
        if (!"True".equals(ready.getStatus())) {
            return Optional.of(ready.getReason() + (ready.getMessage() == null ? "" : ": " + ready.getMessage()));
        }
        if (status.getSubnet() == null || status.getGateway() == null) {
            return Optional.of("no subnet and gateway in its status yet");
        }
        return Optional.empty();
    }
}

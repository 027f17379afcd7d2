package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Condition;
import io.swarmnet.api.contract.NetworkReference;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.Conditions;
import io.swarmnet.operator.ipam.AllocatableNetwork;
import io.swarmnet.operator.network.NetworkAccess;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Whether a service's networks are there, open to it and Ready, decided from the OverlayNetworks and Namespaces the
 * operator sees. Tasks are only created on networks that are Ready: before that a network has no subnet, and Docker likewise
 * refuses {@code docker service create --network} for a network it does not know. A network of another namespace
 * ({@code spec.networks[].namespace}) must also be shared with the service's namespace ({@link NetworkAccess}).
 *
 * @param networks the service's networks in spec order, when all are usable, each as the service's namespace records it
 * @param blocker  why they are not, otherwise
 */
public record ServiceNetworks(List<AllocatableNetwork> networks, ServiceHealth.Blocker blocker) {

    public boolean usable() {
        return blocker == null;
    }

    /**
     * @param lookup          the OverlayNetwork a reference names, if the operator sees it
     * @param namespaceLabels the labels of a namespace, if the operator sees it
     */
    public static ServiceNetworks resolve(String namespace, List<NetworkAttachment> attachments,
                                          Function<NetworkReference, Optional<OverlayNetwork>> lookup,
                                          Function<String, Optional<Map<String, String>>> namespaceLabels) {
        if (attachments == null || attachments.isEmpty()) {
            return blocked(ServiceHealth.REASON_INVALID_SPEC,
                    "spec.networks is empty; list at least one OverlayNetwork the tasks attach to");
        }
        List<NetworkReference> references = new ArrayList<>();
        Set<NetworkReference> seen = new HashSet<>();
        for (int i = 0; i < attachments.size(); i++) {
            NetworkReference reference;
            try {
                reference = attachments.get(i).reference(namespace);
            } catch (IllegalArgumentException e) {
                return blocked(ServiceHealth.REASON_INVALID_SPEC, "spec.networks[" + i + "]: " + e.getMessage());
            }
            if (!seen.add(reference)) {
                // the schema compares the fields as written; the service's own namespace spelled out is the same network
                return blocked(ServiceHealth.REASON_INVALID_SPEC, "spec.networks[" + i + "] names OverlayNetwork " + reference
                        + " a second time (namespace " + namespace + " is the service's own); list each network once and put "
                        + "every alias on that entry");
            }
            references.add(reference);
        }
        List<String> missing = new ArrayList<>();
        List<String> missingShared = new ArrayList<>();
        List<String> notShared = new ArrayList<>();
        List<String> notReady = new ArrayList<>();
        List<AllocatableNetwork> usable = new ArrayList<>();
        for (int i = 0; i < references.size(); i++) {
            NetworkReference reference = references.get(i);
            String field = "spec.networks[" + i + "]";
            Optional<OverlayNetwork> found = lookup.apply(reference);
            if (found.isEmpty()) {
                if (!reference.isForeignTo(namespace)) {
                    missing.add(reference.name());
                } else if (namespaceLabels.apply(reference.namespace()).isEmpty()) {
                    missingShared.add(field + " names OverlayNetwork " + reference + ", but namespace " + reference.namespace()
                            + " does not exist");
                } else {
                    missingShared.add(field + " names OverlayNetwork " + reference + ", which does not exist");
                }
                continue;
            }
            OverlayNetwork network = found.get();
            Optional<String> refused = NetworkAccess.refusal(network, namespace, namespaceLabels.apply(namespace));
            if (refused.isPresent()) {
                notShared.add(field + ": " + refused.get());
                continue;
            }
            Optional<String> why = notReadyReason(network);
            if (why.isPresent()) {
                notReady.add(reference.relativeTo(namespace) + " (" + why.get() + ")");
                continue;
            }
            usable.add(AllocatableNetwork.of(network, namespace));
        }
        if (!missing.isEmpty() || !missingShared.isEmpty()) {
            List<String> parts = new ArrayList<>();
            if (!missing.isEmpty()) {
                parts.add("spec.networks names " + String.join(", ", missing) + " but no OverlayNetwork of that name exists in namespace "
                        + namespace + "; create it (kubectl apply an OverlayNetwork) or fix the name");
            }
            parts.addAll(missingShared.stream().map(m -> m + "; create it, or fix spec.networks[].name and namespace").toList());
            return blocked(ServiceHealth.REASON_NETWORK_NOT_FOUND, String.join("; ", parts) + ". No tasks are started until then");
        }
        if (!notShared.isEmpty()) {
            return blocked(ServiceHealth.REASON_NETWORK_NOT_SHARED, String.join("; ", notShared)
                    + ". No new task is started until then; running tasks keep their addresses");
        }
        if (!notReady.isEmpty()) {
            boolean ownOnly = notReady.stream().noneMatch(n -> n.substring(0, n.indexOf(' ')).contains("/"));
            return blocked(ServiceHealth.REASON_NETWORK_NOT_READY, "OverlayNetwork " + String.join(", ", notReady)
                    + (ownOnly ? " in namespace " + namespace : "") + " is not Ready; see kubectl describe onet. No tasks are started "
                    + "until it is");
        }
        return new ServiceNetworks(usable, null);
    }

    private static ServiceNetworks blocked(String reason, String message) {
        return new ServiceNetworks(List.of(), new ServiceHealth.Blocker(reason, message));
    }

    /**
     * The service's networks as its namespace records them ({@link NetworkReference#relativeTo(String)}), in spec order, once
     * each: the keys of its tasks' addresses and of its status. An entry that names no network is kept as written.
     */
    public static List<String> keys(SwarmService service) {
        if (service.getSpec() == null || service.getSpec().getNetworks() == null) {
            return List.of();
        }
        String namespace = service.getMetadata().getNamespace();
        return service.getSpec().getNetworks().stream().filter(a -> a != null && a.getName() != null).map(a -> {
            try {
                return a.reference(namespace).relativeTo(namespace);
            } catch (IllegalArgumentException e) {
                return a.getName();
            }
        }).distinct().toList();
    }

    /** The networks themselves ({@code namespace/name}) the service's spec names, once each; entries naming none are left out. */
    public static List<NetworkReference> references(SwarmService service) {
        if (service.getSpec() == null || service.getSpec().getNetworks() == null) {
            return List.of();
        }
        String namespace = service.getMetadata().getNamespace();
        return service.getSpec().getNetworks().stream().filter(Objects::nonNull).map(a -> {
            try {
                return a.reference(namespace);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }).filter(Objects::nonNull).distinct().toList();
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

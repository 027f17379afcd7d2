package io.swarmnet.operator.startup;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.OperatorConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every permission the operator needs to run, the one list the start-up check asks the API server
 * about (and the chart's RBAC test holds the chart to). Optional reads — the cluster's own address
 * ranges, which the operator reports as unreadable instead of failing — are not in it.
 */
public final class RequiredPermissions {

    private static final String APIEXTENSIONS = "apiextensions.k8s.io";

    private RequiredPermissions() {
    }

    /** The names of the two CRDs, as the API server knows them ({@code overlaynetworks.swarmnet.io}). */
    public static List<String> crdNames() {
        return List.of(HasMetadata.getFullResourceName(OverlayNetwork.class), HasMetadata.getFullResourceName(SwarmService.class));
    }

    public static List<Permission> of(OperatorConfig config) {
        // the reconciled namespaces: "" is all of them
        List<String> watched = config.watchNamespaces().isEmpty() ? List.of("") : config.watchNamespaces();
        String own = config.operatorNamespace();
        List<Permission> needed = new ArrayList<>();
        for (String crd : crdNames()) {
            needed.add(new Permission("get", APIEXTENSIONS, "customresourcedefinitions", "", null, crd));
        }
        for (String namespace : watched) {
            for (Class<? extends HasMetadata> kind : List.of(OverlayNetwork.class, SwarmService.class)) {
                String plural = HasMetadata.getPlural(kind);
                // informers list and watch; finalizers and status are written by get-and-patch
                for (String verb : List.of("get", "list", "watch", "patch")) {
                    needed.add(new Permission(verb, SwarmnetKeys.GROUP, plural, "", namespace, ""));
                }
                needed.add(new Permission("patch", SwarmnetKeys.GROUP, plural, "status", namespace, ""));
            }
            // task pods' ownerReferences set blockOwnerDeletion, which OwnerReferencesPermissionEnforcement
            // allows only with update on the owner's finalizers
            needed.add(new Permission("update", SwarmnetKeys.GROUP, HasMetadata.getPlural(SwarmService.class), "finalizers", namespace, ""));
            for (String verb : List.of("get", "watch", "create", "patch", "delete")) {
                needed.add(new Permission(verb, "", "pods", "", namespace, ""));
            }
            // a pod refused an attachable network carries the reason in its swarmnet.io/attached condition
            needed.add(new Permission("patch", "", "pods", "status", namespace, ""));
            // the NodePort Service of each SwarmService that publishes ingress ports (spec.publish)
            for (String verb : List.of("get", "list", "watch", "create", "update", "delete")) {
                needed.add(new Permission(verb, "", "services", "", namespace, ""));
            }
        }
        // the address ledger is rebuilt from every task pod, wherever it runs
        needed.add(new Permission("list", "", "pods", "", "", ""));
        needed.add(new Permission("list", "", "nodes", "", null, ""));
        needed.add(new Permission("watch", "", "nodes", "", null, ""));
        // a namespace's labels decide whether its services and pods may attach to networks shared from other namespaces
        needed.add(new Permission("list", "", "namespaces", "", null, ""));
        needed.add(new Permission("watch", "", "namespaces", "", null, ""));
        Set<String> eventNamespaces = new LinkedHashSet<>(watched);
        if (!eventNamespaces.contains("")) {
            eventNamespaces.add(own);   // the key Secret's events
        }
        for (String namespace : eventNamespaces) {
            needed.add(new Permission("create", "", "events", "", namespace, ""));
        }
        if (config.leaderElection()) {
            needed.add(new Permission("get", "coordination.k8s.io", "leases", "", own, config.leaseName()));
            needed.add(new Permission("create", "coordination.k8s.io", "leases", "", own, ""));
            needed.add(new Permission("patch", "coordination.k8s.io", "leases", "", own, config.leaseName()));
        }
        needed.add(new Permission("get", "", "secrets", "", own, SwarmnetKeys.SECRET_ENCRYPTION_KEYS));
        needed.add(new Permission("update", "", "secrets", "", own, SwarmnetKeys.SECRET_ENCRYPTION_KEYS));
        // RBAC cannot limit create to a name (the name is in the body)
        needed.add(new Permission("create", "", "secrets", "", own, ""));
        return List.copyOf(needed);
    }
}

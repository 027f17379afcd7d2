package io.swarmnet.sandboxapi.resource;

import static io.swarmnet.sandboxapi.resource.ResourceType.builtIn;

import java.util.List;

/**
 * The built-in kinds the sandbox serves. Only what the operator, the node agent, the sandbox
 * runtime and a kubectl user need; every other built-in path answers 404 as an unknown resource.
 */
final class BuiltInKinds {

    private BuiltInKinds() {
    }

    static final List<ResourceType> ALL = List.of(
            builtIn("", "v1", "namespaces", "Namespace", false, true, "ns"),
            builtIn("", "v1", "pods", "Pod", true, true, "po").inCategoryAll(),
            builtIn("", "v1", "nodes", "Node", false, true, "no"),
            builtIn("", "v1", "services", "Service", true, true, "svc").inCategoryAll(),
            builtIn("", "v1", "endpoints", "Endpoints", true, false, "ep"),
            builtIn("", "v1", "configmaps", "ConfigMap", true, false, "cm"),
            builtIn("", "v1", "secrets", "Secret", true, false),
            builtIn("", "v1", "serviceaccounts", "ServiceAccount", true, false, "sa"),
            builtIn("", "v1", "events", "Event", true, false, "ev"),
            builtIn("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, true, "pvc"),
            builtIn("apps", "v1", "deployments", "Deployment", true, true, "deploy").inCategoryAll(),
            builtIn("apps", "v1", "daemonsets", "DaemonSet", true, true, "ds").inCategoryAll(),
            builtIn("apps", "v1", "replicasets", "ReplicaSet", true, true, "rs").inCategoryAll(),
            builtIn("apps", "v1", "statefulsets", "StatefulSet", true, true, "sts").inCategoryAll(),
            builtIn("coordination.k8s.io", "v1", "leases", "Lease", true, false),
            builtIn("events.k8s.io", "v1", "events", "Event", true, false, "ev"),
            builtIn("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, false),
            // the Service ranges of the cluster (Kubernetes 1.33+), which the operator keeps overlays out of
            builtIn("networking.k8s.io", "v1", "servicecidrs", "ServiceCIDR", false, true),
            builtIn("rbac.authorization.k8s.io", "v1", "roles", "Role", true, false),
            builtIn("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, false),
            builtIn("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, false),
            builtIn("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, false),
            // stored as a real server stores them; the sandbox does not evaluate admission policies
            builtIn("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, true),
            builtIn("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false, false),
            builtIn("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, true, "crd", "crds"));
}

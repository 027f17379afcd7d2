package io.swarmnet.operator.startup;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.operator.OperatorConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequiredPermissionsTest {

    private static List<String> described(Map<String, String> env) {
        return RequiredPermissions.of(OperatorConfig.fromEnvironment(env)).stream().map(Permission::describe).toList();
    }

    @Test
    void coversTheCustomResourcesPodsServicesNodesNamespacesEventsLeaseAndKeySecret() {
        assertThat(described(Map.of("SWARMNET_OPERATOR_NAMESPACE", "ops"))).containsExactly(
                "get customresourcedefinitions.apiextensions.k8s.io overlaynetworks.swarmnet.io (cluster-scoped)",
                "get customresourcedefinitions.apiextensions.k8s.io swarmservices.swarmnet.io (cluster-scoped)",
                "get overlaynetworks.swarmnet.io in all namespaces", "list overlaynetworks.swarmnet.io in all namespaces",
                "watch overlaynetworks.swarmnet.io in all namespaces", "patch overlaynetworks.swarmnet.io in all namespaces",
                "patch overlaynetworks.swarmnet.io/status in all namespaces",
                "get swarmservices.swarmnet.io in all namespaces", "list swarmservices.swarmnet.io in all namespaces",
                "watch swarmservices.swarmnet.io in all namespaces", "patch swarmservices.swarmnet.io in all namespaces",
                "patch swarmservices.swarmnet.io/status in all namespaces",
                "update swarmservices.swarmnet.io/finalizers in all namespaces",
                "get pods in all namespaces", "watch pods in all namespaces", "create pods in all namespaces",
                "patch pods in all namespaces", "delete pods in all namespaces", "patch pods/status in all namespaces",
                "get services in all namespaces", "list services in all namespaces", "watch services in all namespaces",
                "create services in all namespaces", "update services in all namespaces", "delete services in all namespaces",
                "list pods in all namespaces",
                "list nodes (cluster-scoped)", "watch nodes (cluster-scoped)",
                "list namespaces (cluster-scoped)", "watch namespaces (cluster-scoped)",
                "create events in all namespaces",
                "get leases.coordination.k8s.io swarmnet-operator in namespace ops", "create leases.coordination.k8s.io in namespace ops",
                "patch leases.coordination.k8s.io swarmnet-operator in namespace ops",
                "get secrets swarmnet-encryption-keys in namespace ops", "update secrets swarmnet-encryption-keys in namespace ops",
                "create secrets in namespace ops");
    }

    @Test
    void watchedNamespacesAreAskedOneByOneAndTheLeaseOnlyWithLeaderElection() {
        List<String> permissions = described(Map.of("SWARMNET_OPERATOR_NAMESPACE", "ops", "SWARMNET_WATCH_NAMESPACES", "a,b",
                "SWARMNET_LEADER_ELECTION", "false", "SWARMNET_LEASE_NAME", "other"));
        assertThat(permissions)
                .contains("create pods in namespace a", "create pods in namespace b", "create services in namespace b", "watch overlaynetworks.swarmnet.io in namespace b",
                        "create events in namespace a", "create events in namespace b", "create events in namespace ops",
                        // the address ledger reads every task pod, wherever it runs
                        "list pods in all namespaces")
                .doesNotContain("create pods in all namespaces", "watch overlaynetworks.swarmnet.io in all namespaces")
                .noneMatch(p -> p.contains("leases"));
    }
}

package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.startup.Permission;
import io.swarmnet.operator.startup.RequiredPermissions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The operator refuses to start without its RequiredPermissions and tells the user the chart's RBAC
 * grants them; this holds the chart to that, for the environment the chart gives the operator.
 */
class ChartGrantsTheOperatorsCheckedPermissionsTest {

    private static RenderedChart render(String... args) {
        Helm helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        return RenderedChart.render(helm, RepositoryLayout.find(), args);
    }

    /** RBAC's rule matching, for the verbs, groups, resources and names the chart writes (no wildcards: ChartRbacTest). */
    private static boolean grants(PolicyRule rule, Permission permission) {
        String resource = permission.subresource().isEmpty() ? permission.resource() : permission.resource() + "/" + permission.subresource();
        boolean anyName = rule.getResourceNames() == null || rule.getResourceNames().isEmpty();
        return rule.getApiGroups().contains(permission.group()) && rule.getResources().contains(resource)
                && rule.getVerbs().contains(permission.verb()) && (anyName || rule.getResourceNames().contains(permission.name()));
    }

    private static List<String> notGranted(RenderedChart chart) {
        OperatorConfig config = OperatorConfig.fromEnvironment(
                ChartConfigurationTest.processEnvironment(ChartConfigurationTest.container(chart, true)));
        ClusterRole clusterRole = chart.one(ClusterRole.class, "swarmnet-operator");
        Role role = chart.one(Role.class, "swarmnet-operator");
        return RequiredPermissions.of(config).stream()
                .filter(p -> clusterRole.getRules().stream().noneMatch(r -> grants(r, p))
                        && !(role.getMetadata().getNamespace().equals(p.namespace()) && role.getRules().stream().anyMatch(r -> grants(r, p))))
                .map(Permission::describe)
                .toList();
    }

    @Test
    void everyPermissionTheOperatorChecksAtStartIsGrantedByTheChart() {
        assertThat(notGranted(render())).as("permissions the operator needs and the chart does not grant").isEmpty();
    }

    @Test
    void alsoWhenItWatchesSomeNamespacesOnly() {
        assertThat(notGranted(render("--set-json", "operator.watchNamespaces=[\"team-a\",\"team-b\"]"))).isEmpty();
    }
}

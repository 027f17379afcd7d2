package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.operator.network.ClusterRangeReader;
import io.swarmnet.operator.startup.RequiredPermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RBAC is least privilege: each component's grants, flattened to "group/resource verb" lines, are
 * exactly the expected set, so any added right fails here and has to be argued for.
 */
class ChartRbacTest {

    private static RenderedChart chart;

    @BeforeAll
    static void render() {
        Helm helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        chart = RenderedChart.render(helm, RepositoryLayout.find());
    }

    /** One line per (group, resource, verb), with the resourceNames a rule is limited to. */
    private static Set<String> grants(List<PolicyRule> rules) {
        Set<String> lines = new TreeSet<>();
        for (PolicyRule rule : rules) {
            String names = rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
                    ? "" : " " + rule.getResourceNames();
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        lines.add((group.isEmpty() ? "core" : group) + "/" + resource + " " + verb + names);
                    }
                }
            }
        }
        return lines;
    }

    private static List<PolicyRule> allRules(RenderedChart rendered) {
        List<PolicyRule> rules = new ArrayList<>();
        rendered.all(ClusterRole.class).forEach(r -> rules.addAll(r.getRules()));
        rendered.all(Role.class).forEach(r -> rules.addAll(r.getRules()));
        return rules;
    }

    @Test
    void noRuleUsesAWildcardOrANonResourceUrl() {
        for (PolicyRule rule : allRules(chart)) {
            assertThat(rule.getVerbs()).as("verbs of %s", rule).doesNotContain("*").isNotEmpty();
            assertThat(rule.getResources()).as("resources of %s", rule).doesNotContain("*").isNotEmpty();
            assertThat(rule.getApiGroups()).as("apiGroups of %s", rule).doesNotContain("*");
            assertThat(rule.getNonResourceURLs()).as("nonResourceURLs of %s", rule).isNullOrEmpty();
            // escalation verbs would let a component grant itself more than this chart does
            assertThat(rule.getVerbs()).as("verbs of %s", rule).doesNotContain("escalate", "bind", "impersonate", "deletecollection");
        }
        assertThat(chart.all(ClusterRole.class)).allSatisfy(r -> assertThat(r.getAggregationRule()).isNull());
    }

    @Test
    void noClusterRoleTouchesSecretsOrRbacOrWorkloadsBeyondPods() {
        for (ClusterRole role : chart.all(ClusterRole.class)) {
            assertThat(grants(role.getRules())).as(role.getMetadata().getName())
                    .noneMatch(line -> line.startsWith("core/secrets"))
                    .noneMatch(line -> line.startsWith("rbac.authorization.k8s.io/"))
                    .noneMatch(line -> line.startsWith("apps/"))
                    .noneMatch(line -> line.startsWith("core/serviceaccounts"))
                    .noneMatch(line -> line.startsWith("core/pods/exec"));
        }
    }

    @Test
    void operatorGrantsAreExactlyItsResourcesPodsServicesNodesNamespacesEventsTheClusterRangeSourcesAndItsCrds() {
        ClusterRole role = chart.one(ClusterRole.class, "swarmnet-operator");
        // the names the operator reads, from the code's one definition of them
        String ciliumConfig = " [" + ClusterRangeReader.CILIUM_CONFIG + "]";
        assertThat(grants(role.getRules())).containsExactlyInAnyOrder(
                "swarmnet.io/overlaynetworks get", "swarmnet.io/overlaynetworks list", "swarmnet.io/overlaynetworks watch",
                "swarmnet.io/overlaynetworks patch", "swarmnet.io/overlaynetworks update",
                "swarmnet.io/swarmservices get", "swarmnet.io/swarmservices list", "swarmnet.io/swarmservices watch",
                "swarmnet.io/swarmservices patch", "swarmnet.io/swarmservices update",
                "swarmnet.io/overlaynetworks/status get", "swarmnet.io/overlaynetworks/status patch",
                "swarmnet.io/overlaynetworks/status update",
                "swarmnet.io/swarmservices/status get", "swarmnet.io/swarmservices/status patch",
                "swarmnet.io/swarmservices/status update",
                "swarmnet.io/overlaynetworks/finalizers update", "swarmnet.io/swarmservices/finalizers update",
                "core/pods get", "core/pods list", "core/pods watch", "core/pods create", "core/pods update",
                "core/pods patch", "core/pods delete",
                // the attached condition of a pod refused an attachable network (AttachablePods)
                "core/pods/status patch",
                // spec.publish's ingress Services; get also reads the kubernetes Service (ClusterRangeReader.KUBERNETES_SERVICE)
                "core/services get", "core/services list", "core/services watch", "core/services create",
                "core/services update", "core/services delete",
                "core/nodes get", "core/nodes list", "core/nodes watch",
                // the labels spec.shareWith.namespaceSelector selects by (SwarmServiceReconciler, AttachablePods)
                "core/namespaces list", "core/namespaces watch",
                "core/events create", "core/events patch",
                "networking.k8s.io/servicecidrs list", "crd.projectcalico.org/ippools list", "projectcalico.org/ippools list",
                "cilium.io/ciliumpodippools list",
                "core/configmaps get" + ciliumConfig,
                // read at start, by name: the operator refuses missing or outdated CRDs (RequiredPermissions.crdNames)
                "apiextensions.k8s.io/customresourcedefinitions get " + RequiredPermissions.crdNames());
    }

    @Test
    void operatorManagesLeasesAndOnlyItsKeySecretByNameInItsOwnNamespace() {
        Role role = chart.one(Role.class, "swarmnet-operator");
        assertThat(role.getMetadata().getNamespace()).isEqualTo(RenderedChart.NAMESPACE);
        String secret = " [" + SwarmnetKeys.SECRET_ENCRYPTION_KEYS + "]";
        // no list or watch of Secrets: the namespace holds Helm's release Secrets too
        assertThat(grants(role.getRules())).containsExactlyInAnyOrder(
                "coordination.k8s.io/leases get", "coordination.k8s.io/leases list", "coordination.k8s.io/leases watch",
                "coordination.k8s.io/leases create", "coordination.k8s.io/leases update", "coordination.k8s.io/leases patch",
                "core/secrets get" + secret, "core/secrets update" + secret, "core/secrets create");
    }

    @Test
    void agentReadsWhatItWatchesAndWritesOnlyPodConditionsNodeStateAndEvents() {
        ClusterRole role = chart.one(ClusterRole.class, "swarmnet-agent");
        assertThat(grants(role.getRules())).containsExactlyInAnyOrder(
                "swarmnet.io/overlaynetworks get", "swarmnet.io/overlaynetworks list", "swarmnet.io/overlaynetworks watch",
                "swarmnet.io/swarmservices get", "swarmnet.io/swarmservices list", "swarmnet.io/swarmservices watch",
                "core/pods get", "core/pods list", "core/pods watch",
                "core/pods/status patch",
                "core/nodes get", "core/nodes list", "core/nodes watch", "core/nodes patch",
                "core/events create", "core/events patch");
    }

    @Test
    void anAdmissionPolicyBindsTheAgentsNodeAndPodStatusWritesToItsOwnNode() {
        var policy = chart.one(io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy.class,
                "swarmnet-agent-node-scope");
        assertThat(policy.getSpec().getFailurePolicy()).isEqualTo("Fail");
        assertThat(policy.getSpec().getMatchConstraints().getResourceRules()).singleElement().satisfies(rule -> {
            assertThat(rule.getOperations()).containsExactly("UPDATE");
            assertThat(rule.getResources()).containsExactlyInAnyOrder("nodes", "pods/status");
        });
        // only the agent's own requests: the ServiceAccount the agent's ClusterRoleBinding names
        assertThat(policy.getSpec().getMatchConditions()).singleElement().satisfies(c -> assertThat(c.getExpression())
                .isEqualTo("request.userInfo.username == 'system:serviceaccount:" + RenderedChart.NAMESPACE + ":swarmnet-agent'"));
        assertThat(policy.getSpec().getValidations()).extracting(v -> v.getExpression())
                .anySatisfy(e -> assertThat(e).contains("object.metadata.name == variables.nodeName"))
                .anySatisfy(e -> assertThat(e).contains("object.spec.nodeName == variables.nodeName"))
                .anySatisfy(e -> assertThat(e).contains("startsWith('" + SwarmnetKeys.GROUP + "/')").contains("object.spec == oldObject.spec"));
        var binding = chart.one(io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding.class,
                "swarmnet-agent-node-scope");
        assertThat(binding.getSpec().getPolicyName()).isEqualTo("swarmnet-agent-node-scope");
        assertThat(binding.getSpec().getValidationActions()).containsExactly("Deny");
    }

    @Test
    void agentReadsTheKeySecretOnlyByNameInTheOperatorsNamespace() {
        Role role = chart.one(Role.class, "swarmnet-agent");
        assertThat(role.getMetadata().getNamespace()).isEqualTo(RenderedChart.NAMESPACE);
        // the name the operator writes and the agents read, from the code's one definition of it
        String secret = "[" + SwarmnetKeys.SECRET_ENCRYPTION_KEYS + "]";
        assertThat(grants(role.getRules())).containsExactlyInAnyOrder(
                "core/secrets get " + secret, "core/secrets list " + secret, "core/secrets watch " + secret);
    }

    @Test
    void eachBindingGivesOneComponentsRoleToThatComponentsServiceAccountOnly() {
        for (String component : List.of("operator", "agent")) {
            String name = "swarmnet-" + component;
            ClusterRoleBinding crb = chart.one(ClusterRoleBinding.class, name);
            assertThat(crb.getRoleRef().getKind()).isEqualTo("ClusterRole");
            assertThat(crb.getRoleRef().getName()).isEqualTo(name);
            assertThat(crb.getSubjects()).singleElement().satisfies(s -> isServiceAccount(s, name));
            RoleBinding rb = chart.one(RoleBinding.class, name);
            assertThat(rb.getMetadata().getNamespace()).isEqualTo(RenderedChart.NAMESPACE);
            assertThat(rb.getRoleRef().getKind()).isEqualTo("Role");
            assertThat(rb.getRoleRef().getName()).isEqualTo(name);
            assertThat(rb.getSubjects()).singleElement().satisfies(s -> isServiceAccount(s, name));
        }
        assertThat(chart.all(ClusterRoleBinding.class)).hasSize(2);
        assertThat(chart.all(RoleBinding.class)).hasSize(2);
    }

    private static void isServiceAccount(Subject subject, String name) {
        assertThat(subject.getKind()).isEqualTo("ServiceAccount");
        assertThat(subject.getName()).isEqualTo(name);
        assertThat(subject.getNamespace()).isEqualTo(RenderedChart.NAMESPACE);
    }
}

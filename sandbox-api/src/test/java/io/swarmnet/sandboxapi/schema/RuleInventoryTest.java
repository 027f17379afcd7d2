package io.swarmnet.sandboxapi.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The list of constraints in our CRDs' specs that OverlayNetworkSchemaTest and SwarmServiceSchemaTest
 * cover. When a rule is added to api/ (and so to crds/), this test fails until the rule gets its good
 * and bad samples and is listed here. The pod template (Kubernetes' own PodTemplateSpec) and status
 * are left out: they are not ours to design.
 */
class RuleInventoryTest {

    private static final Set<String> KEYWORDS = Set.of("pattern", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "enum", "required",
            "default", "format", "x-kubernetes-validations", "uniqueItems", "x-kubernetes-list-type");

    @Test
    void everyOverlayNetworkConstraintIsCovered() {
        assertThat(inventory("overlaynetworks.swarmnet.io.yaml")).containsExactlyInAnyOrder(
                "spec: x-kubernetes-validations: " + "!has(self.gateway) || (has(self.subnet) && cidr(self.subnet).containsIP(self.gateway))",
                "spec: x-kubernetes-validations: " + "!has(self.ipRange) || (has(self.subnet) && cidr(self.subnet).containsCIDR(self.ipRange))",
                "spec: x-kubernetes-validations: " + "!has(self.subnet) || cidr(self.subnet).prefixLength() <= 29",
                "spec.encrypted: default",
                "spec.encrypted: x-kubernetes-validations: self == oldSelf",
                "spec.gateway: maxLength",
                "spec.gateway: pattern",
                "spec.gateway: x-kubernetes-validations: self == oldSelf",
                "spec.ipRange: maxLength",
                "spec.ipRange: pattern",
                "spec.mtu: maximum",
                "spec.mtu: minimum",
                "spec.shareWith: required",
                "spec.shareWith.namespaceSelector.matchExpressions: maxItems",
                "spec.shareWith.namespaceSelector.matchExpressions[]: required",
                "spec.shareWith.namespaceSelector.matchExpressions[]: x-kubernetes-validations: self.operator == 'In' || "
                        + "self.operator == 'NotIn' ? has(self.values) && size(self.values) > 0 : !has(self.values) || "
                        + "size(self.values) == 0",
                "spec.shareWith.namespaceSelector.matchExpressions[].key: maxLength",
                "spec.shareWith.namespaceSelector.matchExpressions[].key: minLength",
                "spec.shareWith.namespaceSelector.matchExpressions[].key: pattern",
                "spec.shareWith.namespaceSelector.matchExpressions[].operator: enum",
                "spec.shareWith.namespaceSelector.matchExpressions[].values: maxItems",
                "spec.shareWith.namespaceSelector.matchExpressions[].values[]: maxLength",
                "spec.shareWith.namespaceSelector.matchExpressions[].values[]: pattern",
                "spec.shareWith.namespaceSelector.matchLabels{}: maxLength",
                "spec.shareWith.namespaceSelector.matchLabels{}: pattern",
                "spec.subnet: maxLength",
                "spec.subnet: pattern",
                "spec.subnet: x-kubernetes-validations: self == oldSelf",
                "spec.vxlanId: maximum",
                "spec.vxlanId: minimum",
                "spec.vxlanId: x-kubernetes-validations: self == oldSelf");
    }

    @Test
    void everySwarmServiceConstraintIsCovered() {
        assertThat(inventory("swarmservices.swarmnet.io.yaml")).containsExactlyInAnyOrder(
                "spec: required",
                "spec: x-kubernetes-validations: !has(self.replicas) || self.mode == 'replicated'",
                "spec.endpointMode: default",
                "spec.endpointMode: enum",
                "spec.mode: default",
                "spec.mode: enum",
                "spec.networks: maxItems",
                "spec.networks: minItems",
                "spec.networks: x-kubernetes-validations: self.all(a, self.exists_one(b, b.name == a.name"
                        + " && (has(b.__namespace__) ? b.__namespace__ : '') == (has(a.__namespace__) ? a.__namespace__ : '')))",
                "spec.networks[]: required",
                "spec.networks[].aliases: maxItems",
                "spec.networks[].aliases[]: maxLength",
                "spec.networks[].aliases[]: minLength",
                "spec.networks[].aliases[]: pattern",
                "spec.networks[].name: maxLength",
                "spec.networks[].name: minLength",
                "spec.networks[].name: pattern",
                "spec.networks[].namespace: maxLength",
                "spec.networks[].namespace: minLength",
                "spec.networks[].namespace: pattern",
                "spec.publish: maxItems",
                "spec.publish: x-kubernetes-validations: self.all(a, !has(a.publishedPort) || self.exists_one(b,"
                        + " has(b.publishedPort) && b.publishedPort == a.publishedPort && b.protocol == a.protocol))",
                "spec.publish[]: required",
                "spec.publish[]: x-kubernetes-validations: !has(self.mode) || self.mode != 'host' || has(self.publishedPort)",
                "spec.publish[].mode: default",
                "spec.publish[].mode: enum",
                "spec.publish[].protocol: default",
                "spec.publish[].protocol: enum",
                "spec.publish[].publishedPort: maximum",
                "spec.publish[].publishedPort: minimum",
                "spec.publish[].targetPort: maximum",
                "spec.publish[].targetPort: minimum",
                "spec.replicas: minimum",
                "spec.rollbackConfig.delay: default",
                "spec.rollbackConfig.delay: pattern",
                "spec.rollbackConfig.failureAction: default",
                "spec.rollbackConfig.failureAction: enum",
                "spec.rollbackConfig.maxFailureRatio: default",
                "spec.rollbackConfig.maxFailureRatio: maximum",
                "spec.rollbackConfig.maxFailureRatio: minimum",
                "spec.rollbackConfig.monitor: default",
                "spec.rollbackConfig.monitor: pattern",
                "spec.rollbackConfig.order: default",
                "spec.rollbackConfig.order: enum",
                "spec.rollbackConfig.parallelism: default",
                "spec.rollbackConfig.parallelism: minimum",
                "spec.updateConfig.delay: default",
                "spec.updateConfig.delay: pattern",
                "spec.updateConfig.failureAction: default",
                "spec.updateConfig.failureAction: enum",
                "spec.updateConfig.maxFailureRatio: default",
                "spec.updateConfig.maxFailureRatio: maximum",
                "spec.updateConfig.maxFailureRatio: minimum",
                "spec.updateConfig.monitor: default",
                "spec.updateConfig.monitor: pattern",
                "spec.updateConfig.order: default",
                "spec.updateConfig.order: enum",
                "spec.updateConfig.parallelism: default",
                "spec.updateConfig.parallelism: minimum");
    }

    private static Set<String> inventory(String crd) {
        Set<String> found = new TreeSet<>();
        JsonNode spec = CrdFiles.read(crd).at("/spec/versions/0/schema/openAPIV3Schema/properties/spec");
        walk(spec, "spec", found);
        return found;
    }

    private static void walk(JsonNode schema, String path, Set<String> found) {
        if (path.equals("spec.template")) {
            return;
        }
        for (String keyword : KEYWORDS) {
            if (!schema.has(keyword)) {
                continue;
            }
            if (keyword.equals("x-kubernetes-validations")) {
                schema.get(keyword).forEach(rule -> found.add(path + ": " + keyword + ": " + rule.path("rule").asText()));
            } else {
                found.add(path + ": " + keyword);
            }
        }
        schema.path("properties").fields().forEachRemaining(e -> walk(e.getValue(), path + "." + e.getKey(), found));
        if (schema.has("items")) {
            walk(schema.get("items"), path + "[]", found);
        }
        if (schema.path("additionalProperties").isObject()) {
            walk(schema.get("additionalProperties"), path + "{}", found);
        }
    }
}

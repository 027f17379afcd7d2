package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.KubernetesVersion;
import java.util.List;
import java.util.Map;

/**
 * Evaluates one CEL rule through the real admission path: a tiny CRD whose spec has a string
 * field {@code s} and a rule on spec. {@code holds} is true when the rule accepts; an evaluation
 * error (bad address, no such key) is returned by {@code outcome} as the API server words it.
 */
final class CelRuleProbe {

    private CelRuleProbe() {
    }

    static boolean holds(String rule) {
        return holds(rule, KubernetesVersion.OLDEST_SUPPORTED);
    }

    /** As an API server of {@code server} evaluates the rule. */
    static boolean holds(String rule, KubernetesVersion server) {
        List<FieldError> errors = crdWithRule(rule, server).admit(probe("unused"), null);
        if (errors.size() == 1 && errors.get(0).detail().equals("failed rule: " + rule)) {
            return false;
        }
        if (!errors.isEmpty()) {
            throw new AssertionError("rule " + rule + " did not evaluate to a bool: " + errors.get(0).message());
        }
        return true;
    }

    /** The single field error's message, or "" when the rule holds. */
    static String outcome(String rule) {
        List<FieldError> errors = crdWithRule(rule, KubernetesVersion.OLDEST_SUPPORTED).admit(probe("unused"), null);
        return errors.isEmpty() ? "" : errors.get(0).message();
    }

    static CrdValidator crdWithRule(String rule) {
        return crdWithRule(rule, KubernetesVersion.OLDEST_SUPPORTED);
    }

    static CrdValidator crdWithRule(String rule, KubernetesVersion server) {
        return CrdValidator.forCrd(crd(rule), server);
    }

    /** The probe CRD {@code probes.test.io} with the rule on spec. */
    static JsonNode crd(String rule) {
        Map<String, Object> spec = Map.of(
                "type", "object",
                "properties", Map.of("s", Map.of("type", "string")),
                "x-kubernetes-validations", List.of(Map.of("rule", rule)));
        return Manifest.YAML.valueToTree(Map.of(
                "apiVersion", "apiextensions.k8s.io/v1",
                "kind", "CustomResourceDefinition",
                "metadata", Map.of("name", "probes.test.io"),
                "spec", Map.of(
                        "group", "test.io",
                        "names", Map.of("kind", "Probe", "plural", "probes"),
                        "versions", List.of(Map.of("name", "v1", "served", true, "storage", true,
                                "schema", Map.of("openAPIV3Schema", Map.of("type", "object",
                                        "properties", Map.of("spec", spec))))))));
    }

    private static ObjectNode probe(String s) {
        return Manifest.YAML.valueToTree(Map.of("apiVersion", "test.io/v1", "kind", "Probe",
                "metadata", Map.of("name", "p"), "spec", Map.of("s", s)));
    }
}

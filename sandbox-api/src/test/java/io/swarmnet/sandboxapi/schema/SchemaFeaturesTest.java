package io.swarmnet.sandboxapi.schema;

import static io.swarmnet.sandboxapi.schema.Admission.create;
import static io.swarmnet.sandboxapi.schema.Admission.created;
import static io.swarmnet.sandboxapi.schema.Admission.update;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Schema features our CRDs do not use (yet), on a made-up Widget CRD (manifests/widgets-crd.yaml). */
class SchemaFeaturesTest {

    private static final JsonNode WIDGET_CRD = read("widgets-crd.yaml");
    private static final CrdValidator CRD = CrdValidator.forCrd(WIDGET_CRD);
    private static final Manifest WIDGET = Manifest.load("widget.yaml");

    @Test
    void usesTheStorageVersionsSchema() {
        assertThat(create(CRD, WIDGET)).isEmpty();
        assertThat(create(CRD, WIDGET.with("spec.legacy", "x"))).containsExactly("unknown field \"spec.legacy\"");
    }

    @Test
    void nestedDefaultsAreAppliedTopDown() {
        ObjectNode stored = created(CRD, WIDGET);
        assertThat(stored.at("/spec/config").toString()).isEqualTo("{\"retries\":3,\"backoff\":{\"seconds\":10}}");
        ObjectNode partial = created(CRD, WIDGET.with("spec.config", Map.of("backoff", Map.of())));
        assertThat(partial.at("/spec/config").toString()).isEqualTo("{\"backoff\":{\"seconds\":10},\"retries\":3}");
    }

    @Test
    void nullableFieldsKeepTheirNull() {
        ObjectNode object = WIDGET.json();
        ((ObjectNode) object.get("spec")).putNull("nickname");
        assertThat(CRD.admit(object, null)).isEmpty();
        assertThat(object.at("/spec/nickname").isNull()).isTrue();
    }

    @Test
    void nonNullableNullsWithoutDefaultAreDropped() {
        ObjectNode object = WIDGET.json();
        ((ObjectNode) object.get("spec")).putNull("ratio");
        assertThat(CRD.admit(object, null)).isEmpty();
        assertThat(object.at("/spec").has("ratio")).isFalse();
    }

    @Test
    void aNullInAListOfStringsIsAWrongType() {
        ObjectNode object = WIDGET.json();
        ((ObjectNode) object.get("spec")).putArray("tags").add("a").addNull();
        assertThat(Admission.messages(CRD.admit(object, null))).first().isEqualTo(
                "spec.tags[1]: Invalid value: \"null\": spec.tags[1] in body must be of type string: \"null\"");
    }

    @Test
    void numericBounds() {
        assertThat(create(CRD, WIDGET.with("spec.size", 2))).isEmpty();
        assertThat(create(CRD, WIDGET.with("spec.size", 1))).containsExactly(
                "spec.size: Invalid value: 1: spec.size in body should be a multiple of 2",
                "spec.size: Invalid value: 1: spec.size in body should be greater than 1");
        assertThat(create(CRD, WIDGET.with("spec.size", 3))).containsExactly(
                "spec.size: Invalid value: 3: spec.size in body should be a multiple of 2");
        assertThat(create(CRD, WIDGET.with("spec.ratio", 1.6))).containsExactly(
                "spec.ratio: Invalid value: 1.6: spec.ratio in body should be less than or equal to 1.5");
        assertThat(create(CRD, WIDGET.with("spec.ratio", 1))).isEmpty();
    }

    @Test
    void integerEnums() {
        assertThat(create(CRD, WIDGET.with("spec.level", 2))).isEmpty();
        assertThat(create(CRD, WIDGET.with("spec.level", 4))).first().isEqualTo(
                "spec.level: Unsupported value: 4: supported values: \"1\", \"2\", \"3\"");
    }

    @Test
    void additionalPropertiesAndMaxProperties() {
        assertThat(create(CRD, WIDGET.with("spec.labels", Map.of("a", "12345")))).isEmpty();
        assertThat(create(CRD, WIDGET.with("spec.labels", Map.of("a", "123456")))).first().isEqualTo(
                "spec.labels.a: Too long: may not be longer than 5");
        assertThat(create(CRD, WIDGET.with("spec.labels", Map.of("a", "1", "b", "2", "c", "3")))).first().isEqualTo(
                "spec.labels: Too many: 3: must have at most 2 items");
    }

    @Test
    void listTypeSetAndMapRefuseDuplicates() {
        assertThat(create(CRD, WIDGET.with("spec.tags", List.of("x", "y", "x")))).containsExactly(
                "spec.tags[2]: Duplicate value: \"x\"");
        assertThat(create(CRD, WIDGET.with("spec.ports", List.of(Map.of("name", "http", "number", 80),
                Map.of("name", "http", "number", 8080))))).containsExactly(
                "spec.ports[1]: Duplicate value: map[string]interface {}{\"name\":\"http\"}");
    }

    @Test
    void listMapItemsCorrelateWithTheirOldValuesByKey() {
        Manifest before = WIDGET.with("spec.ports", List.of(Map.of("name", "http", "number", 80),
                Map.of("name", "https", "number", 443)));
        Manifest reordered = WIDGET.with("spec.ports", List.of(Map.of("name", "https", "number", 443),
                Map.of("name", "http", "number", 80), Map.of("name", "metrics", "number", 9090)));
        assertThat(update(CRD, before, reordered)).isEmpty();
        Manifest renumbered = WIDGET.with("spec.ports", List.of(Map.of("name", "https", "number", 443),
                Map.of("name", "http", "number", 8080)));
        assertThat(update(CRD, before, renumbered)).containsExactly(
                "spec.ports[1]: Invalid value: \"object\": a port's number is immutable");
    }

    @Test
    void itemsOfOtherListsHaveNoOldValue() {
        Manifest before = WIDGET.with("spec.plainList", List.of(Map.of("value", 1)));
        assertThat(update(CRD, before, WIDGET.with("spec.plainList", List.of(Map.of("value", 2))))).isEmpty();
    }

    @Test
    void preserveUnknownFieldsKeepsAnything() {
        assertThat(create(CRD, WIDGET.with("spec.extra", Map.of("anything", List.of(1, "two", Map.of("three", 3)))))).isEmpty();
    }

    @Test
    void messageExpressionAndFieldPath() {
        assertThat(create(CRD, WIDGET.with("spec.limits", Map.of("min", 5, "max", 2)))).containsExactly(
                "spec.limits.min: Invalid value: \"object\": min 5 exceeds max 2");
        assertThat(create(CRD, WIDGET.with("spec.limits", Map.of("min", 1, "max", 2)))).isEmpty();
    }

    @Test
    void reasonRequiredAndDuplicate() {
        assertThat(create(CRD, WIDGET.with("spec.owner", Map.of()))).containsExactly(
                "spec.owner.name: Required value: owner.name is required");
        assertThat(create(CRD, WIDGET.with("spec.members", List.of("a", "b", "a")))).containsExactly(
                "spec.members: Duplicate value: \"array\"");
    }

    @Test
    void standardMacros() {
        assertThat(create(CRD, WIDGET.with("spec.members", List.of("ann", "bob")))).isEmpty();
        assertThat(create(CRD, WIDGET.with("spec.members", List.of("ann", "xavier")))).containsExactly(
                "spec.members: Invalid value: \"array\": members may not start with x and are shorter than 10");
        assertThat(create(CRD, WIDGET.with("spec.members", List.of("annabellelee")))).containsExactly(
                "spec.members: Invalid value: \"array\": members may not start with x and are shorter than 10");
    }

    @Test
    void aMapKeyInFieldPathPrintsAsAKey() {
        assertThat(create(CRD, WIDGET.with("spec.annotated", Map.of("forbidden", "x")))).containsExactly(
                "spec.annotated[forbidden]: Invalid value: \"object\": this key is not allowed");
    }

    @Test
    void aRuleWithoutMessageQuotesItself() {
        assertThat(create(CRD, WIDGET.with("spec.unchecked", "bad"))).containsExactly(
                "spec.unchecked: Invalid value: \"string\": failed rule: self != 'bad'");
    }

    @Test
    void oneOf() {
        assertThat(create(CRD, WIDGET.with("spec.choice", "ax"))).isEmpty();
        assertThat(create(CRD, WIDGET.with("spec.choice", "xb"))).isEmpty();
        assertThat(create(CRD, WIDGET.with("spec.choice", "ab"))).containsExactly(
                "<nil>: Invalid value: \"\": \"spec.choice\" must validate one and only one schema (oneOf). Found 2 valid alternatives");
        assertThat(create(CRD, WIDGET.with("spec.choice", "x"))).containsExactly(
                "<nil>: Invalid value: \"\": \"spec.choice\" must validate one and only one schema (oneOf). Found none valid",
                "spec.choice: Invalid value: \"x\": spec.choice in body should match '^a'");
    }

    @Test
    void transitionRuleOnAScalar() {
        Manifest before = WIDGET.with("spec.counter", 5);
        assertThat(create(CRD, WIDGET.with("spec.counter", 0))).isEmpty();
        assertThat(update(CRD, before, WIDGET.with("spec.counter", 6))).isEmpty();
        assertThat(update(CRD, before, WIDGET.with("spec.counter", 4))).containsExactly(
                "spec.counter: Invalid value: \"integer\": counter may only grow");
    }

    @Test
    void optionalOldSelfRulesRunOnCreateToo() {
        assertThat(create(CRD, WIDGET.with("spec.note", "short"))).isEmpty();
        assertThat(create(CRD, WIDGET.with("spec.note", "far too long"))).containsExactly(
                "spec.note: Invalid value: \"string\": a note is short when created and fixed afterwards");
        Manifest before = WIDGET.with("spec.note", "short");
        assertThat(update(CRD, before, before)).isEmpty();
        assertThat(update(CRD, before, WIDGET.with("spec.note", "other"))).hasSize(1);
    }

    @Test
    void rootRulesSeeMetadataNameAndPrintNil() {
        assertThat(create(CRD, WIDGET.with("metadata.name", "gadget"))).containsExactly(
                "<nil>: Invalid value: \"object\": a widget's name starts with w-");
    }

    @Test
    void statusIsPartOfTheSchema() {
        assertThat(create(CRD, WIDGET.with("status.phase", "Ready"))).isEmpty();
        assertThat(create(CRD, WIDGET.with("status.phaze", "Ready"))).containsExactly("unknown field \"status.phaze\"");
    }

    @Test
    void aRuleNamingAnUndeclaredFieldIsRefusedWithTheCrd() {
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("self.nosuch == 'x'"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule:"
                        + " Invalid value: \"self.nosuch == 'x'\": compilation failed: ERROR: <input>:1:5: undefined field 'nosuch'");
    }

    @Test
    void aBadReasonFieldPathOrMessageExpressionIsRefusedWithTheCrd() {
        assertThatThrownBy(() -> CrdValidator.forCrd(withSpecRule(Map.of("rule", "true", "reason", "FieldValueWrong"))))
                .hasMessageContaining("x-kubernetes-validations[0].reason: Invalid value: \"FieldValueWrong\"");
        assertThatThrownBy(() -> CrdValidator.forCrd(withSpecRule(Map.of("rule", "true", "fieldPath", ".nosuch"))))
                .hasMessageContaining("x-kubernetes-validations[0].fieldPath: Invalid value: \".nosuch\"");
        assertThatThrownBy(() -> CrdValidator.forCrd(withSpecRule(Map.of("rule", "true", "messageExpression", "1"))))
                .hasMessageContaining("x-kubernetes-validations[0].messageExpression: Invalid value: \"1\": must evaluate to a string");
        assertThat(CrdValidator.forCrd(withSpecRule(Map.of("rule", "true", "fieldPath", ".labels['a.b/c']")))).isNotNull();
    }

    private static JsonNode withSpecRule(Map<String, Object> rule) {
        ObjectNode crd = WIDGET_CRD.deepCopy();
        ((ObjectNode) crd.at("/spec/versions/1/schema/openAPIV3Schema/properties/spec"))
                .set("x-kubernetes-validations", Manifest.YAML.valueToTree(List.of(rule)));
        return crd;
    }

    @Test
    void aRuleThatIsNotBooleanIsRefusedWithTheCrd() {
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("self.s"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must evaluate to a bool");
    }

    @Test
    void aCrdWithoutStorageVersionIsRefused() {
        ObjectNode crd = WIDGET_CRD.deepCopy();
        ((ObjectNode) crd.at("/spec/versions/1")).put("storage", false);
        assertThatThrownBy(() -> CrdValidator.forCrd(crd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("widgets.test.io").hasMessageContaining("storage: true");
    }

    private static JsonNode read(String resource) {
        try (InputStream in = SchemaFeaturesTest.class.getResourceAsStream("/manifests/" + resource)) {
            return Manifest.YAML.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

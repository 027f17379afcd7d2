package io.swarmnet.api.network;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** spec.shareWith.namespaceSelector selects namespaces as a Kubernetes LabelSelector does. */
class NamespaceSelectorTest {

    private static final Map<String, String> SHOP = Map.of("kubernetes.io/metadata.name", "shop", "swarmnet.io/proxy", "true",
            "env", "prod");

    private static NamespaceSelector labels(Map<String, String> matchLabels) {
        return new NamespaceSelector(matchLabels, null);
    }

    private static NamespaceSelector expression(String key, SelectorOperator operator, String... values) {
        return new NamespaceSelector(null, List.of(new SelectorRequirement(key, operator,
                values.length == 0 ? null : List.of(values))));
    }

    @Test
    void anEmptySelectorSelectsEveryNamespace() {
        assertThat(new NamespaceSelector().matches(SHOP)).isTrue();
        assertThat(new NamespaceSelector().matches(Map.of())).isTrue();
        assertThat(new NamespaceSelector().describe()).isEqualTo("<every namespace>");
    }

    @Test
    void matchLabelsNeedsEveryLabelWithItsValue() {
        assertThat(labels(Map.of("swarmnet.io/proxy", "true")).matches(SHOP)).isTrue();
        assertThat(labels(Map.of("swarmnet.io/proxy", "true", "env", "prod")).matches(SHOP)).isTrue();
        assertThat(labels(Map.of("swarmnet.io/proxy", "true", "env", "stage")).matches(SHOP)).isFalse();
        assertThat(labels(Map.of("swarmnet.io/proxy", "true")).matches(Map.of())).isFalse();
    }

    @Test
    void expressionsFollowTheirOperators() {
        assertThat(expression("env", SelectorOperator.IN, "prod", "stage").matches(SHOP)).isTrue();
        assertThat(expression("env", SelectorOperator.IN, "stage").matches(SHOP)).isFalse();
        assertThat(expression("env", SelectorOperator.NOT_IN, "stage").matches(SHOP)).isTrue();
        assertThat(expression("team", SelectorOperator.NOT_IN, "web").matches(SHOP)).as("absent label is not in the set").isTrue();
        assertThat(expression("env", SelectorOperator.EXISTS).matches(SHOP)).isTrue();
        assertThat(expression("team", SelectorOperator.EXISTS).matches(SHOP)).isFalse();
        assertThat(expression("team", SelectorOperator.DOES_NOT_EXIST).matches(SHOP)).isTrue();
        assertThat(expression("env", SelectorOperator.DOES_NOT_EXIST).matches(SHOP)).isFalse();
    }

    @Test
    void labelsAndExpressionsMustAllHold() {
        NamespaceSelector both = new NamespaceSelector(Map.of("swarmnet.io/proxy", "true"),
                List.of(new SelectorRequirement("env", SelectorOperator.NOT_IN, List.of("prod"))));
        assertThat(both.matches(SHOP)).isFalse();
        assertThat(both.describe()).isEqualTo("swarmnet.io/proxy=true,env notin (prod)");
    }

    @Test
    void namesWhatIsMalformedUnderTheGivenPath() {
        String path = "spec.shareWith.namespaceSelector";
        assertThat(labels(Map.of("Not a key", "x")).problem(path)).contains(path + ".matchLabels: 'Not a key' is not a label key");
        assertThat(labels(Map.of("env", "no spaces")).problem(path)).contains(path + ".matchLabels[env]: 'no spaces' is not a label value");
        assertThat(expression("env", SelectorOperator.IN).problem(path)).contains(path
                + ".matchExpressions[0]: operator In needs at least one value");
        assertThat(expression("env", SelectorOperator.EXISTS, "prod").problem(path)).contains(path
                + ".matchExpressions[0]: operator Exists takes no values");
        assertThat(new NamespaceSelector(null, List.of(new SelectorRequirement("env", null, null))).problem(path))
                .contains(path + ".matchExpressions[0]: operator is missing; use In, NotIn, Exists or DoesNotExist");
        assertThat(labels(Map.of("example.com/team", "web")).problem(path)).isEmpty();
        assertThat(expression("kubernetes.io/metadata.name", SelectorOperator.IN, "shop", "blog").problem(path)).isEmpty();
    }
}

package io.swarmnet.api.network;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One requirement of a label selector's matchExpressions, as in a Kubernetes LabelSelector. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.operator == 'In' || self.operator == 'NotIn' ? has(self.values) && size(self.values) > 0"
        + " : !has(self.values) || size(self.values) == 0",
        message = "values must list at least one value for the operators In and NotIn, and must be left out for Exists and "
                + "DoesNotExist", reason = "FieldValueInvalid", fieldPath = ".values")
public class SelectorRequirement {

    /** Most values of one requirement. */
    public static final int MAX_VALUES = 64;

    @JsonPropertyDescription("The label key the requirement applies to, e.g. swarmnet.io/proxy or kubernetes.io/metadata.name.")
    @Required
    @Pattern(NamespaceSelector.LABEL_KEY)
    @Size(min = 1, max = NamespaceSelector.LABEL_KEY_MAX)
    private String key;

    @JsonPropertyDescription("In, NotIn, Exists or DoesNotExist.")
    @Required
    private SelectorOperator operator;

    @JsonPropertyDescription("Label values; at least one for In and NotIn, none for Exists and DoesNotExist.")
    @Size(max = MAX_VALUES)
    private List<@Pattern(NamespaceSelector.LABEL_VALUE) @Size(max = NamespaceSelector.LABEL_VALUE_MAX) String> values;

    public SelectorRequirement() {
    }

    public SelectorRequirement(String key, SelectorOperator operator, List<String> values) {
        this.key = key;
        this.operator = operator;
        this.values = values == null ? null : new ArrayList<>(values);
    }

    public String getKey() { return key; }
    public void setKey(String key) { this.key = key; }
    public SelectorOperator getOperator() { return operator; }
    public void setOperator(SelectorOperator operator) { this.operator = operator; }
    public List<String> getValues() { return values; }
    public void setValues(List<String> values) { this.values = values; }

    /** Whether a namespace with these labels meets the requirement; call only on a requirement {@link #problem()} accepts. */
    boolean matches(Map<String, String> labels) {
        boolean present = labels.containsKey(key);
        return switch (operator) {
            case IN -> present && values.contains(labels.get(key));
            case NOT_IN -> !present || !values.contains(labels.get(key));
            case EXISTS -> present;
            case DOES_NOT_EXIST -> !present;
        };
    }

    /** What is wrong with it, as the schema would say (for objects that reached the operator without the schema's checks). */
    String problem() {
        if (key == null || !NamespaceSelector.isLabelKey(key)) {
            return "key '" + key + "' is not a label key (an optional DNS subdomain prefix and '/', then at most "
                    + NamespaceSelector.LABEL_VALUE_MAX + " letters, digits, '-', '_' or '.')";
        }
        if (operator == null) {
            return "operator is missing; use In, NotIn, Exists or DoesNotExist";
        }
        boolean hasValues = values != null && !values.isEmpty();
        if (operator.takesValues() != hasValues) {
            return operator.takesValues() ? "operator " + operator.spelling() + " needs at least one value"
                    : "operator " + operator.spelling() + " takes no values";
        }
        if (hasValues) {
            for (String value : values) {
                if (!NamespaceSelector.isLabelValue(value)) {
                    return "value '" + value + "' is not a label value";
                }
            }
        }
        return null;
    }

    /** As kubectl prints a selector: {@code key in (a,b)}, {@code key notin (a)}, {@code key}, {@code !key}. */
    String describe() {
        return switch (operator) {
            case IN -> key + " in (" + String.join(",", values) + ")";
            case NOT_IN -> key + " notin (" + String.join(",", values) + ")";
            case EXISTS -> key;
            case DOES_NOT_EXIST -> "!" + key;
        };
    }
}

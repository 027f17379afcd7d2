package io.swarmnet.api.network;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A label selector over namespaces, shaped and evaluated as a Kubernetes LabelSelector: every matchLabels entry and every
 * matchExpressions requirement must hold; an empty selector selects every namespace.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NamespaceSelector {

    /**
     * A label key: an optional DNS subdomain prefix and '/', then a name of letters, digits, '-', '_' and '.' that starts and
     * ends with a letter or digit, at most 63 characters. Written with {@code [.]} rather than an escaped dot so that the
     * same text is a Java, an OpenAPI and a CEL regular expression.
     */
    public static final String LABEL_KEY = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
            + "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
    /** A label value: empty, or letters, digits, '-', '_' and '.' starting and ending with a letter or digit. */
    public static final String LABEL_VALUE = "^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$";
    /** A prefix of at most 253 characters, '/', and a name of at most 63. */
    public static final int LABEL_KEY_MAX = 317;
    public static final int LABEL_VALUE_MAX = 63;
    /** Most entries in matchLabels and in matchExpressions (bounds that keep the schema's rules cheap for an API server). */
    public static final int MAX_LABELS = 32;
    public static final int MAX_EXPRESSIONS = 16;

    private static final java.util.regex.Pattern KEY = java.util.regex.Pattern.compile(LABEL_KEY);
    private static final java.util.regex.Pattern VALUE = java.util.regex.Pattern.compile(LABEL_VALUE);

    // The keys are not checked by the schema: a CEL rule matching each key against LABEL_KEY would be costed by an API
    // server for keys of unbounded length and refused with the CRD. The operator checks them (problem()).
    @JsonPropertyDescription("Labels a namespace must carry, with exactly these values. Keys are label keys "
            + "(e.g. swarmnet.io/proxy, kubernetes.io/metadata.name).")
    @Size(max = MAX_LABELS)
    private Map<String, @Pattern(LABEL_VALUE) @Size(max = LABEL_VALUE_MAX) String> matchLabels;

    @JsonPropertyDescription("Requirements a namespace's labels must meet (key, operator In/NotIn/Exists/DoesNotExist, values).")
    @Size(max = MAX_EXPRESSIONS)
    private List<SelectorRequirement> matchExpressions;

    public NamespaceSelector() {
    }

    public NamespaceSelector(Map<String, String> matchLabels, List<SelectorRequirement> matchExpressions) {
        this.matchLabels = matchLabels == null ? null : new TreeMap<>(matchLabels);
        this.matchExpressions = matchExpressions == null ? null : new ArrayList<>(matchExpressions);
    }

    public Map<String, String> getMatchLabels() { return matchLabels; }
    public void setMatchLabels(Map<String, String> matchLabels) { this.matchLabels = matchLabels; }
    public List<SelectorRequirement> getMatchExpressions() { return matchExpressions; }
    public void setMatchExpressions(List<SelectorRequirement> matchExpressions) { this.matchExpressions = matchExpressions; }

    static boolean isLabelKey(String key) {
        return key.length() <= LABEL_KEY_MAX && KEY.matcher(key).matches();
    }

    static boolean isLabelValue(String value) {
        return value != null && value.length() <= LABEL_VALUE_MAX && VALUE.matcher(value).matches();
    }

    /**
     * What makes the selector unusable, naming the field under {@code path} (e.g. {@code spec.shareWith.namespaceSelector}),
     * or empty. The CRD schema refuses all of it; this is for objects that reached the operator without the schema's checks.
     */
    public Optional<String> problem(String path) {
        if (matchLabels != null) {
            for (Map.Entry<String, String> label : matchLabels.entrySet()) {
                if (label.getKey() == null || !isLabelKey(label.getKey())) {
                    return Optional.of(path + ".matchLabels: '" + label.getKey() + "' is not a label key");
                }
                if (!isLabelValue(label.getValue())) {
                    return Optional.of(path + ".matchLabels[" + label.getKey() + "]: '" + label.getValue() + "' is not a label value");
                }
            }
        }
        if (matchExpressions != null) {
            for (int i = 0; i < matchExpressions.size(); i++) {
                SelectorRequirement requirement = matchExpressions.get(i);
                String problem = requirement == null ? "is empty" : requirement.problem();
                if (problem != null) {
                    return Optional.of(path + ".matchExpressions[" + i + "]: " + problem);
                }
            }
        }
        return Optional.empty();
    }

    /** Whether a namespace with these labels is selected; call only on a selector {@link #problem(String)} accepts. */
    public boolean matches(Map<String, String> labels) {
        Map<String, String> given = labels == null ? Map.of() : labels;
        if (matchLabels != null) {
            for (Map.Entry<String, String> label : matchLabels.entrySet()) {
                if (!label.getValue().equals(given.get(label.getKey()))) {
                    return false;
                }
            }
        }
        if (matchExpressions != null) {
            for (SelectorRequirement requirement : matchExpressions) {
                if (!requirement.matches(given)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** As kubectl prints a selector ({@code team=web,env in (prod,stage)}); {@code <every namespace>} when empty. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (matchLabels != null) {
            new TreeMap<>(matchLabels).forEach((key, value) -> parts.add(key + "=" + value));
        }
        if (matchExpressions != null) {
            matchExpressions.forEach(r -> parts.add(r.describe()));
        }
        return parts.isEmpty() ? "<every namespace>" : String.join(",", parts);
    }
}

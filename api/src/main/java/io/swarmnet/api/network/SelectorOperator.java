package io.swarmnet.api.network;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The operator of a label selector requirement, spelled as Kubernetes spells it. */
public enum SelectorOperator {
    @JsonProperty("In") IN,
    @JsonProperty("NotIn") NOT_IN,
    @JsonProperty("Exists") EXISTS,
    @JsonProperty("DoesNotExist") DOES_NOT_EXIST;

    /** True for the operators that compare with values ({@code In}, {@code NotIn}). */
    public boolean takesValues() {
        return this == IN || this == NOT_IN;
    }

    /** As a selector is written: {@code In}, {@code NotIn}, {@code Exists}, {@code DoesNotExist}. */
    public String spelling() {
        return switch (this) {
            case IN -> "In";
            case NOT_IN -> "NotIn";
            case EXISTS -> "Exists";
            case DOES_NOT_EXIST -> "DoesNotExist";
        };
    }
}

package io.swarmnet.sandboxapi.schema;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One reason an object was refused, shaped like Kubernetes' {@code field.Error}: the path as the
 * API server prints it ({@code spec.networks[0].name}), one of its {@code field.ErrorType} strings,
 * the offending value (null when the value is not printed, e.g. "Required value") and a detail.
 *
 * @param field  path of the field, e.g. {@code spec.replicas}; {@code <nil>} for the object itself
 * @param type   Kubernetes error type, e.g. {@code "Invalid value"}; see the constants below
 * @param value  the bad value as plain Java data (String, Long, Double, Boolean, List, Map) or null
 * @param detail what is wrong and, where possible, what is allowed
 */
public record FieldError(String field, String type, Object value, String detail) {

    /** The root of the object has no path; Kubernetes prints its nil field.Path as "<nil>". */
    public FieldError {
        if (field == null || field.isEmpty()) {
            field = "<nil>";
        }
    }

    public static final String INVALID = "Invalid value";
    public static final String REQUIRED = "Required value";
    public static final String UNSUPPORTED = "Unsupported value";
    public static final String FORBIDDEN = "Forbidden";
    public static final String TOO_MANY = "Too many";
    public static final String TOO_LONG = "Too long";
    public static final String DUPLICATE = "Duplicate value";
    public static final String NOT_DECLARED = "field not declared in schema";

    /**
     * The cause line kubectl prints for this error, as Go's {@code field.Error.Error()} renders it:
     * {@code spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0}.
     * Required, Forbidden and Too long never print the value, as in Kubernetes. An unknown field
     * ({@link #NOT_DECLARED}) reads {@code unknown field "spec.foo"}, as the API server's strict
     * field validation reports it.
     */
    public String message() {
        if (NOT_DECLARED.equals(type)) {
            // What kubectl shows for a create/update under strict field validation (its default).
            return "unknown field " + quote(field);
        }
        StringBuilder out = new StringBuilder();
        out.append(field).append(": ").append(type);
        if (printsValue()) {
            out.append(": ").append(render(value));
        }
        if (detail != null && !detail.isEmpty()) {
            out.append(": ").append(detail);
        }
        return out.toString();
    }

    private boolean printsValue() {
        return switch (type) {
            case REQUIRED, FORBIDDEN, TOO_LONG, NOT_DECLARED -> false;
            default -> true;
        };
    }

    /** Go's %v for numbers and booleans, %q for strings, a Go-like literal for the rest. */
    static String render(Object value) {
        if (value == null) {
            return "\"null\""; // Go turns a nil bad value into the string "null" before quoting it
        }
        if (value instanceof String s) {
            return quote(s);
        }
        if (value instanceof Double d) {
            return goFloat(d);
        }
        if (value instanceof Float f) {
            return goFloat(f.doubleValue());
        }
        if (value instanceof BigDecimal d) {
            return d.stripTrailingZeros().toPlainString();
        }
        if (value instanceof Number || value instanceof Boolean || value instanceof BigInteger) {
            return value.toString();
        }
        if (value instanceof Collection<?> c) {
            return c.stream().map(FieldError::render).collect(Collectors.joining(", ", "[]interface {}{", "}"));
        }
        if (value instanceof Map<?, ?> m) {
            return m.entrySet().stream()
                    .map(e -> quote(String.valueOf(e.getKey())) + ":" + render(e.getValue()))
                    .collect(Collectors.joining(", ", "map[string]interface {}{", "}"));
        }
        return value.toString();
    }

    private static String goFloat(double d) {
        if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e21) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}

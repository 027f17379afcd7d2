package io.swarmnet.sandboxapi.schema;

import com.google.re2j.Pattern;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The named string formats of Kubernetes' CEL format library, with apimachinery's own checks and
 * messages (k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label and friends), so
 * {@code format.dns1123Label().validate(self)} reports what the API server reports.
 * Each check returns the list of problems; empty when the value is fine.
 */
final class NameFormats {

    private static final String LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private static final String SUBDOMAIN_FMT = LABEL_FMT + "(\\." + LABEL_FMT + ")*";
    private static final String DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private static final String QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private static final String LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?";
    private static final String LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric"
            + " characters or '-', and must start and end with an alphanumeric character";
    private static final String SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric"
            + " characters, '-' or '.', and must start and end with an alphanumeric character";
    private static final String DNS1035_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or"
            + " '-', start with an alphabetic character, and end with an alphanumeric character";
    private static final String QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must"
            + " start and end with an alphanumeric character";
    private static final String LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric"
            + " characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private static final Pattern UUID = Pattern.compile(
            "(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$");

    /** The format library's names, as used in {@code format.<name>()} and {@code format.named('<name>')}. */
    static final Map<String, Function<String, List<String>>> BY_NAME = Map.ofEntries(
            Map.entry("dns1123Label", s -> dns1123Label(s)),
            Map.entry("dns1123Subdomain", s -> dns1123Subdomain(s)),
            Map.entry("dns1035Label", s -> dns1035Label(s)),
            Map.entry("qualifiedName", s -> qualifiedName(s)),
            Map.entry("dns1123LabelPrefix", s -> dns1123Label(maskTrailingDash(s))),
            Map.entry("dns1123SubdomainPrefix", s -> dns1123Subdomain(maskTrailingDash(s))),
            Map.entry("dns1035LabelPrefix", s -> dns1035Label(maskTrailingDash(s))),
            Map.entry("labelValue", s -> labelValue(s)),
            Map.entry("uri", s -> uri(s)),
            Map.entry("uuid", s -> UUID.matcher(s).find() ? List.of() : List.of("does not match the UUID format")),
            Map.entry("byte", s -> base64(s) ? List.of() : List.of("invalid base64")),
            Map.entry("date", s -> date(s) ? List.of() : List.of("invalid date")),
            Map.entry("datetime", s -> dateTime(s) ? List.of() : List.of("invalid datetime")));

    private NameFormats() {
    }

    static List<String> dns1123Label(String value) {
        List<String> errors = new ArrayList<>();
        if (value.length() > 63) {
            errors.add(maxLength(63));
        }
        if (!full(LABEL_FMT, value)) {
            errors.add(full(SUBDOMAIN_FMT, value) ? "must not contain dots" : regexError(LABEL_MSG, LABEL_FMT, "my-name", "123-abc"));
        }
        return errors;
    }

    static List<String> dns1123Subdomain(String value) {
        List<String> errors = new ArrayList<>();
        if (value.length() > 253) {
            errors.add(maxLength(253));
        }
        if (!full(SUBDOMAIN_FMT, value)) {
            errors.add(regexError(SUBDOMAIN_MSG, SUBDOMAIN_FMT, "example.com"));
        }
        return errors;
    }

    static List<String> dns1035Label(String value) {
        List<String> errors = new ArrayList<>();
        if (value.length() > 63) {
            errors.add(maxLength(63));
        }
        if (!full(DNS1035_FMT, value)) {
            errors.add(regexError(DNS1035_MSG, DNS1035_FMT, "my-name", "abc-123"));
        }
        return errors;
    }

    static List<String> labelValue(String value) {
        List<String> errors = new ArrayList<>();
        if (value.length() > 63) {
            errors.add(maxLength(63));
        }
        if (!full(LABEL_VALUE_FMT, value)) {
            errors.add(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
        }
        return errors;
    }

    static List<String> qualifiedName(String value) {
        List<String> errors = new ArrayList<>();
        String[] parts = value.split("/", -1);
        String name;
        if (parts.length == 1) {
            name = parts[0];
        } else if (parts.length == 2) {
            String prefix = parts[0];
            name = parts[1];
            if (prefix.isEmpty()) {
                errors.add("prefix part must be non-empty");
            } else {
                dns1123Subdomain(prefix).forEach(e -> errors.add("prefix part " + e));
            }
        } else {
            errors.add("a qualified name " + regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
            return errors;
        }
        if (name.isEmpty()) {
            errors.add("name part must be non-empty");
        } else if (name.length() > 63) {
            errors.add("name part " + maxLength(63));
        }
        if (!full(QUALIFIED_NAME_FMT, name)) {
            errors.add("name part " + regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"));
        }
        return errors;
    }

    /** The "Prefix" formats accept a trailing dash (generateName): it is masked before checking. */
    private static String maskTrailingDash(String name) {
        if (name.length() > 1 && name.endsWith("-")) {
            return name.substring(0, name.length() - 2) + "a";
        }
        return name;
    }

    /** Go's url.ParseRequestURI in short: an absolute URI, or an absolute path. */
    private static List<String> uri(String value) {
        try {
            java.net.URI uri = new java.net.URI(value);
            if (uri.isAbsolute() || value.startsWith("/")) {
                return List.of();
            }
        } catch (java.net.URISyntaxException e) {
            return List.of("parse " + FieldError.quote(value) + ": " + e.getReason());
        }
        return List.of("parse " + FieldError.quote(value) + ": invalid URI for request");
    }

    private static boolean base64(String value) {
        try {
            Base64.getDecoder().decode(value);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean date(String value) {
        try {
            LocalDate.parse(value);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static boolean dateTime(String value) {
        try {
            OffsetDateTime.parse(value);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static boolean full(String regex, String value) {
        return Pattern.compile("^" + regex + "$").matcher(value).find();
    }

    private static String maxLength(int length) {
        return "must be no more than " + length + " characters";
    }

    /** apimachinery's RegexError, double space before "or" included. */
    private static String regexError(String message, String regex, String... examples) {
        StringBuilder out = new StringBuilder(message).append(" (e.g. ");
        for (int i = 0; i < examples.length; i++) {
            if (i > 0) {
                out.append(" or ");
            }
            out.append('\'').append(examples[i]).append("', ");
        }
        return out.append("regex used for validation is '").append(regex).append("')").toString();
    }
}

package io.swarmnet.sandboxapi.store;

import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.resource.ResourceType;
import java.util.regex.Pattern;

/**
 * The API server's rules for object names: namespaces are RFC 1123 labels, services RFC 1035
 * labels, everything else RFC 1123 subdomains. A bad name is refused with the message kubectl users
 * know.
 */
final class ObjectNames {

    private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_1123 = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern LABEL_1035 = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");

    private ObjectNames() {
    }

    static void check(ResourceType type, String name) {
        String problem = null;
        if (!type.custom() && type.kind().equals("Namespace")) {
            if (name.length() > 63 || !LABEL_1123.matcher(name).matches()) {
                problem = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end"
                        + " with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
                        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
            }
        } else if (!type.custom() && type.kind().equals("Service")) {
            if (name.length() > 63 || !LABEL_1035.matcher(name).matches()) {
                problem = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic"
                        + " character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
                        + "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
            }
        } else if (name.length() > 253 || !SUBDOMAIN.matcher(name).matches()) {
            problem = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start"
                    + " and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
                    + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
        }
        if (problem != null) {
            var details = Json.object();
            details.put("name", name);
            details.put("group", type.group());
            details.put("kind", type.kind());
            var cause = details.putArray("causes").addObject();
            cause.put("reason", "FieldValueInvalid");
            cause.put("message", "Invalid value: \"" + name + "\": " + problem);
            cause.put("field", "metadata.name");
            String qualifiedKind = type.kind() + (type.group().isEmpty() ? "" : "." + type.group());
            throw new ApiError(422, "Invalid", qualifiedKind + " \"" + name + "\" is invalid: metadata.name: Invalid value: \""
                    + name + "\": " + problem, details);
        }
    }
}

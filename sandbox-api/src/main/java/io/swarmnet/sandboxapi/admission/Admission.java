package io.swarmnet.sandboxapi.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.resource.ResourceType;
import io.swarmnet.sandboxapi.schema.CrdValidator;
import io.swarmnet.sandboxapi.schema.FieldError;
import io.swarmnet.sandboxapi.store.AdmissionControl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What the API server does to an object between decoding and storing it: CRDs are accepted
 * (status Established, names accepted — nothing else here establishes them) and custom resources
 * get their schema's defaults, then are validated against the schema and CEL rules of their CRD
 * through {@link CrdValidator}. A refusal is HTTP 422 with the Status a real API server sends,
 * so kubectl prints {@code The OverlayNetwork "bad" is invalid: spec.subnet: Invalid value: ...}.
 *
 * <p>Fields the schema does not declare are dropped (the server's default, "Warn") or, when the
 * request asks for {@code fieldValidation=Strict} as kubectl does, refused with 400.
 */
public final class Admission implements AdmissionControl {

    /** The fieldValidation of the request being served; set around each write by the HTTP layer. */
    private static final ThreadLocal<String> FIELD_VALIDATION = new ThreadLocal<>();

    /**
     * Validators by CRD spec, shared by every server in the JVM: test suites start many servers with
     * the same CRDs, and compiling their CEL rules is most of a server's start time. A validator is
     * immutable and thread-safe once built.
     */
    private static final Map<String, CrdValidator> BY_SPEC = new ConcurrentHashMap<>();

    private final boolean validate;
    private final Map<String, CrdValidator> validators = new ConcurrentHashMap<>();

    public Admission(boolean validate) {
        this.validate = validate;
    }

    /** Runs {@code write} with the request's fieldValidation (Strict, Warn, Ignore, or null for the default Warn). */
    public static <T> T withFieldValidation(String fieldValidation, Supplier<T> write) {
        String previous = FIELD_VALIDATION.get();
        FIELD_VALIDATION.set(fieldValidation);
        try {
            return write.get();
        } finally {
            FIELD_VALIDATION.set(previous);
        }
    }

    @Override
    public void admit(ResourceType type, ObjectNode object, ObjectNode old) {
        if (!type.custom() && type.kind().equals("CustomResourceDefinition")) {
            acceptCrd(object);
            return;
        }
        if (!type.custom() || !validate) {
            return;
        }
        CrdValidator validator = validator(type);
        List<FieldError> errors = validator.admit(object, old);
        List<FieldError> unknown = new ArrayList<>();
        List<FieldError> invalid = new ArrayList<>();
        for (FieldError error : errors) {
            (FieldError.NOT_DECLARED.equals(error.type()) ? unknown : invalid).add(error);
        }
        if (!unknown.isEmpty()) {
            if ("Strict".equals(FIELD_VALIDATION.get())) {
                List<String> messages = new ArrayList<>();
                unknown.forEach(error -> messages.add(error.message()));
                throw ApiError.badRequest(type.kind() + " in version \"" + type.version() + "\" cannot be handled as a "
                        + type.kind() + ": strict decoding error: " + String.join(", ", messages));
            }
            unknown.forEach(error -> UnknownFields.prune(object, error.field()));
        }
        if (!invalid.isEmpty()) {
            throw invalid(type, Json.name(object), invalid);
        }
    }

    private CrdValidator validator(ResourceType type) {
        JsonNode crd = type.crd();
        return validators.computeIfAbsent(cacheKey(crd), ignored -> CrdValidator.forCrd(crd));
    }

    /** A CRD's validator is built once per stored revision of the CRD: compiling CEL rules is the slow part. */
    private static String cacheKey(JsonNode crd) {
        return crd.path("metadata").path("uid").asText() + "@" + crd.path("metadata").path("resourceVersion").asText();
    }

    static ApiError invalid(ResourceType type, String name, List<FieldError> errors) {
        String qualifiedKind = type.kind() + (type.group().isEmpty() ? "" : "." + type.group());
        ObjectNode details = Json.object();
        details.put("name", name);
        details.put("group", type.group());
        details.put("kind", type.kind());
        ArrayNode causes = details.putArray("causes");
        List<String> messages = new ArrayList<>();
        for (FieldError error : errors) {
            String message = error.message();
            messages.add(message);
            ObjectNode cause = causes.addObject();
            cause.put("reason", causeReason(error.type()));
            String prefix = error.field() == null || error.field().isEmpty() ? "" : error.field() + ": ";
            cause.put("message", message.startsWith(prefix) ? message.substring(prefix.length()) : message);
            cause.put("field", error.field() == null ? "" : error.field());
        }
        String summary = messages.size() == 1 ? messages.get(0) : "[" + String.join(", ", messages) + "]";
        return new ApiError(422, "Invalid", qualifiedKind + " \"" + name + "\" is invalid: " + summary, details);
    }

    private static String causeReason(String type) {
        return switch (type) {
            case FieldError.REQUIRED -> "FieldValueRequired";
            case FieldError.UNSUPPORTED -> "FieldValueNotSupported";
            case FieldError.FORBIDDEN -> "FieldValueForbidden";
            case FieldError.TOO_MANY -> "FieldValueTooMany";
            case FieldError.TOO_LONG -> "FieldValueTooLong";
            case FieldError.DUPLICATE -> "FieldValueDuplicate";
            default -> "FieldValueInvalid";
        };
    }

    private void acceptCrd(ObjectNode crd) {
        if (validate) {
            try {
                validators.put(cacheKey(crd), BY_SPEC.computeIfAbsent(Json.text(crd.path("spec")), spec -> CrdValidator.forCrd(crd)));
            } catch (IllegalArgumentException e) {
                ObjectNode details = Json.object();
                details.put("name", Json.name(crd));
                details.put("group", "apiextensions.k8s.io");
                details.put("kind", "CustomResourceDefinition");
                throw new ApiError(422, "Invalid", "CustomResourceDefinition.apiextensions.k8s.io \"" + Json.name(crd)
                        + "\" is invalid: " + e.getMessage(), details);
            }
        }
        JsonNode names = crd.path("spec").path("names");
        ObjectNode status = crd.putObject("status");
        status.set("acceptedNames", names.deepCopy());
        ArrayNode conditions = status.putArray("conditions");
        String now = crd.path("metadata").path("creationTimestamp").asText("");
        for (String[] condition : new String[][]{{"NamesAccepted", "NoConflicts", "no conflicts found"},
                {"Established", "InitialNamesAccepted", "the initial names have been accepted"}}) {
            ObjectNode entry = conditions.addObject();
            entry.put("type", condition[0]);
            entry.put("status", "True");
            entry.put("lastTransitionTime", now);
            entry.put("reason", condition[1]);
            entry.put("message", condition[2]);
        }
        ArrayNode stored = status.putArray("storedVersions");
        crd.path("spec").path("versions").forEach(version -> {
            if (version.path("storage").asBoolean(false)) {
                stored.add(version.path("name").asText());
            }
        });
    }
}

package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.KubernetesVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * Admits custom resources the way the Kubernetes API server does for a CRD: applies the storage
 * version's structural-schema defaults, then checks the OpenAPI v3 schema and the CEL
 * {@code x-kubernetes-validations} rules (transition rules with {@code oldSelf} on update only).
 * Thread-safe once built; build one per CRD and reuse it (CEL programs are compiled up front).
 */
public final class CrdValidator {

    private final String kind;
    private final SchemaNode schema;
    private final CelValidation rules;

    private CrdValidator(String kind, SchemaNode schema, CelValidation rules) {
        this.kind = kind;
        this.schema = schema;
        this.rules = rules;
    }

    /**
     * The validator an API server of {@link KubernetesVersion#OLDEST_SUPPORTED} builds: a CRD that
     * loads here registers on every release swarmnet supports.
     *
     * @param crd the whole CustomResourceDefinition (apiextensions.k8s.io/v1)
     * @throws IllegalArgumentException when the CRD has no storage version with a schema, or a CEL
     *                                  rule does not compile (the API server would refuse the CRD)
     */
    public static CrdValidator forCrd(JsonNode crd) {
        return forCrd(crd, KubernetesVersion.OLDEST_SUPPORTED);
    }

    /**
     * As an API server of release {@code server} does: a CEL rule calling a library that release
     * does not accept in new rules yet (the format library before 1.32, semver before 1.34) is
     * refused, naming the rule, the CRD and the release that would accept it.
     */
    public static CrdValidator forCrd(JsonNode crd, KubernetesVersion server) {
        JsonNode spec = crd.path("spec");
        String kind = spec.path("names").path("kind").asText("?");
        JsonNode storage = null;
        int storageIndex = -1;
        for (int i = 0; i < spec.path("versions").size(); i++) {
            if (spec.path("versions").get(i).path("storage").asBoolean(false)) {
                storage = spec.path("versions").get(i);
                storageIndex = i;
            }
        }
        if (storage == null) {
            throw new IllegalArgumentException("CRD " + crd.path("metadata").path("name").asText("?")
                    + " has no version with storage: true; mark exactly one version as the storage version");
        }
        JsonNode openApi = storage.path("schema").path("openAPIV3Schema");
        if (!openApi.isObject()) {
            throw new IllegalArgumentException("CRD " + crd.path("metadata").path("name").asText("?")
                    + " version " + storage.path("name").asText() + " has no schema.openAPIV3Schema");
        }
        // Problems are named by their path in the CRD, as the API server names them when refusing a CRD.
        String where = "spec.versions[" + storageIndex + "].schema.openAPIV3Schema";
        SchemaNode schema = SchemaNode.parse(openApi, where);
        String name = crd.path("metadata").path("name").asText("?");
        return new CrdValidator(kind, schema, CelValidation.compile(schema, where, server, name));
    }

    /**
     * Removes the fields the schema does not declare and returns their paths, for requests with
     * {@code fieldValidation=Ignore} or {@code Warn} (where each path becomes the warning
     * {@code unknown field "<path>"}). Call it before {@link #admit}; with {@code Strict}, kubectl's
     * default, do not: {@link #admit} then reports each unknown field as an error instead.
     */
    public List<String> pruneUnknownFields(ObjectNode object) {
        return UnknownFields.find(schema, object, true);
    }

    /** The kind this validator admits, e.g. {@code OverlayNetwork}. */
    public String kind() {
        return kind;
    }

    /**
     * Applies the schema's defaults to {@code object} in place, then validates it (OpenAPI part +
     * CEL x-kubernetes-validations, with oldSelf transition rules when oldObject != null).
     * Returns the errors; empty when valid.
     *
     * <p>On update, validation ratchets as on Kubernetes 1.30+ (CRDValidationRatcheting): a value
     * equal to its stored counterpart is not refused again, so objects stored under an older, looser
     * CRD stay updatable; transition rules (oldSelf) always run.
     *
     * <p>Fields the schema does not declare come first in the result, as {@link FieldError#NOT_DECLARED}
     * errors ({@code unknown field "spec.foo"}); they stay in {@code object} and are otherwise ignored.
     * Under {@code fieldValidation=Strict} (kubectl's default) the API server fails the request with
     * just those (400, "strict decoding error"); under Warn/Ignore it drops them and goes by the
     * remaining errors. When an OpenAPI error of a blocking kind (wrong
     * type, unsupported enum value, required, too long, too many) is found, CEL rules are not run
     * and the server's "some validation rules were not checked" error is appended.
     */
    public List<FieldError> admit(ObjectNode object, ObjectNode oldObject) {
        List<FieldError> errors = new ArrayList<>();
        for (String required : List.of("apiVersion", "kind", "metadata")) {
            if (!object.hasNonNull(required)) {
                errors.add(new FieldError(required, FieldError.REQUIRED, null, ""));
            }
        }
        // Undeclared fields are reported, then ignored: defaulting and validation only see the schema's fields.
        UnknownFields.find(schema, object, false)
                .forEach(path -> errors.add(new FieldError(path, FieldError.NOT_DECLARED, null, "")));
        Defaulting.apply(schema, object);
        ObjectNode old = null;
        if (oldObject != null) {
            // The server defaults the stored object when reading it, so old and new compare like with like.
            old = oldObject.deepCopy();
            UnknownFields.find(schema, old, true);
            Defaulting.apply(schema, old);
        }
        OpenApiValidation.Result openApi = OpenApiValidation.validate(schema, object, old);
        errors.addAll(openApi.errors());
        if (openApi.blocksCel()) {
            errors.add(new FieldError("<nil>", FieldError.INVALID, null, "some validation rules were not checked"
                    + " because the object was invalid; correct the existing errors to complete validation"));
        } else {
            errors.addAll(rules.evaluate(object, old));
        }
        return errors;
    }
}

package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.KubernetesVersion;
import io.swarmnet.sandboxapi.resource.ResourceCatalog;
import io.swarmnet.sandboxapi.resource.ResourceType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * {@code /openapi/v3}: the root listing one document per group/version, and per-group documents
 * holding the custom kinds' schemas (from their CRDs) — what {@code kubectl explain} reads and what
 * {@code kubectl apply} looks for before it patches. Built-in kinds get documents without schemas,
 * so kubectl falls back to its compiled-in knowledge of them.
 */
public final class OpenApiDocuments {

    private static final String OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
    private static final String LIST_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

    private final ResourceCatalog catalog;

    public OpenApiDocuments(ResourceCatalog catalog) {
        this.catalog = catalog;
    }

    public Optional<ApiResponse> answer(String path) {
        String trimmed = path.replaceAll("/+$", "");
        if (trimmed.equals("/openapi/v3")) {
            ObjectNode root = Json.object();
            ObjectNode paths = root.putObject("paths");
            for (String groupVersion : groupVersions()) {
                String documentPath = documentPath(groupVersion);
                paths.putObject(documentPath).put("serverRelativeURL",
                        "/openapi/v3/" + documentPath + "?hash=" + hash(document(groupVersion)));
            }
            return Optional.of(ApiResponse.ok(root));
        }
        if (trimmed.startsWith("/openapi/v3/")) {
            String documentPath = trimmed.substring("/openapi/v3/".length());
            for (String groupVersion : groupVersions()) {
                if (documentPath(groupVersion).equals(documentPath)) {
                    return Optional.of(ApiResponse.ok(document(groupVersion)));
                }
            }
        }
        return Optional.empty();
    }

    private Set<String> groupVersions() {
        Set<String> groupVersions = new LinkedHashSet<>();
        catalog.all().forEach(type -> groupVersions.add(type.apiVersion()));
        return groupVersions;
    }

    private static String documentPath(String groupVersion) {
        return groupVersion.contains("/") ? "apis/" + groupVersion : "api/" + groupVersion;
    }

    private ObjectNode document(String groupVersion) {
        ObjectNode document = Json.object();
        document.put("openapi", "3.0.0");
        ObjectNode info = document.putObject("info");
        info.put("title", "Kubernetes (swarmnet sandbox)");
        info.put("version", "v" + KubernetesVersion.OLDEST_SUPPORTED + ".0");
        ObjectNode paths = document.putObject("paths");
        ObjectNode schemas = document.putObject("components").putObject("schemas");
        boolean any = false;
        for (ResourceType type : catalog.all()) {
            if (type.apiVersion().equals(groupVersion)) {
                paths.set(itemPath(type), itemOperations(type));
            }
            if (type.apiVersion().equals(groupVersion) && type.openApiSchema() != null) {
                schemas.set(schemaName(type), kindSchema(type));
                schemas.set(schemaName(type) + "List", listSchema(type));
                any = true;
            }
        }
        if (any) {
            schemas.set(OBJECT_META, objectMeta());
            ObjectNode listMeta = schemas.putObject(LIST_META);
            listMeta.put("description", "ListMeta describes metadata that synthetic resources must have, including lists.");
            listMeta.put("type", "object");
        }
        return document;
    }

    private static String itemPath(ResourceType type) {
        String prefix = type.group().isEmpty() ? "/api/" + type.version() : "/apis/" + type.group() + "/" + type.version();
        return prefix + (type.namespaced() ? "/namespaces/{namespace}/" : "/") + type.plural() + "/{name}";
    }

    /**
     * The write operations of one object, each declaring the fieldValidation parameter: kubectl
     * looks for it on the kind's PATCH before it sends {@code fieldValidation=Strict}, and falls
     * back to downloading the OpenAPI v2 document (which this server does not have) otherwise.
     */
    private static ObjectNode itemOperations(ResourceType type) {
        ObjectNode operations = Json.object();
        for (String verb : new String[]{"put", "patch"}) {
            ObjectNode operation = operations.putObject(verb);
            operation.put("operationId", verb + type.kind());
            ObjectNode parameter = operation.putArray("parameters").addObject();
            parameter.put("name", "fieldValidation");
            parameter.put("in", "query");
            parameter.put("description", "Strict, Warn or Ignore: what to do with fields the schema does not declare.");
            parameter.putObject("schema").put("type", "string");
            operation.putObject("responses").putObject("200").put("description", "OK");
            operation.put("x-kubernetes-action", verb.equals("put") ? "put" : "patch");
            ObjectNode gvk = operation.putObject("x-kubernetes-group-version-kind");
            gvk.put("group", type.group());
            gvk.put("version", type.version());
            gvk.put("kind", type.kind());
        }
        return operations;
    }

    /** As the API server names CRD schemas: the group reversed, then version and kind. */
    private static String schemaName(ResourceType type) {
        String[] parts = type.group().split("\\.");
        StringBuilder name = new StringBuilder();
        for (int i = parts.length - 1; i >= 0; i--) {
            name.append(parts[i]).append('.');
        }
        return name + type.version() + "." + type.kind();
    }

    private static ObjectNode kindSchema(ResourceType type) {
        ObjectNode schema = type.openApiSchema().deepCopy();
        schema.put("type", "object");
        ObjectNode properties = schema.has("properties") ? (ObjectNode) schema.get("properties") : schema.putObject("properties");
        ObjectNode apiVersion = Json.object();
        apiVersion.put("description", "APIVersion defines the versioned schema of this representation of an object.");
        apiVersion.put("type", "string");
        ObjectNode kind = Json.object();
        kind.put("description", "Kind is a string value representing the REST resource this object represents.");
        kind.put("type", "string");
        ObjectNode metadata = Json.object();
        metadata.putArray("allOf").addObject().put("$ref", "#/components/schemas/" + OBJECT_META);
        metadata.put("description", "Standard object's metadata.");
        ObjectNode ordered = Json.object();
        ordered.set("apiVersion", apiVersion);
        ordered.set("kind", kind);
        ordered.set("metadata", metadata);
        properties.fields().forEachRemaining(field -> {
            if (!field.getKey().equals("apiVersion") && !field.getKey().equals("kind") && !field.getKey().equals("metadata")) {
                ordered.set(field.getKey(), field.getValue());
            }
        });
        schema.set("properties", ordered);
        gvk(schema, type, type.kind());
        return schema;
    }

    private static ObjectNode listSchema(ResourceType type) {
        ObjectNode schema = Json.object();
        schema.put("description", type.kind() + "List is a list of " + type.kind());
        schema.put("type", "object");
        schema.putArray("required").add("items");
        ObjectNode properties = schema.putObject("properties");
        properties.putObject("apiVersion").put("type", "string");
        ObjectNode items = properties.putObject("items");
        items.put("type", "array");
        items.putObject("items").put("$ref", "#/components/schemas/" + schemaName(type));
        properties.putObject("kind").put("type", "string");
        properties.putObject("metadata").putArray("allOf").addObject().put("$ref", "#/components/schemas/" + LIST_META);
        gvk(schema, type, type.kind() + "List");
        return schema;
    }

    private static void gvk(ObjectNode schema, ResourceType type, String kind) {
        ArrayNode gvk = schema.putArray("x-kubernetes-group-version-kind");
        ObjectNode entry = gvk.addObject();
        entry.put("group", type.group());
        entry.put("kind", kind);
        entry.put("version", type.version());
    }

    private static ObjectNode objectMeta() {
        ObjectNode meta = Json.object();
        meta.put("description", "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.");
        meta.put("type", "object");
        ObjectNode properties = meta.putObject("properties");
        string(properties, "name", "Name must be unique within a namespace.");
        string(properties, "namespace", "Namespace defines the space within which each name must be unique.");
        string(properties, "generateName", "GenerateName is an optional prefix, used by the server, to generate a unique name.");
        string(properties, "uid", "UID is the unique in time and space value for this object.");
        string(properties, "resourceVersion", "An opaque value that represents the internal version of this object.");
        string(properties, "creationTimestamp", "When this object was created.");
        string(properties, "deletionTimestamp", "When this object will be deleted; set by the server when a graceful deletion is requested.");
        ObjectNode generation = properties.putObject("generation");
        generation.put("description", "A sequence number representing a specific generation of the desired state.");
        generation.put("type", "integer");
        generation.put("format", "int64");
        for (String map : new String[]{"labels", "annotations"}) {
            ObjectNode field = properties.putObject(map);
            field.put("description", map.equals("labels")
                    ? "Map of string keys and values that can be used to organize and categorize objects."
                    : "Unstructured key value map stored with a resource that may be set by external tools.");
            field.put("type", "object");
            field.putObject("additionalProperties").put("type", "string");
        }
        ObjectNode finalizers = properties.putObject("finalizers");
        finalizers.put("description", "Must be empty before the object is deleted from the registry.");
        finalizers.put("type", "array");
        finalizers.putObject("items").put("type", "string");
        ObjectNode owners = properties.putObject("ownerReferences");
        owners.put("description", "List of objects depended by this object.");
        owners.put("type", "array");
        owners.putObject("items").put("type", "object");
        return meta;
    }

    private static void string(ObjectNode properties, String name, String description) {
        ObjectNode field = properties.putObject(name);
        field.put("description", description);
        field.put("type", "string");
    }

    private static String hash(JsonNode document) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Json.text(document).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16).toUpperCase(java.util.Locale.ROOT);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

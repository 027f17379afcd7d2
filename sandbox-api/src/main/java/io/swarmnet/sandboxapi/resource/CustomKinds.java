package io.swarmnet.sandboxapi.resource;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Reads the kinds a CustomResourceDefinition declares, one per served version. */
final class CustomKinds {

    private CustomKinds() {
    }

    static List<ResourceType> fromCrd(JsonNode crd) {
        JsonNode spec = crd.path("spec");
        JsonNode names = spec.path("names");
        List<ResourceType> types = new ArrayList<>();
        for (JsonNode version : spec.path("versions")) {
            if (!version.path("served").asBoolean(true)) {
                continue;
            }
            JsonNode subresources = version.has("subresources") ? version.path("subresources") : spec.path("subresources");
            JsonNode scale = subresources.path("scale");
            ResourceType.ScalePaths scalePaths = scale.isObject()
                    ? new ResourceType.ScalePaths(scale.path("specReplicasPath").asText(".spec.replicas"),
                    scale.path("statusReplicasPath").asText(".status.replicas"),
                    scale.path("labelSelectorPath").asText(""))
                    : null;
            List<ResourceType.PrinterColumn> columns = new ArrayList<>();
            JsonNode columnNodes = version.has("additionalPrinterColumns")
                    ? version.path("additionalPrinterColumns") : spec.path("additionalPrinterColumns");
            for (JsonNode column : columnNodes) {
                columns.add(new ResourceType.PrinterColumn(column.path("name").asText(), column.path("type").asText("string"),
                        column.path("format").asText(""), column.path("description").asText(""),
                        column.path("jsonPath").asText(column.path("JSONPath").asText("")), column.path("priority").asInt(0)));
            }
            JsonNode schema = version.path("schema").path("openAPIV3Schema");
            types.add(new ResourceType(
                    spec.path("group").asText(),
                    version.path("name").asText(),
                    names.path("plural").asText(),
                    names.path("singular").asText(names.path("kind").asText().toLowerCase(java.util.Locale.ROOT)),
                    names.path("kind").asText(),
                    !"Cluster".equals(spec.path("scope").asText("Namespaced")),
                    strings(names.path("shortNames")),
                    strings(names.path("categories")),
                    subresources.path("status").isObject(),
                    scalePaths,
                    List.copyOf(columns),
                    schema.isObject() ? schema : null,
                    crd));
        }
        return types;
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return List.copyOf(values);
    }
}

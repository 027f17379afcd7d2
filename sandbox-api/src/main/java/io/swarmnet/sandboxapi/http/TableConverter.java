package io.swarmnet.sandboxapi.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.resource.ResourceType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code meta.k8s.io/v1 Table} responses, what {@code kubectl get} prints: a CRD's
 * additionalPrinterColumns evaluated with JSONPath, and the usual columns of pods, namespaces and
 * events; NAME and AGE for the other built-in kinds.
 */
public final class TableConverter {

    private record Column(String name, String type, String format, String description, int priority) {
    }

    private final Clock clock;

    public TableConverter(Clock clock) {
        this.clock = clock;
    }

    /**
     * @param resourceVersion the list's resourceVersion, null for a single object
     * @param includeObject   None, Object, or anything else for PartialObjectMetadata (the default)
     */
    public ObjectNode table(ResourceType type, List<ObjectNode> objects, String resourceVersion, String includeObject) {
        ObjectNode table = Json.object();
        table.put("kind", "Table");
        table.put("apiVersion", "meta.k8s.io/v1");
        ObjectNode metadata = table.putObject("metadata");
        if (resourceVersion != null) {
            metadata.put("resourceVersion", resourceVersion);
        }
        ArrayNode definitions = table.putArray("columnDefinitions");
        for (Column column : columns(type)) {
            ObjectNode definition = definitions.addObject();
            definition.put("name", column.name());
            definition.put("type", column.type());
            definition.put("format", column.format());
            definition.put("description", column.description());
            definition.put("priority", column.priority());
        }
        ArrayNode rows = table.putArray("rows");
        for (ObjectNode object : objects) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            cells(type, object).forEach(cells::add);
            if (includeObject.equals("Object")) {
                row.set("object", object);
            } else if (!includeObject.equals("None")) {
                ObjectNode partial = row.putObject("object");
                partial.put("kind", "PartialObjectMetadata");
                partial.put("apiVersion", "meta.k8s.io/v1");
                partial.set("metadata", object.path("metadata"));
            }
        }
        return table;
    }

    private List<Column> columns(ResourceType type) {
        List<Column> columns = new ArrayList<>();
        columns.add(new Column("Name", "string", "name", "Name must be unique within a namespace.", 0));
        if (type.custom()) {
            if (type.printerColumns().isEmpty()) {
                columns.add(new Column("Age", "date", "", "When the object was created.", 0));
            }
            for (ResourceType.PrinterColumn column : type.printerColumns()) {
                columns.add(new Column(column.name(), column.type(), column.format(), column.description(), column.priority()));
            }
            return columns;
        }
        switch (type.kind()) {
            case "Pod" -> {
                columns.add(new Column("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0));
                columns.add(new Column("Status", "string", "", "The aggregate status of the containers in this pod.", 0));
                columns.add(new Column("Restarts", "string", "", "The number of times the containers in this pod have been restarted.", 0));
                columns.add(new Column("Age", "string", "", "When the pod was created.", 0));
                columns.add(new Column("IP", "string", "", "IP address allocated to the pod.", 1));
                columns.add(new Column("Node", "string", "", "Name of the node where the pod is scheduled.", 1));
                columns.add(new Column("Nominated Node", "string", "", "Nominated node name.", 1));
                columns.add(new Column("Readiness Gates", "string", "", "Readiness gates of the pod.", 1));
            }
            case "Namespace" -> {
                columns.add(new Column("Status", "string", "", "The status of the namespace.", 0));
                columns.add(new Column("Age", "string", "", "When the namespace was created.", 0));
            }
            case "Event" -> {
                columns.set(0, new Column("Last Seen", "string", "", "Time since the event was last seen.", 0));
                columns.add(new Column("Type", "string", "", "Normal or Warning.", 0));
                columns.add(new Column("Reason", "string", "", "Why the event happened.", 0));
                columns.add(new Column("Object", "string", "", "The object the event is about.", 0));
                columns.add(new Column("Message", "string", "", "What happened.", 0));
                columns.add(new Column("Name", "string", "name", "Name of the event.", 1));
            }
            default -> columns.add(new Column("Age", "string", "", "When the object was created.", 0));
        }
        return columns;
    }

    private List<JsonNode> cells(ResourceType type, ObjectNode object) {
        var factory = Json.MAPPER.getNodeFactory();
        List<JsonNode> cells = new ArrayList<>();
        cells.add(factory.textNode(Json.name(object)));
        String age = age(object.path("metadata").path("creationTimestamp").asText(""));
        if (type.custom()) {
            if (type.printerColumns().isEmpty()) {
                cells.add(factory.textNode(age));
            }
            for (ResourceType.PrinterColumn column : type.printerColumns()) {
                cells.add(cell(column, object));
            }
            return cells;
        }
        switch (type.kind()) {
            case "Pod" -> {
                int containers = object.path("spec").path("containers").size();
                int ready = 0;
                int restarts = 0;
                for (JsonNode status : object.path("status").path("containerStatuses")) {
                    ready += status.path("ready").asBoolean(false) ? 1 : 0;
                    restarts += status.path("restartCount").asInt(0);
                }
                cells.add(factory.textNode(ready + "/" + containers));
                String phase = object.path("status").path("reason").asText(object.path("status").path("phase").asText(""));
                if (object.path("metadata").hasNonNull("deletionTimestamp")) {
                    phase = "Terminating";
                }
                cells.add(factory.textNode(phase));
                cells.add(factory.numberNode(restarts));
                cells.add(factory.textNode(age));
                cells.add(factory.textNode(object.path("status").path("podIP").asText("<none>")));
                cells.add(factory.textNode(object.path("spec").path("nodeName").asText("<none>")));
                cells.add(factory.textNode(object.path("status").path("nominatedNodeName").asText("<none>")));
                cells.add(factory.textNode(readinessGates(object)));
            }
            case "Namespace" -> {
                cells.add(factory.textNode(object.path("status").path("phase").asText("Active")));
                cells.add(factory.textNode(age));
            }
            case "Event" -> {
                String lastSeen = object.path("lastTimestamp").asText(object.path("eventTime").asText(
                        object.path("metadata").path("creationTimestamp").asText("")));
                cells.set(0, factory.textNode(age(lastSeen)));
                cells.add(factory.textNode(object.path("type").asText("")));
                cells.add(factory.textNode(object.path("reason").asText("")));
                JsonNode involved = object.has("involvedObject") ? object.path("involvedObject") : object.path("regarding");
                cells.add(factory.textNode(involved.path("kind").asText("").toLowerCase(java.util.Locale.ROOT) + "/" + involved.path("name").asText("")));
                cells.add(factory.textNode(object.path("message").asText(object.path("note").asText(""))));
                cells.add(factory.textNode(Json.name(object)));
            }
            default -> cells.add(factory.textNode(age));
        }
        return cells;
    }

    private static String readinessGates(ObjectNode pod) {
        JsonNode gates = pod.path("spec").path("readinessGates");
        if (gates.isEmpty()) {
            return "<none>";
        }
        int met = 0;
        for (JsonNode gate : gates) {
            for (JsonNode condition : pod.path("status").path("conditions")) {
                if (condition.path("type").asText().equals(gate.path("conditionType").asText())
                        && condition.path("status").asText().equals("True")) {
                    met++;
                }
            }
        }
        return met + "/" + gates.size();
    }

    private JsonNode cell(ResourceType.PrinterColumn column, ObjectNode object) {
        var factory = Json.MAPPER.getNodeFactory();
        List<JsonNode> results = JsonPathExpression.parse(column.jsonPath()).evaluate(object);
        if (results.isEmpty()) {
            return factory.nullNode();
        }
        if (column.type().equals("date")) {
            return factory.textNode(age(results.get(0).asText("")));
        }
        if (results.size() == 1) {
            JsonNode value = results.get(0);
            if (value.isValueNode()) {
                return switch (column.type()) {
                    case "integer" -> value.canConvertToLong() ? factory.numberNode(value.asLong()) : factory.textNode(value.asText());
                    case "number" -> value.isNumber() ? value : factory.textNode(value.asText());
                    case "boolean" -> value.isBoolean() ? value : factory.textNode(value.asText());
                    default -> factory.textNode(value.asText());
                };
            }
            return factory.textNode(Json.text(value));
        }
        List<String> texts = new ArrayList<>();
        results.forEach(value -> texts.add(value.isValueNode() ? value.asText() : Json.text(value)));
        return factory.textNode(String.join(",", texts));
    }

    /** Kubernetes' human-readable duration: 45s, 3m12s, 5h, 2d3h. */
    String age(String timestamp) {
        if (timestamp.isEmpty()) {
            return "<unknown>";
        }
        Duration duration;
        try {
            duration = Duration.between(Instant.parse(timestamp), clock.instant());
        } catch (RuntimeException e) {
            return "<unknown>";
        }
        long seconds = duration.getSeconds();
        if (seconds < -1) {
            return "<invalid>";
        }
        if (seconds < 0) {
            return "0s";
        }
        if (seconds < 120) {
            return seconds + "s";
        }
        long minutes = seconds / 60;
        if (minutes < 10) {
            return seconds % 60 == 0 ? minutes + "m" : minutes + "m" + (seconds % 60) + "s";
        }
        if (minutes < 180) {
            return minutes + "m";
        }
        long hours = minutes / 60;
        if (hours < 8) {
            return minutes % 60 == 0 ? hours + "h" : hours + "h" + (minutes % 60) + "m";
        }
        if (hours < 48) {
            return hours + "h";
        }
        long days = hours / 24;
        if (days < 8) {
            return hours % 24 == 0 ? days + "d" : days + "d" + (hours % 24) + "h";
        }
        if (days < 730) {
            return days + "d";
        }
        long years = days / 365;
        return years < 8 && days % 365 != 0 ? years + "y" + (days % 365) + "d" : years + "y";
    }
}

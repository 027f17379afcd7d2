package io.swarmnet.sandboxapi.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Drops a field the schema does not declare, named as validation errors name fields: {@code spec.networks[0].foo}. */
final class UnknownFields {

    private static final Pattern SEGMENT = Pattern.compile("([^.\\[\\]]+)|\\[(\\d+)\\]");

    private UnknownFields() {
    }

    static void prune(ObjectNode object, String field) {
        List<String> segments = new ArrayList<>();
        Matcher matcher = SEGMENT.matcher(field);
        while (matcher.find()) {
            segments.add(matcher.group(1) != null ? matcher.group(1) : "#" + matcher.group(2));
        }
        if (segments.isEmpty()) {
            return;
        }
        JsonNode node = object;
        for (int i = 0; i < segments.size() - 1 && node != null; i++) {
            String segment = segments.get(i);
            node = segment.startsWith("#") ? node.get(Integer.parseInt(segment.substring(1))) : node.get(segment);
        }
        if (node instanceof ObjectNode parent) {
            parent.remove(segments.get(segments.size() - 1));
        }
    }
}

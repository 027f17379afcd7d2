package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** Runs a sample through a validator the way the API server would on create or update; returns kubectl's cause lines. */
final class Admission {

    private Admission() {
    }

    static List<String> create(CrdValidator validator, Manifest manifest) {
        return messages(validator.admit(manifest.json(), null));
    }

    static List<String> update(CrdValidator validator, Manifest old, Manifest updated) {
        return messages(validator.admit(updated.json(), old.json()));
    }

    /** The object as stored after a successful create (defaults applied). */
    static ObjectNode created(CrdValidator validator, Manifest manifest) {
        ObjectNode object = manifest.json();
        List<FieldError> errors = validator.admit(object, null);
        if (!errors.isEmpty()) {
            throw new AssertionError("sample was refused: " + messages(errors));
        }
        return object;
    }

    static List<String> messages(List<FieldError> errors) {
        return errors.stream().map(FieldError::message).toList();
    }
}

package io.swarmnet.operator.service.template;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One value a task template can insert, as {@code docker service create} names them. {@code label}
 * is the key of {@code {{index .Service.Labels "key"}}} and null for every other placeholder.
 */
public record Placeholder(Field field, String label) {

    /** What a placeholder stands for; {@link #path} is how a template writes it. */
    public enum Field {
        SERVICE_ID(".Service.ID", Scope.SERVICE),
        SERVICE_NAME(".Service.Name", Scope.SERVICE),
        SERVICE_LABELS(".Service.Labels", Scope.SERVICE),
        /** {@code {{index .Service.Labels "key"}}}: one label's value, empty when the service has no such label. */
        SERVICE_LABEL(".Service.Labels", Scope.SERVICE),
        NODE_ID(".Node.ID", Scope.NODE),
        NODE_HOSTNAME(".Node.Hostname", Scope.NODE),
        NODE_ARCHITECTURE(".Node.Platform.Architecture", Scope.NODE),
        NODE_OS(".Node.Platform.OS", Scope.NODE),
        TASK_ID(".Task.ID", Scope.TASK),
        TASK_NAME(".Task.Name", Scope.TASK),
        TASK_SLOT(".Task.Slot", Scope.TASK);

        private final String path;
        private final Scope scope;

        Field(String path, Scope scope) {
            this.path = path;
            this.scope = scope;
        }

        public String path() {
            return path;
        }

        public boolean isNode() {
            return scope == Scope.NODE;
        }

        /** The field a plain {@code {{.A.B}}} action names; the index form is not found this way. */
        static Optional<Field> byPath(String path) {
            return Arrays.stream(values()).filter(f -> f != SERVICE_LABEL && f.path.equals(path)).findFirst();
        }
    }

    private enum Scope { SERVICE, NODE, TASK }

    /** Every placeholder as a template writes it, for error messages. */
    public static final List<String> SUPPORTED = List.of("{{.Service.ID}}", "{{.Service.Name}}", "{{.Service.Labels}}",
            "{{index .Service.Labels \"key\"}}", "{{.Node.ID}}", "{{.Node.Hostname}}", "{{.Node.Platform.Architecture}}",
            "{{.Node.Platform.OS}}", "{{.Task.ID}}", "{{.Task.Name}}", "{{.Task.Slot}}");

    public Placeholder {
        if ((field == Field.SERVICE_LABEL) != (label != null)) {
            throw new IllegalArgumentException("only an index of .Service.Labels has a label key");
        }
    }

    public static Placeholder of(Field field) {
        return new Placeholder(field, null);
    }

    public static Placeholder serviceLabel(String key) {
        return new Placeholder(Field.SERVICE_LABEL, key);
    }

    @Override
    public String toString() {
        return field == Field.SERVICE_LABEL ? "{{index .Service.Labels \"" + label + "\"}}" : "{{" + field.path + "}}";
    }
}

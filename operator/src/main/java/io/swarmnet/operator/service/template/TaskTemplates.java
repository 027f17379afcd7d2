package io.swarmnet.operator.service.template;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The templated fields of a SwarmService's pod template — {@code hostname} and every container's
 * (and init container's) {@code env[].value}, as {@code docker service create --hostname} and
 * {@code --env} take templates — checked once per spec and resolved per task.
 *
 * <p>A pod's spec cannot change once the pod exists, and the scheduler picks a replicated task's
 * node only after that. So a value is resolved where it can be known:
 * <ul>
 *   <li>service and task placeholders, by the operator when it builds the pod;</li>
 *   <li>{@code {{.Task.ID}}} (the pod's UID) and, while the node is not yet known,
 *       {@code {{.Node.Hostname}}} in an env value, by the kubelet through the Downward API
 *       ({@code metadata.uid}, {@code spec.nodeName}) when it starts the container;</li>
 *   <li>any other node placeholder, and a node placeholder in the hostname, need the node before
 *       the pod exists: {@link #needsNode} tells the reconciler to place such a task itself.</li>
 * </ul>
 * {@code {{.Task.ID}}} in the hostname cannot be resolved at all and is refused.
 */
public final class TaskTemplates {

    public static final String HOSTNAME = "spec.template.spec.hostname";
    /** Variables the kubelet fills from the Downward API, referenced as {@code $(NAME)} in an env value mixing text and them. */
    public static final String TASK_ID_VARIABLE = "SWARMNET_TASK_ID";
    public static final String NODE_NAME_VARIABLE = "SWARMNET_NODE_NAME";

    /** RFC 1123 label, what Kubernetes accepts as a pod's hostname. */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final int MAX_HOSTNAME = 63;

    private TaskTemplates() {
    }

    /** One templated field: where it is in the SwarmService, and its value as written. */
    private record Field(String path, String written) {
    }

    /**
     * What is wrong with the templates of this pod template, or empty: the first malformed or
     * unknown placeholder, or a {@code {{.Task.ID}}} in the hostname, naming the service and field.
     */
    public static Optional<String> problem(String service, PodSpec spec) {
        for (Field field : fields(spec)) {
            TaskTemplate template;
            try {
                template = TaskTemplate.parse(field.written());
            } catch (TemplateException e) {
                return Optional.of(field.path() + " of SwarmService " + service + ": " + e.getMessage());
            }
            if (field.path().equals(HOSTNAME) && template.uses(p -> p.field() == Placeholder.Field.TASK_ID)) {
                return Optional.of(HOSTNAME + " of SwarmService " + service + ": {{.Task.ID}} cannot be part of a hostname, as a task's ID"
                        + " is its pod's UID, which Kubernetes assigns only when it creates the pod, after the hostname is fixed; use"
                        + " {{.Task.Name}}, which is unique per task too");
            }
        }
        return Optional.empty();
    }

    /**
     * Whether a task of this template needs its node chosen before its pod is created: it names the
     * node in its hostname, or its node's ID or platform in an env value (the Downward API offers
     * only the node's name). A field that does not parse needs nothing: {@link #problem} reports it.
     */
    public static boolean needsNode(PodSpec spec) {
        for (Field field : fields(spec)) {
            TaskTemplate template;
            try {
                template = TaskTemplate.parse(field.written());
            } catch (TemplateException e) {
                continue;
            }
            boolean hostname = field.path().equals(HOSTNAME);
            if (template.uses(p -> p.field().isNode() && (hostname || p.field() != Placeholder.Field.NODE_HOSTNAME))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The hostname this task would get, or why it cannot: it must be a DNS label once resolved.
     * {@code which} says which task, for the message. Assumes {@link #problem} found nothing.
     */
    public static Optional<String> hostnameProblem(String service, PodSpec spec, TaskFacts facts, String which) {
        if (spec == null || spec.getHostname() == null) {
            return Optional.empty();
        }
        try {
            hostname(service, spec.getHostname(), facts, which);
            return Optional.empty();
        } catch (TemplateException e) {
            return Optional.of(e.getMessage());
        }
    }

    /**
     * Resolves the templates of {@code spec} (the task pod's own copy) for one task, in place.
     *
     * @throws TemplateException when a template is malformed (see {@link #problem}) or the hostname
     *                           does not resolve to a DNS label
     */
    public static void resolve(String service, PodSpec spec, TaskFacts facts) throws TemplateException {
        Optional<String> problem = problem(service, spec);
        if (problem.isPresent()) {
            throw new TemplateException(problem.get());
        }
        if (spec.getHostname() != null) {
            spec.setHostname(hostname(service, spec.getHostname(), facts, "task " + facts.taskName()));
        }
        resolveEnv(spec.getInitContainers(), facts);
        resolveEnv(spec.getContainers(), facts);
    }

    private static String hostname(String service, String written, TaskFacts facts, String which) throws TemplateException {
        TaskTemplate template = parse(HOSTNAME, written);
        StringBuilder resolved = new StringBuilder();
        for (TaskTemplate.Part part : template.parts()) {
            resolved.append(part instanceof TaskTemplate.Text text ? text.text() : facts.value(((TaskTemplate.Insert) part).placeholder()));
        }
        String hostname = resolved.toString();
        if (hostname.length() > MAX_HOSTNAME || !DNS_LABEL.matcher(hostname).matches()) {
            throw new TemplateException(HOSTNAME + " of SwarmService " + service + " (\"" + written + "\") resolves to \"" + hostname
                    + "\" for " + which + ", which is not a valid pod hostname: Kubernetes wants a DNS label, 1 to 63 lower-case"
                    + " letters, digits and '-', starting and ending with a letter or digit; change the template so that every task's"
                    + " hostname is one (no task is created, replaced or removed until then)");
        }
        return hostname;
    }

    private static void resolveEnv(List<Container> containers, TaskFacts facts) {
        if (containers == null) {
            return;
        }
        for (Container container : containers) {
            if (container.getEnv() == null) {
                continue;
            }
            Map<String, String> downward = new LinkedHashMap<>();
            List<EnvVar> env = new ArrayList<>();
            for (EnvVar variable : container.getEnv()) {
                env.add(variable.getValue() == null || !variable.getValue().contains("{{") ? variable
                        : resolved(variable, facts, downward));
            }
            List<EnvVar> helpers = new ArrayList<>();
            // before every variable: $(NAME) expands only variables defined earlier in the list
            downward.forEach((name, fieldPath) -> helpers.add(fieldRef(name, fieldPath)));
            helpers.addAll(env);
            container.setEnv(helpers);
        }
    }

    private static EnvVar resolved(EnvVar variable, TaskFacts facts, Map<String, String> downward) {
        TaskTemplate template = parsed(new Field("env", variable.getValue()));
        Optional<Placeholder> only = template.only();
        if (only.isPresent() && downwardField(only.get(), facts) != null) {
            return fieldRef(variable.getName(), downwardField(only.get(), facts));
        }
        StringBuilder value = new StringBuilder();
        for (TaskTemplate.Part part : template.parts()) {
            if (part instanceof TaskTemplate.Text text) {
                // the user's own text keeps Kubernetes' meaning, $(VAR) references included
                value.append(text.text());
                continue;
            }
            Placeholder placeholder = ((TaskTemplate.Insert) part).placeholder();
            String fieldPath = downwardField(placeholder, facts);
            if (fieldPath != null) {
                String name = placeholder.field() == Placeholder.Field.TASK_ID ? TASK_ID_VARIABLE : NODE_NAME_VARIABLE;
                downward.put(name, fieldPath);
                value.append("$(").append(name).append(')');
            } else {
                // a value is inserted as it is: "$" is doubled so the kubelet does not expand a $(...) in it
                value.append(facts.value(placeholder).replace("$", "$$"));
            }
        }
        return new EnvVarBuilder(variable).withValue(value.toString()).build();
    }

    /** The Downward API field the kubelet resolves this placeholder from, or null when the operator resolves it. */
    private static String downwardField(Placeholder placeholder, TaskFacts facts) {
        if (placeholder.field() == Placeholder.Field.TASK_ID) {
            return "metadata.uid";
        }
        if (placeholder.field() == Placeholder.Field.NODE_HOSTNAME && facts.node() == null) {
            return "spec.nodeName";
        }
        return null;
    }

    private static EnvVar fieldRef(String name, String fieldPath) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withApiVersion("v1").withFieldPath(fieldPath)
                .endFieldRef().endValueFrom().build();
    }

    private static List<Field> fields(PodSpec spec) {
        List<Field> fields = new ArrayList<>();
        if (spec == null) {
            return fields;
        }
        if (spec.getHostname() != null) {
            fields.add(new Field(HOSTNAME, spec.getHostname()));
        }
        envFields("initContainers", spec.getInitContainers(), fields);
        envFields("containers", spec.getContainers(), fields);
        return fields;
    }

    private static void envFields(String list, List<Container> containers, List<Field> fields) {
        if (containers == null) {
            return;
        }
        for (int c = 0; c < containers.size(); c++) {
            List<EnvVar> env = containers.get(c).getEnv();
            for (int e = 0; env != null && e < env.size(); e++) {
                if (env.get(e).getValue() != null) {
                    fields.add(new Field("spec.template.spec." + list + "[" + c + "].env[" + e + "].value", env.get(e).getValue()));
                }
            }
        }
    }

    private static TaskTemplate parse(String path, String written) throws TemplateException {
        try {
            return TaskTemplate.parse(written);
        } catch (TemplateException e) {
            throw new TemplateException(path + ": " + e.getMessage());
        }
    }

    /** A field {@link #problem} has accepted. */
    private static TaskTemplate parsed(Field field) {
        try {
            return TaskTemplate.parse(field.written());
        } catch (TemplateException e) {
            throw new IllegalStateException(field.path() + " was checked before: " + e.getMessage(), e);
        }
    }
}

package io.swarmnet.operator.service.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing and rendering a task template the way Docker's text/template does, each placeholder and escape. */
class TaskTemplateTest {

    private static final NodeFacts NODE = new NodeFacts("5f3c-node-uid", "worker-1", "arm64", "linux");
    private static final TaskFacts TASK = new TaskFacts("9a1b-service-uid", "my-web", Map.of("tier", "front", "app", "web"),
            "my-web-2-x7k2p", "2", NODE);

    /** What a template becomes with every value known (a hostname, or an env value once its node is). */
    private static String render(String template) throws TemplateException {
        StringBuilder out = new StringBuilder();
        for (TaskTemplate.Part part : TaskTemplate.parse(template).parts()) {
            out.append(part instanceof TaskTemplate.Text text ? text.text() : TASK.value(((TaskTemplate.Insert) part).placeholder()));
        }
        return out.toString();
    }

    @Test
    void eachPlaceholderInsertsItsValue() throws TemplateException {
        assertThat(render("{{.Service.ID}}")).isEqualTo("9a1b-service-uid");
        assertThat(render("{{.Service.Name}}")).isEqualTo("my-web");
        assertThat(render("{{.Service.Labels}}")).isEqualTo("map[app:web tier:front]");
        assertThat(render("{{index .Service.Labels \"tier\"}}")).isEqualTo("front");
        assertThat(render("{{.Node.ID}}")).isEqualTo("5f3c-node-uid");
        assertThat(render("{{.Node.Hostname}}")).isEqualTo("worker-1");
        assertThat(render("{{.Node.Platform.Architecture}}")).isEqualTo("arm64");
        assertThat(render("{{.Node.Platform.OS}}")).isEqualTo("linux");
        assertThat(render("{{.Task.Name}}")).isEqualTo("my-web-2-x7k2p");
        assertThat(render("{{.Task.Slot}}")).isEqualTo("2");
        assertThat(TaskTemplate.parse("{{.Task.ID}}").only()).contains(Placeholder.of(Placeholder.Field.TASK_ID));
    }

    @Test
    void placeholdersMixWithTextAsInDockersExample() throws TemplateException {
        assertThat(render("{{.Service.Name}}-{{.Task.Slot}}")).isEqualTo("my-web-2");
        assertThat(render("{{.Node.Hostname}}-{{.Node.ID}}-{{.Service.Name}}")).isEqualTo("worker-1-5f3c-node-uid-my-web");
        assertThat(render("plain text, no action")).isEqualTo("plain text, no action");
        assertThat(render("")).isEmpty();
    }

    @Test
    void aMissingLabelIsEmptyAsGoIndexesAMap() throws TemplateException {
        assertThat(render("[{{index .Service.Labels \"absent\"}}]")).isEqualTo("[]");
        assertThat(new TaskFacts("", "s", null, "t", "1", null).value(Placeholder.of(Placeholder.Field.SERVICE_LABELS)))
                .isEqualTo("map[]");
    }

    @Test
    void spacesInsideAnActionAndTrimMarkersAreGoTemplates() throws TemplateException {
        assertThat(render("{{ .Service.Name }}")).isEqualTo("my-web");
        assertThat(render("{{ index  .Service.Labels  `tier` }}")).isEqualTo("front");
        assertThat(render("web   {{- .Task.Slot -}}   x")).isEqualTo("web2x");
        // a dash without a space is not a trim marker in Go, and no action here either
        assertThat(render("a-{{.Task.Slot}}-b")).isEqualTo("a-2-b");
    }

    @Test
    void stringConstantsAndCommentsEscapeTheDelimiters() throws TemplateException {
        assertThat(render("{{\"{{\"}}.Service.Name}}")).isEqualTo("{{.Service.Name}}");
        assertThat(render("{{`{{.Task.Slot}}`}}")).isEqualTo("{{.Task.Slot}}");
        assertThat(render("{{\"tab\\there \\\"quoted\\\" \\x41\\u00e9\"}}")).isEqualTo("tab\there \"quoted\" A\u00e9");
        assertThat(render("a{{/* not shown */}}b")).isEqualTo("ab");
        assertThat(render("a {{- /* trimmed */ -}} b")).isEqualTo("ab");
        // }} outside an action is text
        assertThat(render("}} {{.Task.Slot}} }}")).isEqualTo("}} 2 }}");
        // the constant joins the text: nothing is inserted
        assertThat(TaskTemplate.parse("{{\"x\"}}y").parts()).containsExactly(new TaskTemplate.Text("xy"));
    }

    @Test
    void unknownPlaceholdersAreRefusedNamingTheKnownOnes() {
        assertThatThrownBy(() -> TaskTemplate.parse("{{.Node.Name}}")).isInstanceOf(TemplateException.class)
                .hasMessageContaining("unknown placeholder {{.Node.Name}}").hasMessageContaining("{{.Node.Hostname}}");
        assertThatThrownBy(() -> TaskTemplate.parse("{{.service.name}}")).hasMessageContaining("case-sensitive");
        assertThatThrownBy(() -> TaskTemplate.parse("{{.Service.Labels.tier}}"))
                .hasMessageContaining("{{index .Service.Labels \"tier\"}}");
        assertThatThrownBy(() -> TaskTemplate.parse("{{.Node.Platform}}")).hasMessageContaining("unknown placeholder {{.Node.Platform}}");
    }

    @Test
    void malformedSyntaxIsRefusedSayingWhatToWrite() {
        assertThatThrownBy(() -> TaskTemplate.parse("{{.Service.Name")).hasMessageContaining("unclosed action {{.Service.Name")
                .hasMessageContaining("{{\"{{\"}}");
        assertThatThrownBy(() -> TaskTemplate.parse("{{}}")).hasMessageContaining("empty action {{}}");
        assertThatThrownBy(() -> TaskTemplate.parse("{{\"open}}")).hasMessageContaining("unterminated quoted string");
        assertThatThrownBy(() -> TaskTemplate.parse("{{`open}}")).hasMessageContaining("unterminated raw string");
        assertThatThrownBy(() -> TaskTemplate.parse("{{\"\\q\"}}")).hasMessageContaining("unknown escape \\q");
        assertThatThrownBy(() -> TaskTemplate.parse("{{/* open }}")).hasMessageContaining("unclosed comment");
        assertThatThrownBy(() -> TaskTemplate.parse("{{/* c */ .Task.Slot}}")).hasMessageContaining("a comment must end right before }}");
    }

    @Test
    void anythingBeyondPlaceholdersIsRefusedNotCopiedThrough() {
        assertThatThrownBy(() -> TaskTemplate.parse("{{.Service.Name | upper}}")).hasMessageContaining("unsupported action");
        assertThatThrownBy(() -> TaskTemplate.parse("{{if .Task.Slot}}x{{end}}")).hasMessageContaining("unsupported action {{if .Task.Slot}}");
        assertThatThrownBy(() -> TaskTemplate.parse("{{$x := 1}}")).hasMessageContaining("unsupported action");
        assertThatThrownBy(() -> TaskTemplate.parse("{{index .Service.Labels tier}}"))
                .hasMessageContaining("index is supported only as {{index .Service.Labels \"key\"}}");
        assertThatThrownBy(() -> TaskTemplate.parse("{{index .Node.ID \"x\"}}")).hasMessageContaining("index is supported only");
    }

    @Test
    void nodeValuesAreNotInventedBeforeTheNodeIsKnown() {
        TaskFacts unscheduled = new TaskFacts("u", "my-web", Map.of(), "my-web-1-abcde", "1", null);
        assertThat(unscheduled.value(Placeholder.of(Placeholder.Field.TASK_SLOT))).isEqualTo("1");
        assertThatThrownBy(() -> unscheduled.value(Placeholder.of(Placeholder.Field.NODE_HOSTNAME)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> TASK.value(Placeholder.of(Placeholder.Field.TASK_ID))).isInstanceOf(IllegalStateException.class);
    }
}

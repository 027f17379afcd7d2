package io.swarmnet.operator.service.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which fields of a pod template take task templates, how each is checked, and what a task's pod gets. */
class TaskTemplatesTest {

    private static final NodeFacts NODE = new NodeFacts("node-uid-1", "worker-1", "amd64", "linux");

    private static TaskFacts task(NodeFacts node) {
        return new TaskFacts("svc-uid", "my-web", Map.of("tier", "front", "cost", "$(HOME)"), "my-web-3-x7k2p", "3", node);
    }

    /** A pod template: {@code hostname} (may be null), then env values of one container "web" named V0, V1, ... */
    private static PodSpec spec(String hostname, String... envValues) {
        var container = new PodSpecBuilder().withHostname(hostname).addNewContainer().withName("web").withImage("nginx");
        for (int i = 0; i < envValues.length; i++) {
            container.addNewEnv().withName("V" + i).withValue(envValues[i]).endEnv();
        }
        return container.endContainer().build();
    }

    private static EnvVar env(PodSpec spec, String name) {
        return spec.getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aProblemNamesTheServiceTheFieldAndWhatToWrite() {
        assertThat(TaskTemplates.problem("my-web", spec("{{.Service.Name}}-{{.Task.Slot}}", "{{.Node.Hostname}}", "fine"))).isEmpty();

        assertThat(TaskTemplates.problem("my-web", spec(null, "ok", "also ok", "{{.Node.Name}}"))).hasValueSatisfying(p -> assertThat(p)
                .startsWith("spec.template.spec.containers[0].env[2].value of SwarmService my-web: unknown placeholder {{.Node.Name}}")
                .contains("{{.Node.Hostname}}"));
        assertThat(TaskTemplates.problem("my-web", spec("{{.Service.Name"))).hasValueSatisfying(p -> assertThat(p)
                .startsWith("spec.template.spec.hostname of SwarmService my-web: unclosed action"));

        PodSpec init = new PodSpecBuilder(spec(null)).addNewInitContainer().withName("setup").withImage("busybox")
                .addNewEnv().withName("A").withValue("x").endEnv().addNewEnv().withName("B").withValue("{{.Task.Slot | x}}").endEnv()
                .endInitContainer().build();
        assertThat(TaskTemplates.problem("my-web", init)).hasValueSatisfying(p -> assertThat(p)
                .startsWith("spec.template.spec.initContainers[0].env[1].value of SwarmService my-web: unsupported action"));
    }

    @Test
    void theTaskIdCannotBeAHostnameSinceThePodUidComesAfterIt() {
        assertThat(TaskTemplates.problem("my-web", spec("{{.Task.ID}}"))).hasValueSatisfying(p -> assertThat(p)
                .startsWith("spec.template.spec.hostname of SwarmService my-web: {{.Task.ID}} cannot be part of a hostname")
                .contains("use {{.Task.Name}}"));
        // in an env value the kubelet fills it in
        assertThat(TaskTemplates.problem("my-web", spec(null, "{{.Task.ID}}"))).isEmpty();
    }

    @Test
    void aHostnameResolvesPerTask() throws TemplateException {
        PodSpec pod = spec("{{.Service.Name}}-{{.Task.Slot}}-{{.Node.Hostname}}");
        TaskTemplates.resolve("my-web", pod, task(NODE));
        assertThat(pod.getHostname()).isEqualTo("my-web-3-worker-1");
    }

    @Test
    void aHostnameThatIsNoDnsLabelOnceResolvedIsRefusedShowingWhatItBecame() {
        PodSpec dotted = spec("{{.Service.Name}}.{{.Task.Slot}}");
        assertThat(TaskTemplates.hostnameProblem("my-web", dotted, task(null), "slot 3")).hasValueSatisfying(p -> assertThat(p)
                .startsWith("spec.template.spec.hostname of SwarmService my-web (\"{{.Service.Name}}.{{.Task.Slot}}\") resolves to"
                        + " \"my-web.3\" for slot 3, which is not a valid pod hostname")
                .contains("change the template"));
        assertThatThrownBy(() -> TaskTemplates.resolve("my-web", dotted, task(null))).isInstanceOf(TemplateException.class)
                .hasMessageContaining("\"my-web.3\" for task my-web-3-x7k2p");

        // upper case, too long, empty, a trailing dash: each is not a DNS label
        assertThat(TaskTemplates.hostnameProblem("my-web", spec("Web-{{.Task.Slot}}"), task(null), "slot 3")).isPresent();
        assertThat(TaskTemplates.hostnameProblem("my-web", spec("{{.Service.Name}}-" + "x".repeat(57)), task(null), "slot 3")).isPresent();
        assertThat(TaskTemplates.hostnameProblem("my-web", spec("{{.Service.Name}}-" + "x".repeat(56)), task(null), "slot 3")).isEmpty();
        assertThat(TaskTemplates.hostnameProblem("my-web", spec("{{index .Service.Labels \"none\"}}"), task(null), "slot 3"))
                .hasValueSatisfying(p -> assertThat(p).contains("resolves to \"\""));
        assertThat(TaskTemplates.hostnameProblem("my-web", spec("{{.Service.Name}}-{{index .Service.Labels \"none\"}}"), task(null),
                "slot 3")).isPresent();
        // a node name may be a DNS subdomain, which a hostname may not be
        assertThat(TaskTemplates.hostnameProblem("my-web", spec("{{.Node.Hostname}}"),
                task(new NodeFacts("u", "worker-1.example.com", "amd64", "linux")), "slot 3 on node worker-1.example.com"))
                .hasValueSatisfying(p -> assertThat(p).contains("\"worker-1.example.com\" for slot 3 on node worker-1.example.com"));
    }

    @Test
    void envValuesKnownToTheOperatorAreWrittenIntoThePod() throws TemplateException {
        PodSpec pod = spec(null, "{{.Service.Name}}", "tasks.{{.Service.Name}}", "{{.Task.Name}}/{{.Task.Slot}}",
                "{{index .Service.Labels \"tier\"}}", "{{.Service.ID}}", "unchanged $(OTHER)");
        TaskTemplates.resolve("my-web", pod, task(null));
        assertThat(pod.getContainers().get(0).getEnv()).extracting(EnvVar::getName, EnvVar::getValue).containsExactly(
                org.assertj.core.groups.Tuple.tuple("V0", "my-web"),
                org.assertj.core.groups.Tuple.tuple("V1", "tasks.my-web"),
                org.assertj.core.groups.Tuple.tuple("V2", "my-web-3-x7k2p/3"),
                org.assertj.core.groups.Tuple.tuple("V3", "front"),
                org.assertj.core.groups.Tuple.tuple("V4", "svc-uid"),
                org.assertj.core.groups.Tuple.tuple("V5", "unchanged $(OTHER)"));
    }

    @Test
    void anInsertedValueIsNotExpandedAgainByTheKubelet() throws TemplateException {
        PodSpec pod = spec(null, "cost={{index .Service.Labels \"cost\"}} home=$(HOME)");
        TaskTemplates.resolve("my-web", pod, task(null));
        // "$$" is the kubelet's escape for "$": the label's "$(HOME)" arrives as written, the user's own $(HOME) is expanded
        assertThat(env(pod, "V0").getValue()).isEqualTo("cost=$$(HOME) home=$(HOME)");
    }

    @Test
    void theTaskIdAndAnUnscheduledNodeComeFromTheDownwardApi() throws TemplateException {
        PodSpec pod = spec(null, "{{.Task.ID}}", "{{.Node.Hostname}}", "{{.Service.Name}}@{{.Node.Hostname}}/{{.Task.ID}}", "plain");
        TaskTemplates.resolve("my-web", pod, task(null));

        List<EnvVar> env = pod.getContainers().get(0).getEnv();
        // helpers first: $(NAME) only expands variables defined earlier
        assertThat(env).extracting(EnvVar::getName).containsExactly(TaskTemplates.NODE_NAME_VARIABLE, TaskTemplates.TASK_ID_VARIABLE,
                "V0", "V1", "V2", "V3");
        assertThat(env(pod, TaskTemplates.NODE_NAME_VARIABLE).getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
        assertThat(env(pod, TaskTemplates.TASK_ID_VARIABLE).getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.uid");
        assertThat(env(pod, "V0").getValue()).isNull();
        assertThat(env(pod, "V0").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.uid");
        assertThat(env(pod, "V1").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
        assertThat(env(pod, "V2").getValue()).isEqualTo("my-web@$(SWARMNET_NODE_NAME)/$(SWARMNET_TASK_ID)");
        assertThat(env(pod, "V3").getValue()).isEqualTo("plain");
    }

    @Test
    void aKnownNodeIsWrittenIntoThePodAndNoHelperIsAdded() throws TemplateException {
        PodSpec pod = spec(null, "{{.Node.Hostname}}", "{{.Node.ID}} {{.Node.Platform.OS}}/{{.Node.Platform.Architecture}}");
        TaskTemplates.resolve("my-web", pod, task(NODE));
        assertThat(pod.getContainers().get(0).getEnv()).extracting(EnvVar::getName, EnvVar::getValue).containsExactly(
                org.assertj.core.groups.Tuple.tuple("V0", "worker-1"),
                org.assertj.core.groups.Tuple.tuple("V1", "node-uid-1 linux/amd64"));
    }

    @Test
    void onlyNodeFactsTheDownwardApiLacksNeedTheNodeBeforeThePodExists() {
        assertThat(TaskTemplates.needsNode(spec("{{.Service.Name}}-{{.Task.Slot}}", "{{.Node.Hostname}}", "{{.Task.ID}}"))).isFalse();
        assertThat(TaskTemplates.needsNode(spec("{{.Node.Hostname}}"))).isTrue();
        assertThat(TaskTemplates.needsNode(spec(null, "{{.Node.ID}}"))).isTrue();
        assertThat(TaskTemplates.needsNode(spec(null, "{{.Node.Platform.Architecture}}"))).isTrue();
        assertThat(TaskTemplates.needsNode(spec(null, "{{.Node.Platform.OS}}"))).isTrue();
        assertThat(TaskTemplates.needsNode(spec(null))).isFalse();
    }

    @Test
    void resolvingAMalformedTemplateIsRefusedNotHalfDone() {
        // what the reconciler relies on for a template it did not check first (a revision rolled back to)
        PodSpec pod = spec(null, "{{.Service.Name}}", "{{.Node.Name}}");
        assertThatThrownBy(() -> TaskTemplates.resolve("my-web", pod, task(null))).isInstanceOf(TemplateException.class)
                .hasMessageStartingWith("spec.template.spec.containers[0].env[1].value of SwarmService my-web: unknown placeholder");
        assertThat(env(pod, "V0").getValue()).isEqualTo("{{.Service.Name}}");
        assertThat(TaskTemplates.needsNode(spec("{{.Node.ID", "{{.Node.Hostname}}"))).isFalse();
    }

    @Test
    void valueFromVariablesAndPlainTemplatesAreLeftAlone() throws TemplateException {
        PodSpec pod = new PodSpecBuilder(spec(null, "a }} b")).editFirstContainer().addNewEnv().withName("FROM").withNewValueFrom()
                .withNewFieldRef().withFieldPath("status.podIP").endFieldRef().endValueFrom().endEnv().endContainer().build();
        PodSpec before = new PodSpecBuilder(pod).build();
        TaskTemplates.resolve("my-web", pod, task(null));
        assertThat(pod).isEqualTo(before);
    }
}

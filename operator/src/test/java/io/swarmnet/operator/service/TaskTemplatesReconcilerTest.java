package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.swarmnet.api.service.ServiceMode;
import io.swarmnet.operator.service.template.TaskTemplates;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Task templates ({@code docker service create --hostname "{{.Service.Name}}-{{.Task.Slot}}"
 * --env NODE={{.Node.Hostname}}}) through the whole operator, against the embedded API server.
 */
class TaskTemplatesReconcilerTest {

    private static ServiceFixture cluster;
    private static int tests;

    private String ns;
    private FakeKubelet kubelet;

    @BeforeAll
    static void startCluster() {
        cluster = new ServiceFixture("templates");
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @BeforeEach
    void start() {
        ns = "templates-" + ++tests;
        cluster.useNamespace(ns);
        kubelet = new FakeKubelet(cluster.client, ns);
    }

    @AfterEach
    void stop() {
        kubelet.close();
    }

    private static String env(Pod pod, String name) {
        return pod.getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals(name))
                .map(EnvVar::getValue).findFirst().orElseThrow();
    }

    private static EnvVar envVar(Pod pod, String name) {
        return pod.getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow();
    }

    private List<Event> warnings(String service, String reason) {
        return cluster.client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason()) && service.equals(e.getInvolvedObject().getName())).toList();
    }

    private Set<String> podNames(String service) {
        Set<String> names = new HashSet<>();
        cluster.pods(service).forEach(p -> names.add(p.getMetadata().getName()));
        return names;
    }

    @Test
    void eachTaskGetsItsOwnHostnameAndEnvironment() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 2, List.of("my-network"), spec -> {
            spec.getTemplate().getSpec().setHostname("{{.Service.Name}}-{{.Task.Slot}}");
            spec.getTemplate().getSpec().getContainers().get(0).setEnv(List.of(
                    new EnvVar("SERVICE", "{{.Service.ID}}/{{.Service.Name}}", null),
                    new EnvVar("TASK", "{{.Task.Name}}", null),
                    new EnvVar("NODE", "{{.Node.Hostname}}", null),
                    new EnvVar("ID", "task {{.Task.ID}}", null)));
        });

        cluster.eventually("2 task pods exist", () -> cluster.pods("my-web").size() == 2);
        String uid = cluster.get("my-web").getMetadata().getUid();
        List<Pod> pods = cluster.pods("my-web");
        assertThat(pods).extracting(p -> p.getSpec().getHostname()).containsExactly("my-web-1", "my-web-2");
        for (Pod pod : pods) {
            assertThat(env(pod, "SERVICE")).isEqualTo(uid + "/my-web");
            assertThat(env(pod, "TASK")).isEqualTo(pod.getMetadata().getName());
            // the scheduler still picks the node; the kubelet fills it in
            assertThat(envVar(pod, "NODE").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
            assertThat(env(pod, "ID")).isEqualTo("task $(" + TaskTemplates.TASK_ID_VARIABLE + ")");
            assertThat(envVar(pod, TaskTemplates.TASK_ID_VARIABLE).getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.uid");
            assertThat(pod.getSpec().getAffinity()).isNull();
        }
        // the service's own template is what the user wrote
        assertThat(cluster.get("my-web").getSpec().getTemplate().getSpec().getHostname()).isEqualTo("{{.Service.Name}}-{{.Task.Slot}}");
    }

    @Test
    void aHostnameNamingTheNodePlacesTasksOnNodesTheOperatorPicks() {
        Map<String, String> linux = Map.of("pool", "placed", "kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64");
        kubelet.node("tpl-a", linux).node("tpl-b", linux).node("tpl-c", Map.of("pool", "other"));
        kubelet.startAutomatically();
        cluster.network("my-network", null, true);
        cluster.service("cache", 2, List.of("my-network"), spec -> {
            spec.getTemplate().getSpec().setNodeSelector(Map.of("pool", "placed"));
            spec.getTemplate().getSpec().setHostname("{{.Node.Hostname}}-{{.Task.Slot}}");
            spec.getTemplate().getSpec().getContainers().get(0).setEnv(List.of(
                    new EnvVar("PLATFORM", "{{.Node.Platform.OS}}/{{.Node.Platform.Architecture}}", null),
                    new EnvVar("NODE_ID", "{{.Node.ID}}", null)));
        });

        cluster.eventually("2 Ready tasks", () -> cluster.hasCondition("cache", "Ready", "True", null));
        List<Pod> pods = cluster.pods("cache");
        // spread over the two eligible nodes, each pinned before its pod existed, its hostname naming it
        assertThat(pods).extracting(p -> TaskPod.pinnedNode(p).orElseThrow()).containsExactlyInAnyOrder("tpl-a", "tpl-b");
        for (Pod pod : pods) {
            String node = TaskPod.pinnedNode(pod).orElseThrow();
            assertThat(pod.getSpec().getNodeName()).isEqualTo(node);
            assertThat(pod.getSpec().getHostname()).isEqualTo(node + "-" + ServiceFixture.slotOf(pod).number());
            assertThat(env(pod, "NODE_ID")).isEqualTo(cluster.client.nodes().withName(node).get().getMetadata().getUid()).isNotBlank();
            assertThat(env(pod, "PLATFORM")).isEqualTo("linux/amd64");
        }
    }

    @Test
    void aGlobalTaskKnowsItsNodeAndItsSlotIsTheNodeId() {
        kubelet.node("tpl-g1", Map.of("pool", "global", "kubernetes.io/arch", "arm64"));
        cluster.network("my-network", null, true);
        cluster.service("agent", 0, List.of("my-network"), spec -> {
            spec.setMode(ServiceMode.GLOBAL);
            spec.setReplicas(null);
            spec.getTemplate().getSpec().setNodeSelector(Map.of("pool", "global"));
            spec.getTemplate().getSpec().setHostname("agent-{{.Node.Hostname}}");
            spec.getTemplate().getSpec().getContainers().get(0).setEnv(List.of(
                    new EnvVar("SLOT", "{{.Task.Slot}}", null),
                    new EnvVar("NODE", "{{.Node.Hostname}}", null),
                    new EnvVar("ARCH", "{{.Node.Platform.Architecture}}", null)));
        });

        cluster.eventually("a task on tpl-g1", () -> cluster.pods("agent").size() == 1);
        Pod pod = cluster.pods("agent").get(0);
        assertThat(pod.getSpec().getHostname()).isEqualTo("agent-tpl-g1");
        assertThat(env(pod, "SLOT")).isEqualTo(cluster.client.nodes().withName("tpl-g1").get().getMetadata().getUid());
        assertThat(env(pod, "NODE")).isEqualTo("tpl-g1");
        assertThat(env(pod, "ARCH")).isEqualTo("arm64");
    }

    @Test
    void aBadTemplateIsReportedAndTheRunningTasksAreLeftAloneUntilItIsFixed() throws InterruptedException {
        kubelet.startAutomatically();
        cluster.network("my-network", null, true);
        cluster.service("my-web", 2, List.of("my-network"), spec -> spec.getTemplate().getSpec().setHostname("web-{{.Task.Slot}}"));
        cluster.eventually("2 Ready tasks", () -> cluster.hasCondition("my-web", "Ready", "True", null));
        Set<String> running = podNames("my-web");

        // resolves to "my-web.1": a dot is no part of a DNS label
        cluster.edit("my-web", spec -> spec.getTemplate().getSpec().setHostname("{{.Service.Name}}.{{.Task.Slot}}"));
        cluster.eventually("InvalidSpec", () -> cluster.hasCondition("my-web", "Ready", "False", ServiceHealth.REASON_INVALID_SPEC));
        assertThat(cluster.condition("my-web", "Ready").getMessage())
                .startsWith("spec.template.spec.hostname of SwarmService my-web (\"{{.Service.Name}}.{{.Task.Slot}}\") resolves to"
                        + " \"my-web.1\" for slot 1, which is not a valid pod hostname")
                .contains("change the template");
        cluster.eventually("a warning event says the same", () -> warnings("my-web", ServiceHealth.REASON_INVALID_SPEC).stream()
                .anyMatch(e -> "Warning".equals(e.getType()) && e.getMessage().contains("spec.template.spec.hostname")));

        cluster.edit("my-web", spec -> {
            spec.getTemplate().getSpec().setHostname("web-{{.Task.Slot}}");
            spec.getTemplate().getSpec().getContainers().get(0).setEnv(List.of(new EnvVar("OK", "fine", null),
                    new EnvVar("NODE", "{{.Node.Name}}", null)));
        });
        cluster.eventually("the unknown placeholder is named with its field", () -> {
            var ready = cluster.condition("my-web", "Ready");
            return ready.getMessage().startsWith("spec.template.spec.containers[0].env[1].value of SwarmService my-web: unknown"
                    + " placeholder {{.Node.Name}}");
        });
        cluster.eventually("and so does an event", () -> warnings("my-web", ServiceHealth.REASON_INVALID_SPEC).stream()
                .anyMatch(e -> e.getMessage().startsWith("spec.template.spec.containers[0].env[1].value of SwarmService my-web")));
        Thread.sleep(300);
        assertThat(podNames("my-web")).as("no task was stopped or replaced while the template was bad").isEqualTo(running);
        assertThat(cluster.pods("my-web")).allSatisfy(p -> assertThat(p.getSpec().getHostname()).matches("web-[12]"));

        // fixed, and changed: a template change rolls the tasks, as docker service update does
        cluster.edit("my-web", spec -> spec.getTemplate().getSpec().getContainers().get(0).setEnv(List.of(
                new EnvVar("NODE", "{{.Node.Hostname}}", null))));
        cluster.eventually("both tasks replaced and Ready", () -> cluster.hasCondition("my-web", "Ready", "True", null)
                && cluster.pods("my-web").size() == 2 && podNames("my-web").stream().noneMatch(running::contains));
        assertThat(cluster.pods("my-web")).allSatisfy(p ->
                assertThat(envVar(p, "NODE").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName"));
    }

    @Test
    void aTaskIdInTheHostnameIsRefusedBeforeAnyTaskIsCreated() {
        cluster.network("my-network", null, true);
        cluster.service("my-web", 1, List.of("my-network"), spec -> spec.getTemplate().getSpec().setHostname("web-{{.Task.ID}}"));

        cluster.eventually("InvalidSpec", () -> cluster.hasCondition("my-web", "Ready", "False", ServiceHealth.REASON_INVALID_SPEC));
        assertThat(cluster.condition("my-web", "Ready").getMessage())
                .contains("spec.template.spec.hostname of SwarmService my-web: {{.Task.ID}} cannot be part of a hostname");
        assertThat(cluster.pods("my-web")).isEmpty();
    }
}

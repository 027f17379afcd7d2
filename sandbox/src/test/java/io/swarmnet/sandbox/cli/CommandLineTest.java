package io.swarmnet.sandbox.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.sandbox.kubelet.TaskRecord;
import io.swarmnet.sandbox.kubelet.TaskRecords;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandLineTest {

    private static TaskRecord task(String namespace, String pod, String service, String slot) {
        return new TaskRecord(namespace, pod, service, slot, "node-1", "swn-p1", "main", Map.of("HOSTNAME", pod), "/", 0);
    }

    private static final List<TaskRecord> RUNNING = List.of(
            task("default", "my-web-1-abcde", "my-web", "1"),
            task("default", "my-busybox-1-xyz12", "my-busybox", "1"),
            task("other", "my-busybox-1-xyz12", null, null),
            task("default", "plain", null, null));

    @Test
    void findsATaskByServiceAndSlotOrByPodName() {
        assertThat(TaskRecords.find("my-web.1", RUNNING).pod()).isEqualTo("my-web-1-abcde");
        assertThat(TaskRecords.find("my-web-1-abcde", RUNNING).pod()).isEqualTo("my-web-1-abcde");
        assertThat(TaskRecords.find("plain", RUNNING).pod()).isEqualTo("plain");
        assertThat(TaskRecords.find("other/my-busybox-1-xyz12", RUNNING).namespace()).isEqualTo("other");
    }

    @Test
    void namesTheRunningTasksWhenTheTaskIsUnknown() {
        assertThatThrownBy(() -> TaskRecords.find("my-web.9", RUNNING)).hasMessage(
                "no running task named 'my-web.9'; running tasks: my-busybox-1-xyz12, my-busybox.1, my-web.1, plain");
        assertThatThrownBy(() -> TaskRecords.find("x", List.of())).hasMessage("no running task named 'x' (no tasks run)");
    }

    @Test
    void asksForTheNamespaceWhenAPodNameIsAmbiguous() {
        assertThatThrownBy(() -> TaskRecords.find("my-busybox-1-xyz12", RUNNING))
                .hasMessageContaining("matches pods in several namespaces (default/my-busybox-1-xyz12, other/my-busybox-1-xyz12)")
                .hasMessageContaining("use <namespace>/<pod>");
    }

    @Test
    void printsDemoCommandsSoTheyCanBePastedIntoAShell() {
        assertThat(Demo.shellWords(List.of("kubectl", "get", "onet,ssvc"))).isEqualTo("kubectl get onet,ssvc");
        assertThat(Demo.shellWords(List.of("kubectl", "get", "-o", "jsonpath={.items[*].x}", "it's")))
                .isEqualTo("kubectl get -o 'jsonpath={.items[*].x}' 'it'\\''s'");
    }
}

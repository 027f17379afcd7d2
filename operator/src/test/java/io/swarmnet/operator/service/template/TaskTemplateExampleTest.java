package io.swarmnet.operator.service.template;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.swarmnet.api.service.SwarmService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The manifest docs/task-templates.md shows stays a valid one, resolving as the page says. */
class TaskTemplateExampleTest {

    private static final Path EXAMPLE = Path.of("../examples/task-templates/my-peers.yaml");

    @Test
    void theExampleIsAcceptedAndGivesEachTaskItsOwnHostname() throws IOException, TemplateException {
        SwarmService service = Serialization.unmarshal(Files.readString(EXAMPLE), SwarmService.class);
        var spec = service.getSpec().getTemplate().getSpec();

        assertThat(TaskTemplates.problem("my-peers", spec)).isEmpty();
        // only the node's name, which the Downward API gives: the scheduler keeps choosing the node
        assertThat(TaskTemplates.needsNode(spec)).isFalse();
        TaskTemplates.resolve("my-peers", spec, new TaskFacts("uid", "my-peers", service.getMetadata().getLabels(),
                "my-peers-2-abcde", "2", null));
        assertThat(spec.getHostname()).isEqualTo("my-peers-2");
        Map<String, String> env = new java.util.HashMap<>();
        spec.getContainers().get(0).getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
        assertThat(env).containsEntry("SLOT", "2").containsEntry("PEERS", "tasks.my-peers").containsEntry("ROLE", "cache");
        assertThat(spec.getContainers().get(0).getEnv()).filteredOn(e -> e.getName().equals("NODE")).singleElement()
                .satisfies(e -> assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName"));
    }
}

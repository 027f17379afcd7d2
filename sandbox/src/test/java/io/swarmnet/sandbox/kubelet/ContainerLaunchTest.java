package io.swarmnet.sandbox.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerLaunchTest {

    private static Pod pod(Container container) {
        return new PodBuilder().withNewMetadata().withName("my-web-2").withNamespace("default").withUid("u-1").endMetadata()
                .withNewSpec().withNodeName("node-2").withContainers(container).endSpec().build();
    }

    @Test
    void runsCommandAndArgsWithThePodNameAsHostnameAndOnlyTheContainerEnvironment() {
        Container nginx = new ContainerBuilder().withName("nginx").withImage("nginx")
                .withCommand("/bin/sh", "-c").withArgs("echo $HOSTNAME").addNewEnv().withName("GREETING").withValue("hi").endEnv().build();
        ContainerLaunch launch = ContainerLaunch.of(pod(nginx), nginx, "10.0.9.4", "192.0.2.12");
        assertThat(launch.argv()).containsExactly("/bin/sh", "-c", "echo $HOSTNAME");
        assertThat(launch.env()).containsExactly(
                Map.entry("PATH", ContainerLaunch.DEFAULT_PATH), Map.entry("HOSTNAME", "my-web-2"),
                Map.entry("HOME", "/root"), Map.entry("GREETING", "hi"));
        assertThat(launch.workingDir()).isEqualTo("/");
    }

    @Test
    void expandsVariablesAsKubernetesDoes() {
        Container c = new ContainerBuilder().withName("c").withCommand("echo", "$(NAME)", "$$(NAME)", "$(MISSING)")
                .addNewEnv().withName("NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef()
                .endValueFrom().endEnv()
                .addNewEnv().withName("WHERE").withValue("$(NAME) on node").endEnv()
                .addNewEnv().withName("IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef()
                .endValueFrom().endEnv()
                .build();
        ContainerLaunch launch = ContainerLaunch.of(pod(c), c, "10.0.9.4", "192.0.2.12");
        assertThat(launch.argv()).containsExactly("echo", "my-web-2", "$(NAME)", "$(MISSING)");
        assertThat(launch.env()).containsEntry("WHERE", "my-web-2 on node").containsEntry("IP", "10.0.9.4");
    }

    @Test
    void refusesAContainerWithoutCommandNamingTheField() {
        Container c = new ContainerBuilder().withName("web").withImage("nginx:1.27").build();
        assertThatThrownBy(() -> ContainerLaunch.of(pod(c), c, null, null))
                .hasMessageContaining("default/my-web-2 container web has no command")
                .hasMessageContaining("image nginx:1.27 is not pulled")
                .hasMessageContaining("containers[].command");
    }
}

package io.swarmnet.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.sandbox.cli.CliFailure;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SwarmnetCliTest {

    @Test
    void readsTheNodeCount() {
        assertThat(SwarmnetCli.nodes(List.of())).isEqualTo(3);
        assertThat(SwarmnetCli.nodes(List.of("--nodes", "5"))).isEqualTo(5);
        assertThat(SwarmnetCli.nodes(List.of("--nodes=2"))).isEqualTo(2);
        assertThatThrownBy(() -> SwarmnetCli.nodes(List.of("--nodes", "zero"))).isInstanceOf(CliFailure.class)
                .hasMessage("--nodes zero is not a node count; use a whole number from 1 to 20");
        assertThatThrownBy(() -> SwarmnetCli.nodes(List.of("--nodes", "0"))).isInstanceOf(CliFailure.class);
        assertThatThrownBy(() -> SwarmnetCli.nodes(List.of("--replicas", "2"))).isInstanceOf(CliFailure.class)
                .hasMessageStartingWith("sandbox up takes only --nodes N, got [--replicas, 2]");
    }

    @Test
    void rejectsUnknownCommandsWithTheUsage() {
        SwarmnetCli cli = new SwarmnetCli(new SandboxHome(Path.of("/tmp/none"), "swn"), Path.of("."));
        assertThatThrownBy(() -> cli.run(List.of("sandbox", "sideways"))).isInstanceOf(CliFailure.class)
                .hasMessageStartingWith("unknown sandbox subcommand 'sideways'").hasMessageContaining("usage:");
        assertThatThrownBy(() -> cli.run(List.of())).isInstanceOf(CliFailure.class).hasMessageStartingWith("no command given");
    }

    @Test
    void keepsItsStateWhereTheEnvironmentSays() {
        assertThat(SandboxHome.fromEnvironment(Map.of())).isEqualTo(new SandboxHome(Path.of("/run/swarmnet-sandbox"), "swn"));
        SandboxHome custom = SandboxHome.fromEnvironment(Map.of(SandboxHome.ENV_DIR, "/run/x", SandboxHome.ENV_PREFIX, "e2ab"));
        assertThat(custom.kubeconfig()).isEqualTo(Path.of("/run/x/kubeconfig"));
        assertThatThrownBy(() -> SandboxHome.fromEnvironment(Map.of(SandboxHome.ENV_PREFIX, "toolong")))
                .hasMessageContaining("SWARMNET_SANDBOX_PREFIX=toolong is not a valid name prefix");
    }
}

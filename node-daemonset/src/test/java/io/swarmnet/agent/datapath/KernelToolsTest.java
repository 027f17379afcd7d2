package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelToolsTest {

    @Test
    void theAgentStartsOnlyTheProgramsItsImageIsCheckedToHold() {
        KernelTools agent = KernelTools.forAgent(Duration.ofSeconds(5));
        KernelTools.Result refused = agent.run(List.of("tcpdump", "--version"), null);
        assertThat(refused.ok()).isFalse();
        assertThat(refused.stderr()).contains("refusing to start tcpdump").contains("KernelTools.PROGRAMS").contains("Dockerfile");
        // a program started through nsenter counts too
        KernelTools.Result wrapped = agent.run(new NetNamespace.AtPath(Path.of("/proc/self/ns/net")).wrap(List.of("ss", "-l")), null);
        assertThat(wrapped.stderr()).contains("refusing to start ss");
        assertThat(agent.run(List.of("ip", "-V"), null).ok()).as("ip is listed").isTrue();
    }

    @Test
    void namesTheProgramNsenterRuns() {
        assertThat(KernelTools.programs(List.of("nsenter", "--net=/run/netns/x", "nft", "-f", "-"))).containsExactly("nsenter", "nft");
        assertThat(KernelTools.programs(List.of("ip", "-n", "x", "link"))).containsExactly("ip");
        assertThat(KernelTools.programs(List.of())).isEmpty();
    }
}

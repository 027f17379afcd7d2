package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What br_netfilter's settings, as read from a namespace's /proc/sys/net/bridge, mean. No kernel. */
class BridgeNetfilterTest {

    @Test
    void theHooksAreOffOnlyWhenEverySettingReadIsZero() {
        assertThat(BridgeNetfilter.of(List.of("0\n", "0\n", "0\n"))).isEqualTo(BridgeNetfilter.OFF);
        assertThat(BridgeNetfilter.of(List.of("1\n", "0\n", "0\n"))).isEqualTo(BridgeNetfilter.ON);
        assertThat(BridgeNetfilter.of(List.of("0\n", "0\n", "1\n"))).isEqualTo(BridgeNetfilter.ON);
    }

    @Test
    void eachSettingIsReadFromItsFileUnderProcSysNetBridge() {
        assertThat(BridgeNetfilter.SETTINGS.stream().map(BridgeNetfilter::file)).containsExactly(
                Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables"), Path.of("/proc/sys/net/bridge/bridge-nf-call-ip6tables"),
                Path.of("/proc/sys/net/bridge/bridge-nf-call-arptables"));
        assertThat(BridgeNetfilter.SETTINGS.stream().map(BridgeNetfilter::file)).allMatch(f -> f.getParent().equals(BridgeNetfilter.DIRECTORY));
    }
}

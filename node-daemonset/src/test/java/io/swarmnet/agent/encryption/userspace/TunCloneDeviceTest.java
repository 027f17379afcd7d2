package io.swarmnet.agent.encryption.userspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.agent.netns.Libc;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening /dev/net/tun where a node cannot give it: the error names the device, why, and what to do on the node. */
class TunCloneDeviceTest {

    @TempDir
    Path dir;

    @Test
    void aNodeWithoutTheDeviceIsToldWhichDeviceIsMissingAndHowToGetIt() {
        Path absent = dir.resolve("dev/net/tun");

        assertThatThrownBy(() -> TunDevice.openCloneDevice(absent))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("this node has no " + absent + ":")
                .hasMessageContaining("tun module")
                .hasMessageContaining("modprobe tun")
                .hasMessageContaining("restart the agent's pod");
    }

    @Test
    void aDeviceWithoutItsDriverAsksForTheModule() {
        assertThat(TunDevice.cannotOpen(Path.of("/dev/net/tun"), Libc.ENODEV))
                .isEqualTo("/dev/net/tun exists but this node's kernel has no TUN driver: load the tun module (modprobe tun on the node)");
    }

    @Test
    void aDeviceTheAgentMayNotOpenNamesThePolicyNotTheModule() {
        assertThat(TunDevice.cannotOpen(Path.of("/dev/net/tun"), Libc.EACCES))
                .startsWith("the agent may not open /dev/net/tun (errno 13)")
                .doesNotContain("modprobe");
    }

    @Test
    void anyOtherFailureKeepsItsErrno() {
        // a directory cannot be opened for writing: EISDIR
        assertThatThrownBy(() -> TunDevice.openCloneDevice(dir))
                .hasMessage("cannot open " + dir + " (errno 21)");
    }
}

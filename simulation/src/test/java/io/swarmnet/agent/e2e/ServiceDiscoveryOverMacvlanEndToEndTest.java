package io.swarmnet.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.PodAttachmentMode;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every case of {@link ServiceDiscoveryEndToEndTest} with the agents attaching task pods as macvlan children of the
 * VXLAN devices: the resolver at 127.0.0.11 (its redirect in the pod), VIPs and tasks reached by name, as with veths.
 */
@Tag("e2e")
class ServiceDiscoveryOverMacvlanEndToEndTest extends ServiceDiscoveryEndToEndTest {

    @Override
    PodAttachmentMode attachment() {
        return PodAttachmentMode.MACVLAN;
    }

    @Test
    @Order(0)
    void theTasksInterfacesAreMacvlanChildren() {
        KernelTools.Result link = stage.exec("client-1", "ip", "-d", "-o", "link", "show", "type", "macvlan");
        assertThat(link.ok()).as(link.describe()).isTrue();
        assertThat(link.stdout()).as("client-1's links").contains("macvlan mode bridge");
    }
}

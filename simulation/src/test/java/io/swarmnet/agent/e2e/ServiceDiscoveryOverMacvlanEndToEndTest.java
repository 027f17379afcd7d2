package io.swarmnet.agent.e2e;

import io.swarmnet.agent.datapath.PodAttachmentMode;
import org.junit.jupiter.api.Tag;

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
}

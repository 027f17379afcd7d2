package io.swarmnet.agent.e2e;

import io.swarmnet.agent.datapath.PodAttachmentMode;
import org.junit.jupiter.api.Tag;

/**
 * Every case of {@link ServiceDiscoveryEndToEndTest} with the agents attaching task pods by veth pairs to a bridge in the
 * network namespace (the layout that is not the default): the resolver at 127.0.0.11 (its redirect in the pod), VIPs and
 * tasks reached by name, as with macvlan children.
 */
@Tag("e2e")
class ServiceDiscoveryOverVethEndToEndTest extends ServiceDiscoveryEndToEndTest {

    @Override
    PodAttachmentMode attachment() {
        return PodAttachmentMode.VETH;
    }
}

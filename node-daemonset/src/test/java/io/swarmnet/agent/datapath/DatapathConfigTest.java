package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DatapathConfigTest {

    @Test
    void aNodeAttachesPodsAsMacvlanChildrenUnlessToldToUseVeths() {
        // a real node and a simulated one alike; the agent then applies SWARMNET_POD_ATTACHMENT
        assertThat(DatapathConfig.forHost("swn").attachment()).isEqualTo(PodAttachmentMode.MACVLAN);
        assertThat(DatapathConfig.forNamedNamespace("swt", "swt-node-1").attachment()).isEqualTo(PodAttachmentMode.MACVLAN);

        DatapathConfig veth = DatapathConfig.forHost("swn").withVxlanPort(new VxlanPort(4790)).withAttachment(PodAttachmentMode.VETH);
        assertThat(veth.attachment()).isEqualTo(PodAttachmentMode.VETH);
        assertThat(veth.vxlanPort()).isEqualTo(new VxlanPort(4790));
    }
}

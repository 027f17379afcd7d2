package io.swarmnet.operator.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkStatus;
import org.junit.jupiter.api.Test;

class AllocatableNetworkTest {

    private static OverlayNetwork network(OverlayNetworkStatus status) {
        OverlayNetwork n = new OverlayNetwork();
        n.setMetadata(new ObjectMetaBuilder().withNamespace("default").withName("my-network").build());
        n.setStatus(status);
        return n;
    }

    @Test
    void readsAllocationFromStatus() {
        OverlayNetworkStatus status = new OverlayNetworkStatus();
        status.setSubnet("10.0.9.0/24");
        status.setGateway("10.0.9.1");
        status.setIpRange("10.0.9.128/25");
        AllocatableNetwork n = AllocatableNetwork.of(network(status));
        assertThat(n.subnet()).isEqualTo(Cidr.parse("10.0.9.0/24"));
        assertThat(n.range()).isEqualTo(Cidr.parse("10.0.9.128/25"));
        assertThat(n.gateway()).isEqualTo(IpAddress.parse("10.0.9.1"));
        assertThat(n.capacity()).isEqualTo(127);
    }

    @Test
    void rangeDefaultsToSubnet() {
        OverlayNetworkStatus status = new OverlayNetworkStatus();
        status.setSubnet("10.0.9.0/24");
        status.setGateway("10.0.9.1");
        AllocatableNetwork n = AllocatableNetwork.of(network(status));
        assertThat(n.range()).isEqualTo(n.subnet());
        assertThat(n.capacity()).isEqualTo(253);
    }

    @Test
    void unallocatedNetworkIsRefused() {
        assertThatThrownBy(() -> AllocatableNetwork.of(network(null)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("default/my-network")
                .hasMessageContaining("Ready");
        assertThatThrownBy(() -> AllocatableNetwork.of(network(new OverlayNetworkStatus())))
                .isInstanceOf(IllegalStateException.class);
    }
}

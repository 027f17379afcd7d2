package io.swarmnet.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.contract.NetworkReference;
import io.swarmnet.api.service.NetworkAttachment;
import org.junit.jupiter.api.Test;

/** How a service or pod names a network of its own namespace and one shared with it from another. */
class NetworkReferenceTest {

    @Test
    void aNetworkOfTheOwnNamespaceKeepsItsPlainNameAndAForeignOneCarriesItsNamespace() {
        NetworkReference own = NetworkReference.parse("proxy", "shop");
        NetworkReference shared = NetworkReference.parse("infra/proxy", "shop");
        assertThat(own).isEqualTo(new NetworkReference("shop", "proxy"));
        assertThat(shared).isEqualTo(new NetworkReference("infra", "proxy"));
        assertThat(own.relativeTo("shop")).isEqualTo("proxy");
        assertThat(shared.relativeTo("shop")).isEqualTo("infra/proxy");
        assertThat(shared.relativeTo("infra")).as("as the network's own namespace records it").isEqualTo("proxy");
        assertThat(shared.isForeignTo("shop")).isTrue();
        assertThat(own.isForeignTo("shop")).isFalse();
        assertThat(NetworkReference.parse("shop/proxy", "shop").relativeTo("shop")).isEqualTo("proxy");
    }

    @Test
    void aServiceNetworkEntryResolvesAgainstTheServiceNamespace() {
        assertThat(new NetworkAttachment("proxy").reference("shop")).isEqualTo(new NetworkReference("shop", "proxy"));
        assertThat(new NetworkAttachment("infra", "proxy").reference("shop")).isEqualTo(new NetworkReference("infra", "proxy"));
    }

    @Test
    void refusesWhatIsNoNetworkNaming() {
        assertThatThrownBy(() -> NetworkReference.parse("a/b/c", "shop")).hasMessageContaining("more than one '/'");
        assertThatThrownBy(() -> NetworkReference.parse("Infra/proxy", "shop")).hasMessageContaining("'Infra' is not a namespace name");
        assertThatThrownBy(() -> NetworkReference.parse("infra/", "shop")).hasMessageContaining("'' is not an OverlayNetwork name");
        assertThatThrownBy(() -> NetworkReference.parse(null, "shop")).hasMessageContaining("no network named");
    }
}

package io.swarmnet.operator.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.network.NamespaceSelector;
import io.swarmnet.api.network.NetworkSharing;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.SelectorOperator;
import io.swarmnet.api.network.SelectorRequirement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Who may attach to a network: its own namespace always, others while spec.shareWith selects them. */
class NetworkAccessTest {

    /** Network infra/proxy, shared by {@code selector} (not shared when null). */
    static OverlayNetwork network(NamespaceSelector selector) {
        OverlayNetwork network = new OverlayNetwork();
        network.getMetadata().setNamespace("infra");
        network.getMetadata().setName("proxy");
        if (selector != null) {
            network.getSpec().setShareWith(new NetworkSharing(selector));
        }
        return network;
    }

    @Test
    void theOwnNamespaceMayAlwaysAttach() {
        assertThat(NetworkAccess.refusal(network(null), "infra", Optional.empty())).isEmpty();
    }

    @Test
    void anotherNamespaceNeedsTheNetworkSharedAndItsLabelsSelected() {
        assertThat(NetworkAccess.refusal(network(null), "shop", Optional.of(Map.of()))).contains("OverlayNetwork infra/proxy is not "
                + "shared with other namespaces (its spec.shareWith is not set), so the node agents attach nothing of namespace shop "
                + "to it; its owner shares it by setting spec.shareWith.namespaceSelector to select namespace shop");
        OverlayNetwork shared = network(new NamespaceSelector(Map.of("swarmnet.io/proxy", "true"), null));
        assertThat(NetworkAccess.refusal(shared, "shop", Optional.of(Map.of("swarmnet.io/proxy", "true")))).isEmpty();
        assertThat(NetworkAccess.refusal(shared, "shop", Optional.of(Map.of("kubernetes.io/metadata.name", "shop")))).contains(
                "spec.shareWith.namespaceSelector of OverlayNetwork infra/proxy (swarmnet.io/proxy=true) does not select namespace "
                        + "shop (labels: kubernetes.io/metadata.name=shop); a cluster administrator can label the namespace "
                        + "(kubectl label namespace shop swarmnet.io/proxy=true), or the network's owner can widen the selector");
        assertThat(NetworkAccess.refusal(shared, "shop", Optional.empty())).get().asString()
                .startsWith("namespace shop is not known to the operator yet");
    }

    @Test
    void suggestsNoLabelCommandWhereNoLabelWouldDo() {
        OverlayNetwork byName = network(new NamespaceSelector(Map.of("kubernetes.io/metadata.name", "blog"), null));
        assertThat(NetworkAccess.refusal(byName, "shop", Optional.of(Map.of()))).get().asString().doesNotContain("kubectl label");
        OverlayNetwork byExpression = network(new NamespaceSelector(null, List.of(new SelectorRequirement("env",
                SelectorOperator.IN, List.of("prod")))));
        assertThat(NetworkAccess.refusal(byExpression, "shop", Optional.of(Map.of()))).get().asString()
                .contains("(env in (prod)) does not select").doesNotContain("kubectl label");
    }

    @Test
    void aMalformedSelectorSharesWithNobodyAndSaysWhy() {
        OverlayNetwork malformed = network(new NamespaceSelector(null, List.of(new SelectorRequirement("env",
                SelectorOperator.IN, null))));
        assertThat(NetworkAccess.refusal(malformed, "shop", Optional.of(Map.of("env", "prod")))).contains("OverlayNetwork infra/proxy "
                + "cannot be shared until its owner fixes spec.shareWith.namespaceSelector.matchExpressions[0]: operator In needs at "
                + "least one value");
        assertThat(NetworkAccess.isShared(malformed)).isFalse();
        assertThat(NetworkAccess.isShared(network(new NamespaceSelector()))).isTrue();
        assertThat(NetworkAccess.isShared(network(null))).isFalse();
    }
}

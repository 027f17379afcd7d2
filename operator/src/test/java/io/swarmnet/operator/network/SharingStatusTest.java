package io.swarmnet.operator.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.network.NamespaceSelector;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.SelectorOperator;
import io.swarmnet.api.network.SelectorRequirement;
import io.swarmnet.operator.Conditions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The Shared condition an OverlayNetwork's owner reads. */
class SharingStatusTest {

    private static final Map<String, Map<String, String>> LABELS = Map.of("shop", Map.of("edge", "true"), "blog", Map.of());

    private static OverlayNetwork network(NamespaceSelector selector) {
        return NetworkAccessTest.network(selector);
    }

    private static Optional<Conditions.Desired> condition(OverlayNetwork network, List<SharingStatus.Attacher> foreign,
                                                          List<String> selected) {
        return SharingStatus.condition(network, foreign, n -> Optional.ofNullable(LABELS.get(n)), selected);
    }

    @Test
    void aNetworkNeitherSharedNorUsedFromElsewhereHasNoSharedCondition() {
        assertThat(condition(network(null), List.of(), List.of())).isEmpty();
    }

    @Test
    void aSharedNetworkSaysWhomItSelectsAndWhoAttaches() {
        OverlayNetwork shared = network(new NamespaceSelector(Map.of("edge", "true"), null));
        assertThat(condition(shared, List.of(new SharingStatus.Attacher("shop", "SwarmService shop/web")), List.of("shop")))
                .contains(new Conditions.Desired("Shared", "True", "NamespacesSelected", "spec.shareWith.namespaceSelector (edge=true) "
                        + "selects namespaces shop; attached from other namespaces: SwarmService shop/web"));
        assertThat(condition(shared, List.of(), List.of())).get().extracting(Conditions.Desired::message).asString()
                .endsWith("selects no other namespace; nothing of another namespace is attached");
    }

    @Test
    void namesWhatStillAttachesFromNamespacesTheSelectorNoLongerAdmits() {
        OverlayNetwork shared = network(new NamespaceSelector(Map.of("edge", "true"), null));
        var outside = condition(shared, List.of(new SharingStatus.Attacher("shop", "SwarmService shop/web"),
                new SharingStatus.Attacher("blog", "SwarmService blog/web"), new SharingStatus.Attacher("blog", "pod blog/client-0")),
                List.of("shop")).orElseThrow();
        assertThat(outside.status()).isEqualTo("False");
        assertThat(outside.reason()).isEqualTo("AttachedOutsideSelector");
        assertThat(outside.message()).startsWith("SwarmService blog/web, pod blog/client-0 of namespace blog still attach, but "
                + "spec.shareWith.namespaceSelector (edge=true) no longer admits it: their running tasks and pods keep their addresses");
        // shareWith removed altogether while a service of another namespace is on the network
        assertThat(condition(network(null), List.of(new SharingStatus.Attacher("shop", "SwarmService shop/web")), List.of()))
                .get().extracting(Conditions.Desired::message).asString().contains("still hold addresses on it, but the network is no "
                        + "longer shared (spec.shareWith is not set): the node agents have detached their tasks and pods from it");
    }

    @Test
    void aMalformedSelectorIsReportedAndSharesWithNobody() {
        OverlayNetwork malformed = network(new NamespaceSelector(null, List.of(new SelectorRequirement("edge", SelectorOperator.EXISTS,
                List.of("x")))));
        var condition = condition(malformed, List.of(new SharingStatus.Attacher("shop", "SwarmService shop/web")), List.of()).orElseThrow();
        assertThat(condition.reason()).isEqualTo("InvalidShareWith");
        assertThat(condition.message()).isEqualTo("spec.shareWith.namespaceSelector.matchExpressions[0]: operator Exists takes no values; "
                + "the network is shared with no other namespace until that is fixed; SwarmService shop/web still attach and keep "
                + "their addresses, new ones are refused");
    }
}

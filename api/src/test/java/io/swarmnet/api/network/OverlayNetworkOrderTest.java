package io.swarmnet.api.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which of two networks claiming the same VXLAN id or subnet keeps it: the operator and the agents use this one order. */
class OverlayNetworkOrderTest {

    @Test
    void theOlderNetworkComesFirstThenNamespaceAndNameAndOneWithoutCreationTimeLast() {
        OverlayNetwork unborn = network("a", "first", null);
        OverlayNetwork newer = network("a", "second", "2026-11-02T00:00:00Z");
        OverlayNetwork older = network("z", "last", "2026-11-01T00:00:00Z");
        OverlayNetwork teamB = network("team-b", "net", "2026-11-02T00:00:00Z");
        OverlayNetwork team = network("team", "net", "2026-11-02T00:00:00Z");

        List<OverlayNetwork> networks = new ArrayList<>(List.of(unborn, newer, teamB, older, team));
        networks.sort(OverlayNetwork.OLDEST_FIRST);

        // "team-b/net" sorts before "team/net" ('-' before '/'): the order compares namespace/name as one string
        assertThat(networks).containsExactly(older, newer, teamB, team, unborn);
    }

    private static OverlayNetwork network(String namespace, String name, String created) {
        OverlayNetwork network = new OverlayNetwork();
        network.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).withCreationTimestamp(created).build());
        return network;
    }
}

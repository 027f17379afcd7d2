package io.swarmnet.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.contract.NetworkReference;
import io.swarmnet.api.contract.PodNetworkRequests;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The swarmnet.io/networks annotation of a pod that joins attachable networks. */
class PodNetworkRequestsTest {

    private static PodNetworkRequests parse(String annotation) {
        return PodNetworkRequests.parse(annotation, "shop");
    }

    @Test
    void readsOneNameOrACommaSeparatedListInOrder() {
        assertThat(parse("my-network").networks()).isEqualTo(Map.of("my-network", List.of()));
        assertThat(parse(" zeta , alpha ").networks().keySet()).containsExactly("zeta", "alpha");
    }

    @Test
    void acceptsTheMultusNamespacePrefixOfThePodsOwnNamespace() {
        assertThat(parse("shop/my-network").networks()).isEqualTo(Map.of("my-network", List.of()));
    }

    @Test
    void readsTheJsonListWithAliasesInOrder() {
        PodNetworkRequests requests = parse("[{\"name\":\"zeta\",\"aliases\":[\"db\",\"primary.db\"]},{\"name\":\"alpha\","
                + "\"namespace\":\"shop\"}]");
        assertThat(requests.networks().keySet()).containsExactly("zeta", "alpha");
        assertThat(requests.networks().get("zeta")).containsExactly("db", "primary.db");
        assertThat(requests.networks().get("alpha")).isEmpty();
    }

    @Test
    void theCanonicalFormReadsBackAsTheSameRequest() {
        PodNetworkRequests requests = parse("zeta,alpha");
        assertThat(PodNetworkRequests.parse(requests.format(), "shop")).isEqualTo(requests);
        PodNetworkRequests withAliases = parse("[{\"name\":\"zeta\",\"aliases\":[\"db\"]}]");
        assertThat(withAliases.format()).isEqualTo("[{\"name\":\"zeta\",\"aliases\":[\"db\"]}]");
    }

    @Test
    void namesANetworkSharedFromAnotherNamespaceWithItsNamespaceInBothForms() {
        assertThat(parse("infra/proxy, my-network").networks().keySet()).containsExactly("infra/proxy", "my-network");
        PodNetworkRequests json = parse("[{\"name\":\"proxy\",\"namespace\":\"infra\",\"aliases\":[\"shop-web\"]}]");
        assertThat(json.networks()).isEqualTo(Map.of("infra/proxy", List.of("shop-web")));
        assertThat(json.references("shop")).containsExactly(new NetworkReference("infra", "proxy"));
        // the pod's own namespace spelled out is the plain name: one network, one key
        assertThat(parse("[{\"name\":\"proxy\",\"namespace\":\"shop\"}]").networks().keySet()).containsExactly("proxy");
    }

    @Test
    void theCanonicalFormKeepsTheNamespaceOfASharedNetwork() {
        PodNetworkRequests requests = parse("infra/proxy,my-network");
        assertThat(requests.format()).isEqualTo("[{\"name\":\"proxy\",\"namespace\":\"infra\"},{\"name\":\"my-network\"}]");
        assertThat(PodNetworkRequests.parse(requests.format(), "shop")).isEqualTo(requests);
    }

    @Test
    void refusesOneNetworkNamedTwiceEvenWhenSpelledDifferently() {
        assertThatThrownBy(() -> parse("proxy, shop/proxy")).hasMessageContaining("names network proxy twice");
        assertThatThrownBy(() -> parse("infra/proxy, [x]")).hasMessageContaining("'[x]' is not an OverlayNetwork name");
        assertThatThrownBy(() -> parse("Infra/proxy")).hasMessageContaining("'Infra' is not a namespace name");
        assertThatThrownBy(() -> parse("[{\"name\":\"proxy\",\"namespace\":7}]")).hasMessageContaining("[0].namespace must be a string");
    }

    @Test
    void refusesADuplicateAliasAndADuplicateNetwork() {
        assertThatThrownBy(() -> parse("[{\"name\":\"n\",\"aliases\":[\"db\",\"db\"]}]"))
                .hasMessage("annotation swarmnet.io/networks[0].aliases lists 'db' twice; list each alias once");
        assertThatThrownBy(() -> parse("n, n")).hasMessageContaining("names network n twice");
        assertThatThrownBy(() -> parse("[{\"name\":\"n\"},{\"name\":\"n\",\"aliases\":[\"db\"]}]"))
                .hasMessageContaining("[1] names network n twice");
    }

    @Test
    void refusesMalformedAnnotationsSayingWhatToWrite() {
        assertThatThrownBy(() -> parse("")).hasMessageContaining("names no network");
        assertThatThrownBy(() -> parse("[{\"name\":")).hasMessageStartingWith("annotation swarmnet.io/networks is not valid JSON")
                .hasMessageContaining("[{\"name\":\"my-network\",\"aliases\":[\"db\"]}]");
        assertThatThrownBy(() -> parse("{\"name\":\"n\"}")).hasMessageContaining("must be a JSON list of objects");
        assertThatThrownBy(() -> parse("[\"n\"]")).hasMessageContaining("[0] must be an object");
        assertThatThrownBy(() -> parse("[{\"aliases\":[\"db\"]}]")).hasMessageContaining("[0].name is missing");
        assertThatThrownBy(() -> parse("[{\"name\":\"n\",\"interface\":\"eth1\"}]"))
                .hasMessageContaining("[0].interface is not supported");
        assertThatThrownBy(() -> parse("n@eth1")).hasMessageContaining("names an interface");
        assertThatThrownBy(() -> parse("My_Net")).hasMessageContaining("'My_Net' is not an OverlayNetwork name");
        assertThatThrownBy(() -> parse("a,,b")).hasMessageContaining("'' is not an OverlayNetwork name");
        assertThatThrownBy(() -> parse("[{\"name\":\"n\",\"aliases\":[\"Not Valid\"]}]"))
                .hasMessageContaining("'Not Valid' is not a DNS name");
        assertThatThrownBy(() -> parse("[{\"name\":\"n\",\"aliases\":\"db\"}]")).hasMessageContaining("must be a list of DNS names");
    }
}

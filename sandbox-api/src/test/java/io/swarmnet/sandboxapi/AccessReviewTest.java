package io.swarmnet.sandboxapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** SelfSubjectAccessReviews answered as the configured AccessPolicy says; allowed by default. */
class AccessReviewTest {

    private static SelfSubjectAccessReview review(String verb, String group, String resource, String namespace, String name) {
        return new SelfSubjectAccessReviewBuilder().withNewSpec().withNewResourceAttributes()
                .withVerb(verb).withGroup(group).withResource(resource).withNamespace(namespace).withName(name)
                .endResourceAttributes().endSpec().build();
    }

    private static boolean allowed(SandboxApiServer api, SelfSubjectAccessReview review) {
        return api.client().authorization().v1().selfSubjectAccessReview().create(review).getStatus().getAllowed();
    }

    @Test
    void everythingIsAllowedByDefault() {
        try (SandboxApiServer api = SandboxApiServer.start()) {
            assertThat(allowed(api, review("delete", "", "pods", "default", null))).isTrue();
            assertThat(allowed(api, review("get", "apiextensions.k8s.io", "customresourcedefinitions", null,
                    "overlaynetworks.swarmnet.io"))).isTrue();
        }
    }

    @Test
    void aPolicyDeniesWhatItMatchesAndSeesTheReviewsAttributes() {
        List<AccessPolicy.Request> asked = new CopyOnWriteArrayList<>();
        AccessPolicy policy = request -> {
            asked.add(request);
            return !(request.verb().equals("update") && request.resource().equals("secrets") && request.name().equals("keys"));
        };
        try (SandboxApiServer api = SandboxApiServer.start(SandboxApiOptions.defaults().withAccessPolicy(policy))) {
            assertThat(allowed(api, review("update", "", "secrets", "swarmnet-system", "keys"))).isFalse();
            assertThat(allowed(api, review("update", "", "secrets", "swarmnet-system", "other"))).isTrue();
            assertThat(allowed(api, review("watch", "swarmnet.io", "overlaynetworks", null, null))).isTrue();
            assertThat(asked).containsExactly(
                    new AccessPolicy.Request("update", "", "secrets", "", "swarmnet-system", "keys"),
                    new AccessPolicy.Request("update", "", "secrets", "", "swarmnet-system", "other"),
                    new AccessPolicy.Request("watch", "swarmnet.io", "overlaynetworks", "", "", ""));
        }
    }

    @Test
    void aReviewWithoutAttributesIsInvalid() {
        try (SandboxApiServer api = SandboxApiServer.start()) {
            SelfSubjectAccessReview empty = new SelfSubjectAccessReviewBuilder().withNewSpec().endSpec().build();
            assertThatThrownBy(() -> api.client().authorization().v1().selfSubjectAccessReview().create(empty))
                    .isInstanceOf(KubernetesClientException.class)
                    .hasMessageContaining("exactly one of nonResourceAttributes or resourceAttributes must be specified");
        }
    }
}

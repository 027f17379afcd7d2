package io.swarmnet.sandboxapi.schema;

import static io.swarmnet.sandboxapi.schema.Admission.update;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Validation ratcheting (Kubernetes 1.30+): an object stored under an older, looser CRD stays
 * updatable as long as the update leaves its now-invalid values alone. The "stored" samples below
 * are invalid under today's CRD, as if they had been created before a rule was added.
 */
class RatchetingTest {

    private static final CrdValidator SERVICES = Crds.SWARM_SERVICE;
    private static final CrdValidator NETWORKS = Crds.OVERLAY_NETWORK;
    private static final Manifest SERVICE = Manifest.load("swarmservice-full.yaml");

    @Test
    void anUntouchedInvalidFieldDoesNotBlockAnUpdate() {
        Manifest stored = SERVICE.with("spec.updateConfig.delay", "10");
        assertThat(update(SERVICES, stored, stored.with("spec.replicas", 5))).isEmpty();
    }

    @Test
    void changingTheInvalidFieldIsValidatedAsUsual() {
        Manifest stored = SERVICE.with("spec.updateConfig.delay", "10");
        assertThat(update(SERVICES, stored, stored.with("spec.updateConfig.delay", "11"))).containsExactly(
                "spec.updateConfig.delay: Invalid value: \"11\": spec.updateConfig.delay in body should match"
                        + " '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$'");
    }

    @Test
    void aCelRuleOnAnUntouchedValueIsNotReevaluated() {
        Manifest stored = SERVICE.with("spec.networks", Manifest.list(Map.of("name", "a"), Map.of("name", "a")));
        assertThat(update(SERVICES, stored, stored.with("spec.replicas", 5))).isEmpty();
        assertThat(update(SERVICES, stored, stored.with("spec.networks", Manifest.list(Map.of("name", "a"),
                Map.of("name", "a"), Map.of("name", "b"))))).containsExactly(
                "spec.networks: Invalid value: \"array\": spec.networks lists a network more than once; list each"
                        + " network once and put every alias on that entry");
    }

    @Test
    void aRuleOnAChangedParentIsEvaluatedAgain() {
        Manifest stored = SERVICE.with("spec.mode", "global");
        assertThat(update(SERVICES, stored, stored.with("spec.template.metadata.labels", Map.of("app", "web2"))))
                .containsExactly("spec.replicas: Forbidden: spec.replicas can only be set when spec.mode is replicated;"
                        + " a global service runs one task per eligible node");
    }

    @Test
    void itemsOfAnAtomicListAreNotRatchetedOnceTheListChanges() {
        Manifest stored = SERVICE.with("spec.networks", Manifest.list(Map.of("name", "Bad_Name")));
        assertThat(update(SERVICES, stored, stored.with("spec.replicas", 1))).isEmpty();
        assertThat(update(SERVICES, stored, stored.with("spec.networks", Manifest.list(Map.of("name", "Bad_Name"),
                Map.of("name", "good"))))).containsExactly(
                "spec.networks[0].name: Invalid value: \"Bad_Name\": spec.networks[0].name in body should match"
                        + " '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'");
    }

    @Test
    void transitionRulesAreNeverRatcheted() {
        Manifest stored = Manifest.load("overlaynetwork-full.yaml").with("spec.vxlanId", 0);
        assertThat(update(NETWORKS, stored, stored.with("spec.mtu", 1500))).isEmpty();
        assertThat(update(NETWORKS, stored, stored.with("spec.vxlanId", 5))).containsExactly(
                "spec.vxlanId: Invalid value: \"integer\": spec.vxlanId cannot be changed; create a new network instead");
    }

    @Test
    void aCreateIsNeverRatcheted() {
        assertThat(Admission.create(SERVICES, SERVICE.with("spec.updateConfig.delay", "10"))).hasSize(1);
        assertThat(Admission.create(SERVICES, SERVICE.with("spec.networks", List.of(Map.of("name", "a"), Map.of("name", "a")))))
                .hasSize(1);
    }
}

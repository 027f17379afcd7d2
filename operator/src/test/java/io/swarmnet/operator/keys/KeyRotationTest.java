package io.swarmnet.operator.keys;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.operator.ClusterEvents;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The whole rotation against the embedded API, with a clock the test moves. */
class KeyRotationTest {

    private static final String NS = "swarmnet-system";
    private SandboxApiServer api;
    private KubernetesClient client;
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-25T00:00:00Z"));
    private KeyRotation rotation;
    private ClusterEvents events;

    @BeforeEach
    void start() {
        api = SandboxApiServer.start();
        client = api.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        events = new ClusterEvents(client);
        rotation = new KeyRotation(client, NS, Duration.ofHours(12), Duration.ofSeconds(30), clock, events);
    }

    @AfterEach
    void stop() {
        rotation.close();
        api.close();
    }

    private Secret secret() {
        return client.secrets().inNamespace(NS).withName(SwarmnetKeys.SECRET_ENCRYPTION_KEYS).get();
    }

    private void advance(Duration by) {
        now.set(now.get().plus(by));
    }

    @Test
    void rotatesInTheHitlessOrderAndNeverShowsKeysInEvents() {
        assertThat(rotation.step()).isInstanceOf(KeyRotationPlan.Create.class);
        Map<String, String> first = secret().getData();
        assertThat(first).containsOnlyKeys("key-1", "primary");
        assertThat(java.util.Base64.getDecoder().decode(first.get("key-1"))).hasSize(32);

        assertThat(rotation.step()).isInstanceOf(KeyRotationPlan.Wait.class);
        advance(Duration.ofHours(12));
        assertThat(rotation.step()).isEqualTo(new KeyRotationPlan.AddGeneration(2));
        assertThat(secret().getData()).containsOnlyKeys("key-1", "key-2", "primary");
        assertThat(KeyRotation.stateOf(secret()).primary()).as("old key still used outbound").isEqualTo(1);
        assertThat(secret().getData().get("key-1")).as("the old key is untouched").isEqualTo(first.get("key-1"));

        advance(Duration.ofSeconds(30));
        assertThat(rotation.step()).isEqualTo(new KeyRotationPlan.Promote(2));
        assertThat(KeyRotation.stateOf(secret()).primary()).isEqualTo(2);
        assertThat(secret().getData()).containsKeys("key-1", "key-2");

        advance(Duration.ofSeconds(30));
        assertThat(rotation.step()).isEqualTo(new KeyRotationPlan.Retire(1));
        assertThat(secret().getData()).containsOnlyKeys("key-2", "primary");
        assertThat(KeyRotation.stateOf(secret()).phase()).isEqualTo(KeyState.Phase.steady);

        String events = events();
        assertThat(events).contains("EncryptionKeyCreated", "EncryptionKeyAdded", "EncryptionKeyPromoted", "EncryptionKeyRetired");
        for (String key : new String[] {first.get("key-1"), secret().getData().get("key-2")}) {
            assertThat(events).doesNotContain(key);
        }
    }

    @Test
    void restartedOperatorContinuesARotationWhereItStood() {
        rotation.step();
        advance(Duration.ofHours(12));
        rotation.step();
        KeyRotation restarted = new KeyRotation(client, NS, Duration.ofHours(12), Duration.ofSeconds(30),
                Clock.fixed(now.get().plusSeconds(31), ZoneOffset.UTC), new ClusterEvents(client));
        assertThat(restarted.step()).isEqualTo(new KeyRotationPlan.Promote(2));
    }

    @Test
    void aNodeReportingThePrimaryKeyNearItsSequenceLimitStartsARotationLongBeforeTheInterval() {
        rotation.step();
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-a").endMetadata().build()).create();
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-b")
                .addToAnnotations(SwarmnetKeys.ANNOTATION_KEY_NEAR_LIMIT, "1").endMetadata().build()).create();
        advance(Duration.ofMinutes(10));

        assertThat(rotation.step()).isEqualTo(new KeyRotationPlan.AddGeneration(2));
        assertThat(KeyRotation.stateOf(secret()).phase()).isEqualTo(KeyState.Phase.accepting);
        String events = events();
        assertThat(events).contains("generation 2 added early: generation 1 is near its ESP sequence limit on node-b;");
    }

    @Test
    void aStaleReportOfARetiredGenerationStartsNoRotation() {
        rotation.step();
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-b")
                .addToAnnotations(SwarmnetKeys.ANNOTATION_KEY_NEAR_LIMIT, "0").endMetadata().build()).create();
        advance(Duration.ofMinutes(10));
        assertThat(rotation.step()).isInstanceOf(KeyRotationPlan.Wait.class);
    }

    private void agentNode(String name, String confirmed) {
        NodeBuilder node = new NodeBuilder().withNewMetadata().withName(name)
                .addToLabels(SwarmnetKeys.LABEL_NODE_AGENT, SwarmnetKeys.NODE_AGENT_PRESENT).endMetadata();
        if (confirmed != null) {
            node.editMetadata().addToAnnotations(SwarmnetKeys.ANNOTATION_KEY_GENERATIONS, confirmed).endMetadata();
        }
        client.nodes().resource(node.build()).createOr(existing -> existing.update());
    }

    private String events() {
        assertThat(events.flush(Duration.ofSeconds(10))).as("the events said so far are written").isTrue();
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .map(e -> e.getType() + " " + e.getReason() + " " + e.getMessage()).reduce("", (a, b) -> a + "\n" + b);
    }

    @Test
    void eachStepWaitsForEveryAgentToConfirmThePreviousOne() {
        rotation.step();
        agentNode("node-a", "accepts=1 sends=1");
        agentNode("node-b", "accepts=1 sends=1");
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("no-agent").endMetadata().build()).create();
        advance(Duration.ofHours(12));
        assertThat(rotation.step()).isEqualTo(new KeyRotationPlan.AddGeneration(2));

        agentNode("node-a", "accepts=1,2 sends=1");
        advance(Duration.ofSeconds(30));
        assertThat(rotation.step()).as("node-b has not installed generation 2 yet")
                .isEqualTo(new KeyRotationPlan.AwaitNodes(now.get().plus(KeyRotation.DEFAULT_CONFIRM_WAIT), java.util.List.of("node-b")));
        assertThat(KeyRotation.stateOf(secret()).primary()).isEqualTo(1);

        agentNode("node-b", "accepts=1,2 sends=1");
        assertThat(rotation.step()).isEqualTo(new KeyRotationPlan.Promote(2));

        agentNode("node-a", "accepts=1,2 sends=2");
        advance(Duration.ofSeconds(30));
        assertThat(rotation.step()).as("node-b still sends with generation 1").isInstanceOf(KeyRotationPlan.AwaitNodes.class);
        assertThat(secret().getData()).containsKey("key-1");
        agentNode("node-b", "accepts=1,2 sends=2");
        assertThat(rotation.step()).isEqualTo(new KeyRotationPlan.Retire(1));
        assertThat(events()).doesNotContain("Warning");
    }

    @Test
    void aNodeThatNeverConfirmsHoldsTheRotationUpOnlyForTheConfirmWaitAndIsNamedInAWarning() {
        rotation.step();
        agentNode("node-a", null);
        advance(Duration.ofHours(12));
        assertThat(rotation.step()).isEqualTo(new KeyRotationPlan.AddGeneration(2));
        advance(Duration.ofSeconds(30));
        assertThat(rotation.step()).isInstanceOf(KeyRotationPlan.AwaitNodes.class);
        advance(KeyRotation.DEFAULT_CONFIRM_WAIT);
        assertThat(rotation.step()).isEqualTo(new KeyRotationPlan.Promote(2));
        assertThat(events()).contains("Warning EncryptionKeyPromoted encryption key generation 2 is now used outbound without "
                + "confirmation from node-a after 300 s");
    }
}

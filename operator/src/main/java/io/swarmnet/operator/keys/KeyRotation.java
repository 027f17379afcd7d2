package io.swarmnet.operator.keys;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.api.contract.KeyGenerations;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.operator.ClusterEvents;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the cluster's encryption keys: creates the key Secret and rotates it in the hitless order
 * {@link KeyRotationPlan} decides. Key bytes come from SecureRandom straight into the Secret and
 * are never logged, put into events, statuses or specs: messages name generations only.
 */
public final class KeyRotation implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KeyRotation.class);
    /** Default wait between rotation steps: long enough for every agent to have acted on the previous one. */
    public static final Duration DEFAULT_SETTLE = Duration.ofSeconds(30);
    /**
     * Default wait, after the settle time, for agents that have not confirmed the previous step: a node that is down
     * or runs an agent too old to confirm holds a rotation up this long at most.
     */
    public static final Duration DEFAULT_CONFIRM_WAIT = Duration.ofMinutes(5);
    private static final int KEY_BYTES = 32;

    private final KubernetesClient client;
    private final String namespace;
    private final Duration interval;
    private final Duration settle;
    private final Duration confirmWait;
    private final Clock clock;
    private final ClusterEvents events;
    private final SecureRandom random = new SecureRandom();
    private ScheduledExecutorService timer;
    private boolean missingNamespaceReported;
    /** The nodes the last step waited for, to log a change of them once. */
    private List<String> lastAwaited = List.of();

    public KeyRotation(KubernetesClient client, String namespace, Duration interval, Duration settle, Clock clock, ClusterEvents events) {
        this(client, namespace, interval, settle, DEFAULT_CONFIRM_WAIT, clock, events);
    }

    public KeyRotation(KubernetesClient client, String namespace, Duration interval, Duration settle, Duration confirmWait, Clock clock,
            ClusterEvents events) {
        this.client = client;
        this.namespace = namespace;
        this.interval = interval;
        this.settle = settle;
        this.confirmWait = confirmWait;
        this.clock = clock;
        this.events = events;
    }

    /** Checks every {@code period} whether a step is due; the first check runs at once. */
    public void start(Duration period) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "swarmnet-key-rotation");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                step();
            } catch (RuntimeException e) {
                LOG.warn("key rotation step failed, retrying in {}: {}", period, e.toString());
            }
        }, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs one decision against the current Secret and carries it out; returns what it decided. */
    public KeyRotationPlan.Step step() {
        Secret secret = client.secrets().inNamespace(namespace).withName(SwarmnetKeys.SECRET_ENCRYPTION_KEYS).get();
        Optional<KeyState> state = secret == null ? Optional.empty() : Optional.of(stateOf(secret));
        Instant now = clock.instant();
        List<Node> nodes = state.isPresent() ? client.nodes().list(new ListOptionsBuilder().withResourceVersion("0").build()).getItems()
                : List.of();
        Map<Long, List<String>> nearLimit = state.isPresent() && state.get().phase() == KeyState.Phase.steady
                ? nodesNearLimit(nodes) : Map.of();
        Map<String, Optional<KeyGenerations>> confirmed = agentConfirmations(nodes);
        KeyRotationPlan.Step step = KeyRotationPlan.next(state, now, interval, settle, nearLimit.keySet(), confirmed, confirmWait);
        List<String> unconfirmed = state.map(s -> KeyRotationPlan.unconfirmed(s, confirmed)).orElse(List.of());
        if (step instanceof KeyRotationPlan.AwaitNodes await) {
            if (!await.nodes().equals(lastAwaited)) {
                LOG.info("key rotation waits for {} to confirm generation {} (until {} at most)", nodeList(await.nodes()),
                        state.orElseThrow().phase() == KeyState.Phase.accepting ? state.get().newest() + " inbound"
                                : state.get().primary() + " outbound", await.until());
            }
            lastAwaited = await.nodes();
            return step;
        }
        lastAwaited = List.of();
        String without = unconfirmed.isEmpty() ? "" : " without confirmation from " + nodeList(unconfirmed) + " after "
                + confirmWait.toSeconds() + " s (their agents are down or too old to confirm; encrypted traffic with them may drop "
                + "until they follow)";
        if (step instanceof KeyRotationPlan.Create) {
            create(now);
        } else if (step instanceof KeyRotationPlan.AddGeneration add) {
            List<String> reporters = nearLimit.getOrDefault(state.orElseThrow().primary(), List.of());
            String why = reporters.isEmpty() ? "" : " early: generation " + state.get().primary()
                    + " is near its ESP sequence limit on " + nodeList(reporters) + ";";
            write(secret, data -> data.put(keyEntry(add.generation()), newKey()), KeyState.Phase.accepting, now,
                    "EncryptionKeyAdded", "encryption key generation " + add.generation() + " added" + why + " agents accept it inbound", "");
        } else if (step instanceof KeyRotationPlan.Promote promote) {
            write(secret, data -> data.put(SwarmnetKeys.KEY_SECRET_PRIMARY, encode(Long.toString(promote.generation()))),
                    KeyState.Phase.switched, now, "EncryptionKeyPromoted",
                    "encryption key generation " + promote.generation() + " is now used outbound", without);
        } else if (step instanceof KeyRotationPlan.Retire retire) {
            write(secret, data -> data.remove(keyEntry(retire.generation())), KeyState.Phase.steady, now,
                    "EncryptionKeyRetired", "encryption key generation " + retire.generation() + " removed", without);
        }
        return step;
    }

    /** At most five node names, then how many more. */
    private static String nodeList(List<String> nodes) {
        return String.join(", ", nodes.subList(0, Math.min(5, nodes.size()))) + (nodes.size() > 5 ? " and " + (nodes.size() - 5)
                + " more nodes" : "");
    }

    /**
     * What the agent of every node it serves (label {@link SwarmnetKeys#LABEL_NODE_AGENT}) last confirmed, by node name
     * (annotation {@link SwarmnetKeys#ANNOTATION_KEY_GENERATIONS}; empty when absent or unreadable).
     */
    private static Map<String, Optional<KeyGenerations>> agentConfirmations(List<Node> nodes) {
        Map<String, Optional<KeyGenerations>> byNode = new TreeMap<>();
        for (Node node : nodes) {
            Map<String, String> labels = node.getMetadata().getLabels();
            if (labels != null && SwarmnetKeys.NODE_AGENT_PRESENT.equals(labels.get(SwarmnetKeys.LABEL_NODE_AGENT))) {
                byNode.put(node.getMetadata().getName(), KeyGenerations.parse(annotations(node).get(SwarmnetKeys.ANNOTATION_KEY_GENERATIONS)));
            }
        }
        return byNode;
    }

    /**
     * Per generation, the nodes whose agents report it near its sequence limit (annotation
     * {@link SwarmnetKeys#ANNOTATION_KEY_NEAR_LIMIT}). Nodes are listed from the API server's cache (resourceVersion 0):
     * this runs every check, and a report a few seconds old is as good. An unreadable value is skipped (never written by
     * an agent).
     */
    private static Map<Long, List<String>> nodesNearLimit(List<Node> nodes) {
        Map<Long, List<String>> byGeneration = new TreeMap<>();
        for (Node node : nodes) {
            String value = annotations(node).get(SwarmnetKeys.ANNOTATION_KEY_NEAR_LIMIT);
            if (value != null && value.strip().matches("\\d{1,18}")) {
                byGeneration.computeIfAbsent(Long.parseLong(value.strip()), g -> new ArrayList<>()).add(node.getMetadata().getName());
            }
        }
        return byGeneration;
    }

    private static Map<String, String> annotations(Node node) {
        return node.getMetadata().getAnnotations() == null ? Map.of() : node.getMetadata().getAnnotations();
    }

    static KeyState stateOf(Secret secret) {
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        List<Long> generations = new ArrayList<>();
        data.keySet().stream().filter(k -> k.startsWith(SwarmnetKeys.KEY_SECRET_KEY_PREFIX))
                .forEach(k -> generations.add(Long.parseLong(k.substring(SwarmnetKeys.KEY_SECRET_KEY_PREFIX.length()))));
        generations.sort(null);
        long primary = Long.parseLong(decode(data.getOrDefault(SwarmnetKeys.KEY_SECRET_PRIMARY, encode("0"))).trim());
        Map<String, String> annotations = secret.getMetadata().getAnnotations() == null ? Map.of() : secret.getMetadata().getAnnotations();
        KeyState.Phase phase = KeyState.Phase.valueOf(annotations.getOrDefault(SwarmnetKeys.ANNOTATION_KEY_PHASE, "steady"));
        Instant since = Optional.ofNullable(annotations.get(SwarmnetKeys.ANNOTATION_KEY_PHASE_SINCE)).map(Instant::parse)
                .orElse(Instant.parse(secret.getMetadata().getCreationTimestamp() != null
                        ? secret.getMetadata().getCreationTimestamp() : "1970-01-01T00:00:00Z"));
        return new KeyState(generations, primary, phase, since);
    }

    private void create(Instant now) {
        Secret secret = new SecretBuilder().withNewMetadata().withName(SwarmnetKeys.SECRET_ENCRYPTION_KEYS).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/managed-by", "swarmnet-operator")
                .addToAnnotations(SwarmnetKeys.ANNOTATION_KEY_PHASE, KeyState.Phase.steady.name())
                .addToAnnotations(SwarmnetKeys.ANNOTATION_KEY_PHASE_SINCE, now.toString()).endMetadata()
                .withType("Opaque")
                .addToData(keyEntry(1), newKey())
                .addToData(SwarmnetKeys.KEY_SECRET_PRIMARY, encode("1"))
                .build();
        try {
            Secret created = client.secrets().inNamespace(namespace).resource(secret).create();
            events.normal(created, "EncryptionKeyCreated", "encryption key generation 1 created");
            LOG.info("created encryption key Secret {}/{} (generation 1)", namespace, SwarmnetKeys.SECRET_ENCRYPTION_KEYS);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404 && !missingNamespaceReported) {
                missingNamespaceReported = true;
                LOG.warn("cannot create the encryption key Secret: namespace {} does not exist; create it (helm install "
                        + "--create-namespace does) or set SWARMNET_OPERATOR_NAMESPACE", namespace);
            } else if (e.getCode() != 409 && e.getCode() != 404) {
                throw e;
            }
        }
    }

    private interface DataChange {
        void apply(Map<String, String> data);
    }

    /** @param without empty, or the nodes the step goes on without: then a Warning event says so */
    private void write(Secret current, DataChange change, KeyState.Phase phase, Instant now, String reason, String message, String without) {
        Map<String, String> data = new HashMap<>(current.getData());
        change.apply(data);
        current.setData(data);
        Map<String, String> annotations = new HashMap<>(current.getMetadata().getAnnotations() == null
                ? Map.of() : current.getMetadata().getAnnotations());
        annotations.put(SwarmnetKeys.ANNOTATION_KEY_PHASE, phase.name());
        annotations.put(SwarmnetKeys.ANNOTATION_KEY_PHASE_SINCE, now.toString());
        current.getMetadata().setAnnotations(annotations);
        // optimistic locking: if another operator replica wrote first, this fails and the next check re-decides
        Secret written = client.secrets().inNamespace(namespace).resource(current).update();
        if (without.isEmpty()) {
            events.normal(written, reason, message);
            LOG.info(message);
        } else {
            events.warning(written, reason, message + without);
            LOG.warn(message + without);
        }
    }

    private String newKey() {
        byte[] key = new byte[KEY_BYTES];
        random.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    private static String keyEntry(long generation) {
        return SwarmnetKeys.KEY_SECRET_KEY_PREFIX + generation;
    }

    private static String encode(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}

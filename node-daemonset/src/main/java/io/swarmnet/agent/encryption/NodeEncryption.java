package io.swarmnet.agent.encryption;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.encryption.userspace.EspTunnel;
import io.swarmnet.agent.encryption.userspace.SequenceStore;
import io.swarmnet.api.Patches;
import io.swarmnet.api.contract.KeyGenerations;
import io.swarmnet.api.contract.NodeNetworkState.EncryptionMode;
import io.swarmnet.api.contract.SwarmnetKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's part of encryption: follows the key Secret (by name, the only Secret the agent may
 * read), programs the plan for each desired datapath, and reports on its Node when the key in use
 * comes near its sequence limit (annotation {@link SwarmnetKeys#ANNOTATION_KEY_NEAR_LIMIT}), so that
 * the operator rotates it early.
 */
public final class NodeEncryption implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeEncryption.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final EncryptionDatapath datapath;
    private final SharedIndexInformer<Secret> secret;
    private volatile KeyRing keys = KeyRing.NONE;
    private String lastProblem;
    private final KubernetesClient client;
    private final String nodeName;
    /** What the Node's near-limit annotation says as far as this agent wrote it; null: not written yet. */
    private Optional<Long> reportedNearLimit;
    /** What the Node's key-generations annotation says as far as this agent wrote it; null: not written yet. */
    private Optional<KeyGenerations> confirmedGenerations;
    /** Whether the last {@link #prepare} programmed every encrypted network: only then does finish confirm the keys. */
    private boolean lastPrepareOk;
    /**
     * Writes the report as soon as the userspace datapath notices an SA near its limit: a round would not (its plan did
     * not change), and the sealing thread that notices must not wait for the API server.
     */
    private final ExecutorService reporter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "swarmnet-key-near-limit");
        t.setDaemon(true);
        return t;
    });

    public NodeEncryption(KubernetesClient client, String nodeName, EncryptionSettings settings, Runnable onKeysChanged) {
        this.client = client;
        this.nodeName = nodeName;
        KernelTools tools = KernelTools.forAgent(java.time.Duration.ofSeconds(30));
        EncryptionMode mode = chooseMode(tools, settings);
        this.datapath = new EncryptionDatapath(tools, settings.host(), settings.prefix(), settings.vxlanPort(), mode, () -> {
            try {
                return SequenceStore.open(settings.stateDirectory());
            } catch (IOException e) {
                throw new UncheckedIOException("the userspace ESP datapath needs its state directory " + settings.stateDirectory()
                        + " (SWARMNET_STATE_DIR): " + e.getMessage(), e);
            }
        }, settings.sequenceLimit(), this::nearLimitNoticed);
        this.secret = client.secrets().inNamespace(settings.keyNamespace()).withName(SwarmnetKeys.SECRET_ENCRYPTION_KEYS)
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Secret s) {
                        read(s);
                        onKeysChanged.run();
                    }

                    @Override
                    public void onUpdate(Secret before, Secret after) {
                        read(after);
                        onKeysChanged.run();
                    }

                    @Override
                    public void onDelete(Secret s, boolean unknownState) {
                        keys = KeyRing.NONE;
                        onKeysChanged.run();
                    }
                }, 0);
    }

    /** Kernel ESP where configured or, with auto, where the kernel holds ESP-in-UDP states; otherwise userspace. */
    static EncryptionMode chooseMode(KernelTools tools, EncryptionSettings settings) {
        switch (settings.mode()) {
            case kernel:
                return EncryptionMode.Kernel;
            case userspace:
                LOG.info("encryption: the userspace ESP datapath (SWARMNET_ENCRYPTION_MODE=userspace)");
                return EncryptionMode.Userspace;
            default:
                Optional<String> missing = KernelEsp.missing(tools, settings.host());
                if (missing.isEmpty()) {
                    LOG.info("encryption: kernel ESP-in-UDP (the kernel holds rfc4106(gcm(aes)) states)");
                    return EncryptionMode.Kernel;
                }
                LOG.info("encryption: the userspace ESP datapath over TUN, because this kernel cannot hold ESP states ({})", missing.get());
                return EncryptionMode.Userspace;
        }
    }

    public EncryptionMode mode() {
        return datapath.mode();
    }

    /** The userspace datapath while it runs. */
    public Optional<EspTunnel> tunnel() {
        return datapath.tunnel();
    }

    private void read(Secret s) {
        try {
            keys = KeyRing.fromSecretData(s.getData());
            lastProblem = null;
        } catch (IllegalArgumentException e) {
            // keep the last good keys: a half-written Secret must not stop encrypted traffic
            if (!e.getMessage().equals(lastProblem)) {
                LOG.warn("key Secret {}/{} is unusable, keeping the previous keys: {}", s.getMetadata().getNamespace(),
                        s.getMetadata().getName(), e.getMessage());
                lastProblem = e.getMessage();
            }
        }
    }

    public EncryptionPlan plan(NodeDatapath desired) {
        return EncryptionPlan.of(desired, keys);
    }

    /** Before the datapath changes: adds marking, policies and SAs; and reports a key near its sequence limit. */
    public EncryptionDatapath.Report prepare(EncryptionPlan plan) {
        EncryptionDatapath.Report report = datapath.prepare(plan);
        lastPrepareOk = report.messages().isEmpty();
        reportNearLimit(datapath.generationsNearLimit(plan).stream().max(Long::compare));
        return report;
    }

    /** On the userspace datapath's sealing thread: report from the reporter's. */
    private void nearLimitNoticed() {
        reporter.execute(() -> reportNearLimit(datapath.tunnel().flatMap(t -> t.generationsNearLimit().stream().max(Long::compare))));
    }

    /**
     * Writes the near-limit annotation when it changes; a failed write is retried by the next round that programs
     * encryption (at least every resync).
     */
    private synchronized void reportNearLimit(Optional<Long> generation) {
        if (!generation.equals(reportedNearLimit) && annotate(SwarmnetKeys.ANNOTATION_KEY_NEAR_LIMIT, generation.map(String::valueOf))) {
            reportedNearLimit = generation;
            generation.ifPresent(g -> LOG.info("encryption: key generation {} is near its ESP sequence limit on node {}; "
                    + "asked the operator for the next one", g, nodeName));
        }
    }

    /** After the datapath changed: removes what is no longer needed, then confirms the key generations now in use. */
    public void finish(EncryptionPlan plan) {
        datapath.finish(plan);
        if (lastPrepareOk) {
            confirmGenerations(plan.keys());
        }
    }

    /**
     * Confirms on the Node which generations this agent accepts and sends with, once they are programmed, so that the
     * operator's rotation moves on only when every node has followed. A failed write is retried by the next round.
     */
    private synchronized void confirmGenerations(Optional<KeyGenerations> generations) {
        if (!generations.equals(confirmedGenerations)
                && annotate(SwarmnetKeys.ANNOTATION_KEY_GENERATIONS, generations.map(KeyGenerations::format))) {
            confirmedGenerations = generations;
            generations.ifPresent(g -> LOG.debug("encryption: confirmed key generations {} on node {}", g.format(), nodeName));
        }
    }

    /** Sets (or, with empty, removes) one annotation on this agent's Node; false when the write failed (logged). */
    private boolean annotate(String key, Optional<String> value) {
        ObjectNode patch = JSON.createObjectNode();
        ObjectNode annotations = patch.putObject("metadata").putObject("annotations");
        if (value.isPresent()) {
            annotations.put(key, value.get());
        } else {
            annotations.putNull(key); // a merge patch removes what it sets to null
        }
        try {
            Patches.send(client, Patches.node(nodeName), null, PatchType.JSON_MERGE, patch.toString());
            return true;
        } catch (KubernetesClientException e) {
            LOG.warn("could not write annotation {} on node {}: {}; retrying on the next round", key, nodeName, e.getMessage());
            return false;
        }
    }

    /** Stops watching the keys and the userspace datapath (which fails closed: its TUN device disappears). */
    @Override
    public void close() {
        reporter.shutdownNow();
        secret.close();
        datapath.close();
    }
}

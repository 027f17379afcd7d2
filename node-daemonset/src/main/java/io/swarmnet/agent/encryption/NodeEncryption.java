package io.swarmnet.agent.encryption;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.encryption.userspace.EspTunnel;
import io.swarmnet.agent.encryption.userspace.SequenceStore;
import io.swarmnet.api.contract.NodeNetworkState.EncryptionMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import io.swarmnet.api.contract.SwarmnetKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's part of encryption: follows the key Secret (by name, the only Secret the agent may
 * read) and programs the plan for each desired datapath.
 */
public final class NodeEncryption implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeEncryption.class);
    private final EncryptionDatapath datapath;
    private final SharedIndexInformer<Secret> secret;
    private volatile KeyRing keys = KeyRing.NONE;
    private String lastProblem;

    public NodeEncryption(KubernetesClient client, EncryptionSettings settings, Runnable onKeysChanged) {
        KernelTools tools = KernelTools.forAgent(java.time.Duration.ofSeconds(30));
        EncryptionMode mode = chooseMode(tools, settings);
        this.datapath = new EncryptionDatapath(tools, settings.host(), settings.prefix(), settings.vxlanPort(), mode, () -> {
            try {
                return SequenceStore.open(settings.stateDirectory());
            } catch (IOException e) {
                throw new UncheckedIOException("the userspace ESP datapath needs its state directory " + settings.stateDirectory()
                        + " (SWARMNET_STATE_DIR): " + e.getMessage(), e);
            }
        });
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
                Optional<String> missing = EncryptionDatapath.kernelEspMissing(tools, settings.host());
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

    /** Before the datapath changes: adds marking, policies and SAs. */
    public EncryptionDatapath.Report prepare(EncryptionPlan plan) {
        return datapath.prepare(plan);
    }

    /** After the datapath changed: removes what is no longer needed. */
    public void finish(EncryptionPlan plan) {
        datapath.finish(plan);
    }

    /** Stops watching the keys and the userspace datapath (which fails closed: its TUN device disappears). */
    @Override
    public void close() {
        secret.close();
        datapath.close();
    }
}

package io.swarmnet.agent.encryption;

import io.swarmnet.agent.datapath.NetNamespace;
import io.swarmnet.agent.datapath.VxlanPort;
import java.nio.file.Path;

/**
 * Where this agent programs encryption, how, and where it reads the keys.
 *
 * @param host           the node's host namespace (VXLAN's UDP sockets live there; so do the xfrm policies and the TUN device)
 * @param prefix         the agent's kernel-object prefix (names the nft table and the TUN device)
 * @param keyNamespace   namespace of the key Secret (the operator's)
 * @param mode           kernel ESP, the userspace datapath, or the first of the two this node can run
 * @param stateDirectory where the userspace datapath keeps its sequence-number reservations: must survive agent restarts
 * @param vxlanPort      the port of the VXLAN traffic to encrypt (the datapath's)
 * @param sequenceLimit  how far an outbound SA's sequence numbers go, and from where on the node asks for a new key
 */
public record EncryptionSettings(NetNamespace host, String prefix, String keyNamespace, ModeSetting mode, Path stateDirectory,
        VxlanPort vxlanPort, SequenceLimit sequenceLimit) {

    /** For VXLAN on the default port. */
    public EncryptionSettings(NetNamespace host, String prefix, String keyNamespace, ModeSetting mode, Path stateDirectory) {
        this(host, prefix, keyNamespace, mode, stateDirectory, VxlanPort.DEFAULT);
    }

    /** With ESP's own sequence limit. */
    public EncryptionSettings(NetNamespace host, String prefix, String keyNamespace, ModeSetting mode, Path stateDirectory,
            VxlanPort vxlanPort) {
        this(host, prefix, keyNamespace, mode, stateDirectory, vxlanPort, SequenceLimit.ESP);
    }

    /** SWARMNET_ENCRYPTION_MODE. */
    public enum ModeSetting {
        /** Kernel ESP where the kernel holds ESP-in-UDP states, otherwise the userspace datapath. */
        auto,
        /** Kernel ESP only: on a kernel without ESP, encrypted networks fail closed and say why. */
        kernel,
        /** The userspace datapath even where the kernel has ESP. */
        userspace
    }

    public EncryptionSettings withMode(ModeSetting setting) {
        return new EncryptionSettings(host, prefix, keyNamespace, setting, stateDirectory, vxlanPort, sequenceLimit);
    }

    public EncryptionSettings withStateDirectory(Path directory) {
        return new EncryptionSettings(host, prefix, keyNamespace, mode, directory, vxlanPort, sequenceLimit);
    }

    public EncryptionSettings withVxlanPort(VxlanPort port) {
        return new EncryptionSettings(host, prefix, keyNamespace, mode, stateDirectory, port, sequenceLimit);
    }

    public EncryptionSettings withSequenceLimit(SequenceLimit limit) {
        return new EncryptionSettings(host, prefix, keyNamespace, mode, stateDirectory, vxlanPort, limit);
    }
}

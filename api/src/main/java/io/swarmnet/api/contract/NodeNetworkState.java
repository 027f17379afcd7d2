package io.swarmnet.api.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One node's state for one network, as its agent publishes it.
 *
 * @param vxlanId         VNI programmed on the node
 * @param localTasks      tasks of the network attached on this node
 * @param peers           other nodes this node has FDB entries for
 * @param encryption      {@link Encryption} state
 * @param encryptionMode  how this node encrypts the network ({@link EncryptionMode}); null when the network
 *                        is not encrypted or the node has not chosen yet (and in annotations written before
 *                        the field existed)
 * @param message         why the datapath is not as desired (null when it is)
 */
// a field a newer agent adds must not make an older operator drop the node's whole report
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeNetworkState(int vxlanId, int localTasks, int peers, Encryption encryption, EncryptionMode encryptionMode,
        String message) {

    /** A state that does not say how the node encrypts: {@code encryptionMode} is null. */
    public NodeNetworkState(int vxlanId, int localTasks, int peers, Encryption encryption, String message) {
        this(vxlanId, localTasks, peers, encryption, null, message);
    }

    /** Encryption between this node and its peers on one network. */
    public enum Encryption {
        /** The network is not encrypted. */
        NotRequested,
        /** Every peer has a working ESP path. */
        Established,
        /** Encryption is wanted but not working; traffic fails closed. */
        Failed
    }

    /** Which datapath carries a node's ESP for an encrypted network. */
    public enum EncryptionMode {
        /** IPsec ESP-in-UDP states in the node's kernel (xfrm). */
        Kernel,
        /** The node agent's ESP-in-UDP datapath through a TUN device, used where the kernel has no ESP. */
        Userspace
    }
}

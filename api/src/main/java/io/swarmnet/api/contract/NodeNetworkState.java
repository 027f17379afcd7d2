package io.swarmnet.api.contract;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One node's state for one network, as its agent publishes it.
 *
 * @param vxlanId     VNI programmed on the node
 * @param localTasks  tasks of the network attached on this node
 * @param peers       other nodes this node has FDB entries for
 * @param encryption  {@link Encryption} state
 * @param message     why the datapath is not as desired (null when it is)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeNetworkState(int vxlanId, int localTasks, int peers, Encryption encryption, String message) {

    /** Encryption between this node and its peers on one network. */
    public enum Encryption {
        /** The network is not encrypted. */
        NotRequested,
        /** Every peer has a working ESP path. */
        Established,
        /** Encryption is wanted but not working; traffic fails closed. */
        Failed
    }
}

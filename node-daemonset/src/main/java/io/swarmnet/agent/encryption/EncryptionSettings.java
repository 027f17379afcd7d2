package io.swarmnet.agent.encryption;

import io.swarmnet.agent.datapath.NetNamespace;

/**
 * Where this agent programs encryption and where it reads the keys.
 *
 * @param host          the node's host namespace (VXLAN's UDP sockets live there; so do the xfrm policies)
 * @param prefix        the agent's kernel-object prefix (names the nft table)
 * @param keyNamespace  namespace of the key Secret (the operator's)
 */
public record EncryptionSettings(NetNamespace host, String prefix, String keyNamespace) {
}

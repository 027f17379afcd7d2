package io.swarmnet.agent.cluster;

import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import java.util.OptionalInt;

/**
 * An OverlayNetwork whose subnet, gateway and VXLAN id the operator has allocated: only such networks
 * appear in a {@link ClusterSnapshot}.
 *
 * @param mtu      the network's spec.mtu when the user set one; otherwise each node derives it from its underlay
 * @param internal the network's spec.internal: no task forwards between it and anything else
 * @param shared   the network has spec.shareWith: tasks and pods of other namespaces may be on it
 */
public record NetworkInfo(NetworkKey key, Vni vni, Cidr subnet, IpAddress gateway, boolean encrypted, OptionalInt mtu,
        boolean internal, boolean shared) {

    /**
     * Whether tasks, pods and services of {@code namespace} may be on the network. Which namespaces its
     * spec.shareWith.namespaceSelector admits is the operator's to decide (it writes the addresses, and keeps running tasks of a
     * namespace that stopped matching); a network that is not shared at all admits only its own namespace here, so an
     * address written by hand on a pod of another namespace never joins it, and removing spec.shareWith detaches every
     * other namespace at once.
     */
    public boolean admits(String namespace) {
        return shared || key.namespace().equals(namespace);
    }
}

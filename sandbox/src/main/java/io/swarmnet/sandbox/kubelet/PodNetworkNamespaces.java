package io.swarmnet.sandbox.kubelet;

import io.swarmnet.agent.desired.PodRef;

/**
 * Creates and removes pods' network namespaces on simulated nodes. The sandbox implements it with the
 * node agent's simulation harness, so the namespaces the kubelet runs containers in are exactly the ones
 * the node agent's locator finds and attaches.
 */
public interface PodNetworkNamespaces {

    /**
     * Creates (or finds, when it already exists) the network namespace of {@code pod} on {@code node}, with
     * its loopback up, and returns its name as {@code ip netns} knows it.
     */
    String create(PodRef pod, String node);

    /** Removes the pod's namespace; nothing happens when it does not exist. */
    void remove(PodRef pod);
}

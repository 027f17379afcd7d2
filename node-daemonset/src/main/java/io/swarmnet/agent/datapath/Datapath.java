package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.NodeDatapath;

/**
 * Brings a node's kernel to a desired state. Two implementations: the Linux one (ip/bridge batches,
 * nft transactions) and a recording fake for tests of everything above it.
 */
public interface Datapath {

    /**
     * Reads what the kernel holds, computes the difference to {@code desired} and applies only that.
     * A failure for one pod or network is reported in the result, never thrown, and never stops the others.
     * Objects that are not swarmnet's are never touched.
     */
    ApplyReport apply(NodeDatapath desired);
}

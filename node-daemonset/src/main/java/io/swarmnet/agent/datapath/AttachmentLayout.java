package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.PodAttachment;
import io.swarmnet.agent.desired.PodRef;
import java.util.Set;

/**
 * How a network's local tasks hang on its VXLAN device inside the network namespace ({@link PodAttachmentMode}): one
 * implementation per mode. {@link DatapathPlanner} keeps what both share — the namespace, the VXLAN device and its
 * entries for remote tasks, the pod interface's MAC, MTU, address, alias and device group — and asks the layout for the
 * rest. Each layout also deletes what the other one leaves, so that switching a node's mode converges like any drift.
 */
sealed interface AttachmentLayout permits BridgedVeths, MacvlanChildren {

    static AttachmentLayout of(PodAttachmentMode mode, KernelNames names) {
        return switch (mode) {
            case VETH -> new BridgedVeths(names);
            case MACVLAN -> new MacvlanChildren(names);
        };
    }

    /**
     * The network namespace's devices besides the VXLAN device (the one holding the gateway address), the VXLAN
     * device's MTU and attachment to them, and the removal of the other layout's devices.
     */
    void networkDevices(NetworkSite site);

    /** Whether {@code podEnd}, the pod's interface for the network, hangs on the network as this layout has it. */
    boolean hangsRight(NetworkSite site, PodRef pod, LinkState podEnd);

    /**
     * Makes the pod's interface (the device only: the planner then sets its alias, group, address and brings it up in
     * the pod's namespace) and deletes what stood in its way on the network's side.
     */
    void createPodEnd(NetworkSite site, PodRef pod, PodAttachment attachment, NetNamespace podNamespace);

    /** What the pod's interface needs on the network's side once it exists ({@code recreated}: it was just made). */
    void afterPodEnd(NetworkSite site, PodRef pod, PodAttachment attachment, boolean recreated);

    /** Deletes the network namespace's per-task devices that belong to none of {@code pods}. */
    void pruneLeftovers(NetworkSite site, Set<PodRef> pods);
}

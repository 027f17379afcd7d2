package io.swarmnet.agent.datapath;

import io.swarmnet.agent.datapath.Plan.Owner;
import io.swarmnet.agent.desired.PodAttachment;
import io.swarmnet.agent.desired.PodRef;
import java.util.Set;

/**
 * {@link PodAttachmentMode#MACVLAN}: every task's interface is a macvlan child (mode bridge) of the network's VXLAN
 * device, created in the network namespace straight into the pod's; no bridge, no veth. The children of one VXLAN
 * device switch frames between themselves; what leaves through the VXLAN device meets the same static neighbour and
 * FDB entries as with a bridge, and the device's {@code proxy} answers a task's ARP for a remote task (the answer comes
 * back up through the VXLAN device to the asking child). A lower device cannot talk to its own children, so the gateway
 * address is held by a child of its own ({@link KernelNames#gateway}) in the network namespace. Deleting the VXLAN
 * device deletes every child: a recreated device means recreated task interfaces.
 */
record MacvlanChildren(KernelNames names) implements AttachmentLayout {

    @Override
    public void networkDevices(NetworkSite site) {
        BridgedVeths.pruneBridge(site, names);
        site.attachVxlan(" nomaster", site.vxlanLink() != null && site.vxlanLink().master() == null);
        String gateway = names.gateway(site.network().vni());
        LinkState gatewayLink = site.links().get(gateway);
        boolean right = gatewayLink != null && site.vxlanLink() != null && gatewayLink.macvlan() != null
                && gatewayLink.macvlan().bridgeModeOn(site.vxlan());
        if (gatewayLink != null && !right && !goesWithVxlan(site, gatewayLink)) {
            site.prune(gateway, site.owner());
        }
        if (!right) {
            site.device("link add link " + site.vxlan() + " name " + gateway + " type macvlan mode bridge", site.owner());
        }
        if (!right || gatewayLink.mtu() != site.network().mtu() || !gatewayLink.up()) {
            site.device("link set dev " + gateway + " mtu " + site.network().mtu() + " up", site.owner());
        }
        site.holdGateway(gateway, right ? gatewayLink : null);
    }

    @Override
    public boolean hangsRight(NetworkSite site, PodRef pod, LinkState podEnd) {
        // seen from the pod, the lower device is an index in another namespace: the VXLAN device's, if it is kept
        return podEnd.kind().equals("macvlan") && site.vxlanLink() != null && podEnd.macvlan() != null
                && podEnd.macvlan().bridgeModeOnIndex(site.vxlanLink().index());
    }

    @Override
    public void createPodEnd(NetworkSite site, PodRef pod, PodAttachment attachment, NetNamespace podNamespace) {
        // made in the network namespace, where its lower device is, and placed in the pod's at once: its name may be
        // taken in the network namespace by another pod's
        String target = podNamespace.enterPath().orElseThrow(() -> new IllegalStateException("pod " + pod
                + " has no network namespace of its own")).toString();
        site.device("link add link " + site.vxlan() + " name " + attachment.interfaceName() + " address " + attachment.mac()
                + " mtu " + attachment.mtu() + " netns " + target + " type macvlan mode bridge", new Owner.Pod(pod));
    }

    @Override
    public void afterPodEnd(NetworkSite site, PodRef pod, PodAttachment attachment, boolean recreated) {
        // nothing on the network's side: the child is all there is
    }

    @Override
    public void pruneLeftovers(NetworkSite site, Set<PodRef> pods) {
        BridgedVeths.pruneBridgePorts(site, names, Set.of());
    }

    /** Deletes the veth layout's leftover: a gateway child, unless it goes with a VXLAN device being recreated. */
    static void pruneGatewayChild(NetworkSite site, KernelNames names) {
        LinkState child = site.links().get(names.gateway(site.network().vni()));
        if (child != null && !goesWithVxlan(site, child)) {
            site.prune(child.name(), site.owner());
        }
    }

    /** A child of the network's VXLAN device while that device is about to be deleted: the kernel deletes it too. */
    private static boolean goesWithVxlan(NetworkSite site, LinkState link) {
        return site.vxlanLink() == null && link.macvlan() != null && site.vxlan().equals(link.macvlan().lowerName());
    }
}

package io.swarmnet.agent.datapath;

import io.swarmnet.agent.datapath.Plan.Command;
import io.swarmnet.agent.datapath.Plan.Owner;
import io.swarmnet.agent.desired.PodAttachment;
import io.swarmnet.agent.desired.PodRef;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@link PodAttachmentMode#VETH}, libnetwork's layout: a bridge in the network namespace holding the gateway address
 * with the VXLAN device enslaved, and per task a veth pair whose pod end is named by the user and whose bridge end
 * ({@link KernelNames#bridgePort}) is a port of the bridge.
 */
record BridgedVeths(KernelNames names) implements AttachmentLayout {

    @Override
    public void networkDevices(NetworkSite site) {
        MacvlanChildren.pruneGatewayChild(site, names);
        String bridge = names.bridge(site.network().vni());
        LinkState bridgeLink = site.links().get(bridge);
        if (bridgeLink != null && !bridgeLink.kind().equals("bridge")) {
            site.prune(bridge, site.owner());
            bridgeLink = null;
        }
        if (bridgeLink == null) {
            site.device("link add name " + bridge + " type bridge", site.owner());
        }
        if (bridgeLink == null || bridgeLink.mtu() != site.network().mtu() || !bridgeLink.up()) {
            site.device("link set dev " + bridge + " mtu " + site.network().mtu() + " up", site.owner());
        }
        site.holdGateway(bridge, bridgeLink);
        site.attachVxlan(" master " + bridge, site.vxlanLink() != null && bridge.equals(site.vxlanLink().master()));
    }

    @Override
    public boolean hangsRight(NetworkSite site, PodRef pod, LinkState podEnd) {
        return podEnd.kind().equals("veth") && site.link(names.bridgePort(pod, site.network().key()), "veth") != null;
    }

    @Override
    public void createPodEnd(NetworkSite site, PodRef pod, PodAttachment attachment, NetNamespace podNamespace) {
        String port = names.bridgePort(pod, site.network().key());
        Owner owner = new Owner.Pod(pod);
        if (site.links().containsKey(port)) {
            // deleting one end of a veth pair deletes both: the pod end goes with it
            site.prune(port, owner);
        }
        site.steps().pod(pod, new Command("link add name " + attachment.interfaceName() + " mtu " + attachment.mtu() + " address "
                + attachment.mac() + " type veth peer name " + port + " mtu " + attachment.mtu() + " netns " + site.namespace(), owner,
                List.of(site.owner())));
    }

    @Override
    public void afterPodEnd(NetworkSite site, PodRef pod, PodAttachment attachment, boolean recreated) {
        String port = names.bridgePort(pod, site.network().key());
        String bridge = names.bridge(site.network().vni());
        LinkState portLink = site.links().get(port);
        if (recreated || !bridge.equals(portLink.master()) || portLink.mtu() != attachment.mtu() || !portLink.up()
                || !names.bridgePortAlias(pod).equals(portLink.alias())) {
            Owner owner = new Owner.Pod(pod);
            site.steps().port(site.namespace(), new Command("link set dev " + port + " master " + bridge + " mtu " + attachment.mtu()
                    + " alias " + names.bridgePortAlias(pod) + " up", owner, List.of(site.owner(), owner)));
        }
    }

    @Override
    public void pruneLeftovers(NetworkSite site, Set<PodRef> pods) {
        Set<String> wanted = pods.stream().map(p -> names.bridgePort(p, site.network().key())).collect(Collectors.toSet());
        pruneBridgePorts(site, names, wanted);
    }

    /** Deletes our bridge ports other than {@code keep} (each with the pod end of its veth). */
    static void pruneBridgePorts(NetworkSite site, KernelNames names, Set<String> keep) {
        site.links().values().stream().sorted(Comparator.comparing(LinkState::name))
                .filter(l -> names.isOurBridgePort(l.name()) && !keep.contains(l.name()))
                .forEach(l -> site.prune(l.name(), site.owner()));
    }

    /** Deletes the bridge of the veth layout, if there is one: its ports are deleted by {@link #pruneBridgePorts}. */
    static void pruneBridge(NetworkSite site, KernelNames names) {
        String bridge = names.bridge(site.network().vni());
        if (site.links().containsKey(bridge)) {
            site.prune(bridge, site.owner());
        }
    }
}

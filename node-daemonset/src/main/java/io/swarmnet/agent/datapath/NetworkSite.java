package io.swarmnet.agent.datapath;

import io.swarmnet.agent.datapath.Plan.Command;
import io.swarmnet.agent.datapath.Plan.Owner;
import io.swarmnet.agent.desired.NetworkDatapath;
import java.util.List;
import java.util.Map;

/**
 * One network being planned on a node: its network namespace as read, its VXLAN device, and where its commands go.
 *
 * @param links     the network namespace's devices as read (empty for a namespace about to be created)
 * @param vxlan     the name of the network's VXLAN device
 * @param vxlanLink the VXLAN device as read when it is kept, null when it is about to be (re)created: whatever hangs on
 *                  an old one goes with it
 */
record NetworkSite(NetworkDatapath network, String namespace, Map<String, LinkState> links, String vxlan, LinkState vxlanLink,
        Owner owner, PlanSteps steps) {

    /** Deletes a device of the network namespace before anything is made there. */
    void prune(String device, Owner by) {
        steps.prune(namespace, new Command("link del dev " + device, by));
    }

    /** A line run in the network namespace once its VXLAN device is there; skipped when the network failed before. */
    void device(String line, Owner by) {
        steps.device(namespace, new Command(line, by, List.of(owner)));
    }

    /** Makes {@code device} (null: about to be created) hold the gateway address and no other IPv4 address. */
    void holdGateway(String name, LinkState device) {
        LinkState.InterfaceAddress gateway = new LinkState.InterfaceAddress(network.gateway(), network.subnet().prefixLength());
        if (device == null || !device.addresses().contains(gateway)) {
            device("addr add " + gateway + " dev " + name, owner);
        }
        if (device != null) {
            device.addresses().stream().filter(a -> !a.equals(gateway)).forEach(extra -> device("addr del " + extra + " dev " + name, owner));
        }
    }

    /** Sets the VXLAN device's MTU, brings it up and attaches it ({@code how}: " master BRIDGE", " nomaster"), unless it is so. */
    void attachVxlan(String how, boolean attached) {
        if (vxlanLink == null || vxlanLink.mtu() != network.mtu() || !attached || !vxlanLink.up()) {
            device("link set dev " + vxlan + how + " mtu " + network.mtu() + " up", owner);
        }
    }

    /** A device of the network namespace of {@code kind}, or null when there is none or one of another kind. */
    LinkState link(String name, String kind) {
        LinkState link = links.get(name);
        return link != null && link.kind().equals(kind) ? link : null;
    }
}

package io.swarmnet.agent.datapath;

/**
 * How a task's interface is joined to its network's VXLAN device in the network namespace
 * ({@code SWARMNET_POD_ATTACHMENT}, chart value {@code agent.podAttachment}). Every node may use either: the frames
 * on the wire are the same.
 */
public enum PodAttachmentMode {
    /**
     * A veth pair per task, its network end a port of a bridge that also holds the VXLAN device and the gateway address:
     * libnetwork's layout, and a bridge port per task for whoever wants to look at or hook into a task's traffic there.
     */
    VETH("veth"),
    /**
     * A macvlan child (mode bridge) of the VXLAN device per task, moved into the pod; the gateway address on a child of
     * its own in the network namespace; no bridge, no veth. One hop less per packet each way.
     */
    MACVLAN("macvlan");

    /**
     * Macvlan: measured 3-5 % faster task to task than veth + bridge and as fast through a VIP as direct
     * (docs/benchmarks.md), and every end-to-end test passes with it. The chart's {@code agent.podAttachment} says the same.
     */
    public static final PodAttachmentMode DEFAULT = MACVLAN;

    private final String setting;

    PodAttachmentMode(String setting) {
        this.setting = setting;
    }

    /** The value as written in the environment and the chart. */
    public String setting() {
        return setting;
    }

    /** {@code text} as written in the environment or the chart ({@code veth}, {@code macvlan}). */
    public static PodAttachmentMode parse(String name, String text) {
        return SettingValues.parse(name, text, values(), PodAttachmentMode::setting);
    }

    @Override
    public String toString() {
        return setting;
    }
}

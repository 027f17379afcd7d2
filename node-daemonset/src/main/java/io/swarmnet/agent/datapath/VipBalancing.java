package io.swarmnet.agent.datapath;

/**
 * Where a task's connections to a VIP are balanced to the service's tasks ({@code SWARMNET_VIP_BALANCING}).
 */
public enum VipBalancing {
    /**
     * On the packets: a DNAT rule per VIP in the pod's nftables table, which makes the kernel track every connection of
     * the pod (conntrack), and deletes the tracked flows of a backend that leaves.
     */
    NFT("nft"),
    /**
     * At the socket: cgroup BPF programs ({@link io.swarmnet.agent.bpf.SocketLoadBalancer}) connect a socket asked for a
     * VIP to one of its backends; the pod's table keeps its filter chains (VIPs without backends refused, internal
     * networks isolated) and has no NAT chain. Needs a cgroup2 mount and bpf(2).
     */
    SOCKET("socket"),
    /**
     * Chosen by the node at the agent's start ({@link LinuxDatapath#vipBalancing()}): {@link #SOCKET} where the balancer
     * can be attached and pinned (a cgroup2 mount, bpf(2), the pin directory on a BPF file system), so that VIPs stay
     * balanced while the agent restarts; {@link #NFT} anywhere else, with the reason logged. Never a layout itself: the
     * planner and the parsers are given what it resolved to.
     */
    AUTO("auto");

    /** The layout of a datapath that is given none (tests, the simulation): the pods' NAT table. */
    public static final VipBalancing DEFAULT = NFT;
    /** What the agent does when {@code SWARMNET_VIP_BALANCING} is unset (the chart's {@code agent.vipBalancing} too). */
    public static final VipBalancing AGENT_DEFAULT = AUTO;

    private final String setting;

    VipBalancing(String setting) {
        this.setting = setting;
    }

    public String setting() {
        return setting;
    }

    /** {@code text} as written in the environment ({@code nft}, {@code socket}, {@code auto}). */
    public static VipBalancing parse(String name, String text) {
        return SettingValues.parse(name, text, values(), VipBalancing::setting);
    }

    /** This, as a layout of the pods' tables: {@link #AUTO} is refused, it must have been resolved first. */
    public VipBalancing layout() {
        if (this == AUTO) {
            throw new IllegalStateException("VIP balancing 'auto' is resolved to nft or socket when the datapath starts, not used as a layout");
        }
        return this;
    }

    @Override
    public String toString() {
        return setting;
    }
}

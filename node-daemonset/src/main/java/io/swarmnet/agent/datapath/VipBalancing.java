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
    SOCKET("socket");

    /** nft: every end-to-end test and the real cluster's walkthrough run with it; socket is being brought in. */
    public static final VipBalancing DEFAULT = NFT;

    private final String setting;

    VipBalancing(String setting) {
        this.setting = setting;
    }

    public String setting() {
        return setting;
    }

    /** {@code text} as written in the environment ({@code nft}, {@code socket}). */
    public static VipBalancing parse(String name, String text) {
        return SettingValues.parse(name, text, values(), VipBalancing::setting);
    }

    @Override
    public String toString() {
        return setting;
    }
}

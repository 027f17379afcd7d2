package io.swarmnet.agent.datapath;

/**
 * The UDP port VXLAN travels on between nodes: Docker's {@code --data-path-port}, the chart's
 * {@code network.dataPathPort}, {@code SWARMNET_DATA_PATH_PORT}. Every node must use the same one. The only
 * definition of the port: the VXLAN devices, the encryption policies and firewall rules and the userspace ESP
 * datapath all take it from here.
 */
public record VxlanPort(int value) {

    /** IANA's VXLAN port, Docker's and swarm's default. */
    public static final VxlanPort DEFAULT = new VxlanPort(4789);
    /** Docker's bounds for --data-path-port: no well-known port, no ephemeral one. */
    public static final int MIN = 1024;
    public static final int MAX = 49151;

    public VxlanPort {
        if (value < MIN || value > MAX) {
            throw new IllegalArgumentException("VXLAN data path port " + value + " is outside " + MIN + ".." + MAX
                    + " (as Docker's --data-path-port); pick a registered port that no other overlay on the nodes uses");
        }
    }

    @Override
    public String toString() {
        return Integer.toString(value);
    }
}

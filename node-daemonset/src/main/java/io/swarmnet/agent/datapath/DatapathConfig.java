package io.swarmnet.agent.datapath;

import java.time.Duration;

/**
 * How a {@link LinuxDatapath} is set up on one node.
 *
 * @param prefix        start of every kernel object name (1-7 characters; "swn" on a real node, a per-run unique one in tests)
 * @param hostNamespace where VXLAN devices are created (their UDP socket lives there, on the underlay): the root
 *                      namespace on a real node, the node's namespace on a simulated one
 * @param parallelism   how many namespaces are read or programmed at the same time
 * @param toolTimeout   bound on one ip/bridge/nft run, and on each wait for the connection tracker's netlink answer
 * @param vxlanPort     UDP port of the VXLAN devices (the same on every node)
 * @param attachment    how pods are joined to a network's VXLAN device (veth + bridge, or macvlan children)
 */
public record DatapathConfig(String prefix, NetNamespace hostNamespace, int parallelism, Duration toolTimeout, VxlanPort vxlanPort,
        PodAttachmentMode attachment, VipBalancing vipBalancing, java.util.Optional<java.nio.file.Path> bpfPins,
        java.util.Optional<java.nio.file.Path> cgroup2Root) {

    /** On the default VXLAN port, pods attached the default way, VIPs balanced the default way. */
    public DatapathConfig(String prefix, NetNamespace hostNamespace, int parallelism, Duration toolTimeout) {
        this(prefix, hostNamespace, parallelism, toolTimeout, VxlanPort.DEFAULT, PodAttachmentMode.DEFAULT, VipBalancing.DEFAULT,
                java.util.Optional.empty(), java.util.Optional.empty());
    }

    public DatapathConfig {
        new KernelNames(prefix); // validates
        java.util.Objects.requireNonNull(attachment, "attachment");
        java.util.Objects.requireNonNull(vipBalancing, "vipBalancing");
        java.util.Objects.requireNonNull(bpfPins, "bpfPins");
        java.util.Objects.requireNonNull(cgroup2Root, "cgroup2Root");
        if (parallelism < 1) {
            throw new IllegalArgumentException("datapath parallelism " + parallelism + " must be at least 1");
        }
    }

    public DatapathConfig withVxlanPort(VxlanPort port) {
        return new DatapathConfig(prefix, hostNamespace, parallelism, toolTimeout, port, attachment, vipBalancing, bpfPins, cgroup2Root);
    }

    public DatapathConfig withAttachment(PodAttachmentMode mode) {
        return new DatapathConfig(prefix, hostNamespace, parallelism, toolTimeout, vxlanPort, mode, vipBalancing, bpfPins, cgroup2Root);
    }

    /**
     * VIPs balanced {@code balancing}; at the socket, the balancer's maps and links pinned in {@code pins} (a directory in
     * a BPF file system) so they outlive the process, or held by the process alone when empty, and its programs attached
     * to the cgroup2 file system's root at {@code cgroup} (else the first cgroup2 mount this process sees).
     */
    public DatapathConfig withVipBalancing(VipBalancing balancing, java.util.Optional<java.nio.file.Path> pins,
            java.util.Optional<java.nio.file.Path> cgroup) {
        return new DatapathConfig(prefix, hostNamespace, parallelism, toolTimeout, vxlanPort, attachment, balancing, pins, cgroup);
    }

    /** A real node: the agent runs in the host network namespace. */
    public static DatapathConfig forHost(String prefix) {
        return new DatapathConfig(prefix, new NetNamespace.Root(), 4, Duration.ofSeconds(30));
    }

    /** A node whose "host" network namespace is /run/netns/NAME (the simulation). */
    public static DatapathConfig forNamedNamespace(String prefix, String namespace) {
        return new DatapathConfig(prefix, new NetNamespace.Named(namespace), 4, Duration.ofSeconds(30));
    }
}

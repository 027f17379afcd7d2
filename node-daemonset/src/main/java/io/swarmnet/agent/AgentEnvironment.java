package io.swarmnet.agent;

import io.swarmnet.agent.datapath.PodAttachmentMode;
import io.swarmnet.agent.datapath.VipBalancing;
import io.swarmnet.agent.datapath.VxlanPort;
import io.swarmnet.agent.encryption.EncryptionSettings;
import io.swarmnet.agent.encryption.SequenceLimit;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayMtu;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The DaemonSet's configuration, read from environment variables (parsed here, pure; {@link NodeAgent#main}
 * resolves what needs the cluster or the kernel). Variables and defaults:
 * <ul>
 * <li>{@code NODE_NAME} (required; the downward API's spec.nodeName)</li>
 * <li>{@code SWARMNET_UNDERLAY_ADDRESS}: VXLAN source address; default the Node's InternalIP</li>
 * <li>{@code SWARMNET_UNDERLAY_MTU}: default the MTU of the interface holding the underlay address</li>
 * <li>{@code SWARMNET_LOG_LEVEL}: trace, debug, info (default), warn, error</li>
 * <li>{@code SWARMNET_HTTP_PORT}: /healthz and /readyz; default 9642, 0 picks a free port, -1 none</li>
 * <li>{@code SWARMNET_PROC_ROOT}: the host's /proc (pods' namespaces are found there); default /proc</li>
 * <li>{@code SWARMNET_DATAPATH_PREFIX}: first characters of every kernel object the agent creates; default swn</li>
 * <li>{@code SWARMNET_DEBOUNCE}: default 30ms; {@code SWARMNET_RESYNC}: default 60s</li>
 * <li>{@code SWARMNET_DNS_UPSTREAM}: where the embedded resolver forwards names that are not overlay names, an IPv4
 *     address with an optional :port; default the first nameserver of the agent's /etc/resolv.conf (the cluster DNS
 *     for a hostNetwork pod with dnsPolicy ClusterFirstWithHostNet)</li>
 * <li>{@code SWARMNET_KEY_NAMESPACE}: namespace of the encryption key Secret; default POD_NAMESPACE, else swarmnet-system</li>
 * <li>{@code SWARMNET_ENCRYPTION_MODE}: auto (default: kernel ESP where the kernel holds ESP states, else the userspace
 *     datapath over TUN), kernel, or userspace</li>
 * <li>{@code SWARMNET_STATE_DIR}: where the userspace datapath reserves ESP sequence numbers across restarts (a hostPath);
 *     default /var/lib/swarmnet</li>
 * <li>{@code SWARMNET_DATA_PATH_PORT}: UDP port of VXLAN between nodes, 1024..49151, the same on every node (Docker's
 *     --data-path-port); default {@link VxlanPort#DEFAULT}</li>
 * <li>{@code SWARMNET_ESP_SEQUENCE_LIMIT}: the last ESP sequence number an outbound SA may carry (the node asks for a new
 *     key at three quarters of it); default and maximum 4294967295 (2^32-1), lower only to rotate earlier or in tests</li>
 * <li>{@code SWARMNET_POD_ATTACHMENT}: how a task's interface hangs on its network's VXLAN device: macvlan (default: a
 *     macvlan child of the VXLAN device, no bridge) or veth (a veth pair to a bridge)</li>
 * <li>{@code SWARMNET_VIP_BALANCING}: where connections to a VIP are balanced: auto (default: socket where the balancer
 *     can be attached and pinned in SWARMNET_BPF_PINS, else nft, the reason logged), nft (DNAT in each task's nftables
 *     table) or socket (BPF programs at the cgroup2 root connect the socket to a backend; no NAT, no connection tracking
 *     in the task; the agent does not start where they cannot be attached)</li>
 * <li>{@code SWARMNET_BPF_PINS}: with socket or auto, a directory in a BPF file system (bpffs) where the balancer's maps
 *     and links are pinned, so that VIPs stay balanced while the agent restarts; unset, socket's go with the agent's
 *     process and auto chooses nft. With nft, where an earlier agent may have pinned one: it is removed</li>
 * <li>{@code SWARMNET_CGROUP2_ROOT}: with socket or auto, the host's cgroup2 root as mounted in the agent's container,
 *     or its /sys/fs/cgroup whose {@code unified} directory is that root (the programs are attached there, to cover every
 *     process of the node); default the first cgroup2 mount the agent sees</li>
 * <li>{@code SWARMNET_DNS_SOCKET}: the socket of the resolver process beside the agent ({@code swarmnet dns}); unset, the
 *     agent serves 127.0.0.11 itself</li>
 * </ul>
 */
public record AgentEnvironment(String nodeName, Optional<IpAddress> underlayAddress, OptionalInt underlayMtu, String logLevel,
        int httpPort, Path procRoot, String datapathPrefix, Duration debounce, Duration resync,
        Optional<java.net.InetSocketAddress> dnsUpstream, String keyNamespace, EncryptionSettings.ModeSetting encryptionMode,
        Path stateDirectory, VxlanPort vxlanPort, SequenceLimit sequenceLimit, Optional<Path> resolverSocket,
        PodAttachmentMode podAttachment, VipBalancing vipBalancing, Optional<Path> bpfPins, Optional<Path> cgroup2Root) {

    public static final int DEFAULT_HTTP_PORT = 9642;
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)");

    public static AgentEnvironment parse(Map<String, String> env) {
        String node = value(env, "NODE_NAME");
        if (node == null) {
            throw new IllegalArgumentException("NODE_NAME is not set; the DaemonSet passes it from the downward API "
                    + "(valueFrom.fieldRef.fieldPath: spec.nodeName)");
        }
        Optional<IpAddress> address = Optional.empty();
        String addressText = value(env, "SWARMNET_UNDERLAY_ADDRESS");
        if (addressText != null) {
            try {
                address = Optional.of(IpAddress.parse(addressText));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("SWARMNET_UNDERLAY_ADDRESS '" + addressText + "': " + e.getMessage()
                        + "; leave it unset to use the Node's InternalIP");
            }
        }
        OptionalInt mtu = OptionalInt.empty();
        String mtuText = value(env, "SWARMNET_UNDERLAY_MTU");
        if (mtuText != null) {
            mtu = OptionalInt.of(integer("SWARMNET_UNDERLAY_MTU", mtuText, OverlayMtu.MIN_UNDERLAY, OverlayMtu.LINK_MAX));
        }
        String level = Optional.ofNullable(value(env, "SWARMNET_LOG_LEVEL")).orElse("info").toLowerCase(Locale.ROOT);
        if (!level.matches("trace|debug|info|warn|error")) {
            throw new IllegalArgumentException("SWARMNET_LOG_LEVEL '" + level + "' is not one of trace, debug, info, warn, error");
        }
        String portText = value(env, "SWARMNET_HTTP_PORT");
        int port = portText == null ? DEFAULT_HTTP_PORT : integer("SWARMNET_HTTP_PORT", portText, -1, 65535);
        Path proc = Path.of(Optional.ofNullable(value(env, "SWARMNET_PROC_ROOT")).orElse("/proc"));
        String prefix = Optional.ofNullable(value(env, "SWARMNET_DATAPATH_PREFIX")).orElse("swn");
        Duration debounce = duration(env, "SWARMNET_DEBOUNCE", AgentConfig.DEFAULT_DEBOUNCE);
        Duration resync = duration(env, "SWARMNET_RESYNC", AgentConfig.DEFAULT_RESYNC);
        Optional<java.net.InetSocketAddress> upstream = io.swarmnet.agent.dns.DnsSettings.upstreamFrom(env);
        String keyNamespace = Optional.ofNullable(value(env, "SWARMNET_KEY_NAMESPACE"))
                .or(() -> Optional.ofNullable(value(env, "POD_NAMESPACE"))).orElse("swarmnet-system");
        String modeText = Optional.ofNullable(value(env, "SWARMNET_ENCRYPTION_MODE")).orElse("auto");
        EncryptionSettings.ModeSetting mode;
        try {
            mode = EncryptionSettings.ModeSetting.valueOf(modeText);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("SWARMNET_ENCRYPTION_MODE '" + modeText + "' is not one of auto, kernel, userspace");
        }
        Path stateDirectory = Path.of(Optional.ofNullable(value(env, "SWARMNET_STATE_DIR")).orElse("/var/lib/swarmnet"));
        if (!stateDirectory.isAbsolute()) {
            throw new IllegalArgumentException("SWARMNET_STATE_DIR '" + stateDirectory + "' must be an absolute path (a hostPath "
                    + "that survives agent restarts)");
        }
        VxlanPort vxlanPort = VxlanPort.DEFAULT;
        String vxlanPortText = value(env, "SWARMNET_DATA_PATH_PORT");
        if (vxlanPortText != null) {
            vxlanPort = new VxlanPort(integer("SWARMNET_DATA_PATH_PORT", vxlanPortText, VxlanPort.MIN, VxlanPort.MAX));
        }
        SequenceLimit sequenceLimit = SequenceLimit.ESP;
        String limitText = value(env, "SWARMNET_ESP_SEQUENCE_LIMIT");
        if (limitText != null) {
            try {
                sequenceLimit = new SequenceLimit(Long.parseLong(limitText));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("SWARMNET_ESP_SEQUENCE_LIMIT '" + limitText + "' is not a whole number");
            }
        }
        Optional<Path> resolverSocket = Optional.ofNullable(value(env, "SWARMNET_DNS_SOCKET")).map(Path::of);
        if (resolverSocket.isPresent() && !resolverSocket.get().isAbsolute()) {
            throw new IllegalArgumentException("SWARMNET_DNS_SOCKET '" + resolverSocket.get() + "' must be an absolute path (in a "
                    + "volume the agent shares with the swarmnet-dns container)");
        }
        String attachmentText = value(env, "SWARMNET_POD_ATTACHMENT");
        PodAttachmentMode attachment = attachmentText == null ? PodAttachmentMode.DEFAULT
                : PodAttachmentMode.parse("SWARMNET_POD_ATTACHMENT", attachmentText);
        String balancingText = value(env, "SWARMNET_VIP_BALANCING");
        VipBalancing balancing = balancingText == null ? VipBalancing.AGENT_DEFAULT : VipBalancing.parse("SWARMNET_VIP_BALANCING", balancingText);
        Optional<Path> pins = Optional.ofNullable(value(env, "SWARMNET_BPF_PINS")).map(Path::of);
        if (pins.isPresent() && !pins.get().isAbsolute()) {
            throw new IllegalArgumentException("SWARMNET_BPF_PINS '" + pins.get() + "' must be an absolute path (a directory in the "
                    + "host's BPF file system, e.g. /sys/fs/bpf/swarmnet)");
        }
        Optional<Path> cgroup = Optional.ofNullable(value(env, "SWARMNET_CGROUP2_ROOT")).map(Path::of);
        if (cgroup.isPresent() && !cgroup.get().isAbsolute()) {
            throw new IllegalArgumentException("SWARMNET_CGROUP2_ROOT '" + cgroup.get() + "' must be an absolute path (where the host's "
                    + "cgroup2 root is mounted in the agent's container)");
        }
        return new AgentEnvironment(node, address, mtu, level, port, proc, prefix, debounce, resync, upstream, keyNamespace, mode,
                stateDirectory, vxlanPort, sequenceLimit, resolverSocket, attachment, balancing, pins, cgroup);
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static int integer(String name, String text, int min, int max) {
        try {
            int v = Integer.parseInt(text);
            if (v < min || v > max) {
                throw new IllegalArgumentException(name + " " + v + " is outside " + min + ".." + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " '" + text + "' is not a whole number");
        }
    }

    private static Duration duration(Map<String, String> env, String name, Duration fallback) {
        String text = value(env, name);
        if (text == null) {
            return fallback;
        }
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException(name + " '" + text + "' is not a duration such as 30ms, 5s or 1m");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }
}

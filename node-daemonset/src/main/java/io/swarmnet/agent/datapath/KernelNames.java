package io.swarmnet.agent.datapath;

import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.Vni;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place kernel object names are derived. Every name starts with the node's prefix, so the datapath
 * recognises its own objects and never touches anyone else's; device names are built from the VNI (hex) or a
 * hash so they fit the kernel's 15-character limit whatever the Kubernetes names are.
 *
 * <pre>
 *   network namespace   PREFIX-net-VNI        (one per overlay network carried by the node)
 *   bridge              PREFIX-bHHHHHH        (VNI in hex, inside the network namespace)
 *   VXLAN device        PREFIX-xHHHHHH        (created in the host namespace, moved into the network namespace)
 *   veth, bridge end    PREFIX-vAAAAAA        (hash of pod UID + network, inside the network namespace)
 *   gateway child       PREFIX-gHHHHHH        (macvlan attachment: a child of the VXLAN device holding the gateway
 *                                              address, inside the network namespace)
 *   pod end             the attachment's interfaceName (a veth end or a macvlan child of the VXLAN device), alias "PREFIX:namespace/network"
 *   nftables table      ip PREFIX_vip         (in each attached pod's namespace)
 *   device group        INTERNAL_GROUP        (a pod's interface on an internal network; the table's forward chain
 *                                              drops whatever a pod would route into or out of this group)
 * </pre>
 */
public final class KernelNames {

    /** Device names are limited to IFNAMSIZ-1 = 15 characters by the kernel. */
    public static final int MAX_DEVICE_NAME = 15;
    /**
     * The device group of a task's interface on an internal network ("swni" in ASCII). A group, not a name list, so
     * that the nftables rule matching it is the same in every pod and the kernel reports membership with the device.
     */
    public static final int INTERNAL_GROUP = 0x73776e69;
    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9]{0,6}");
    private static final String BASE32 = "0123456789abcdefghijklmnopqrstuv";

    private final String prefix;
    private final Pattern networkNamespace;
    private final Pattern device;

    public KernelNames(String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("kernel object prefix '" + prefix
                    + "' must be 1-7 characters of [a-z0-9] starting with a letter (device names must stay <= 15 characters)");
        }
        this.prefix = prefix;
        this.networkNamespace = Pattern.compile(Pattern.quote(prefix) + "-net-(\\d+)");
        this.device = Pattern.compile(Pattern.quote(prefix) + "-([bxvg])([0-9a-v]{6})");
    }

    public String prefix() {
        return prefix;
    }

    public String networkNamespace(Vni vni) {
        return prefix + "-net-" + vni.value();
    }

    /** The VNI of one of our network namespaces, or empty when the name is not ours. */
    public Optional<Vni> vniOfNetworkNamespace(String name) {
        Matcher m = networkNamespace.matcher(name);
        if (!m.matches() || m.group(1).length() > 8) {
            return Optional.empty();
        }
        long value = Long.parseLong(m.group(1));
        return value >= Vni.MIN && value <= Vni.MAX ? Optional.of(new Vni((int) value)) : Optional.empty();
    }

    public String bridge(Vni vni) {
        return prefix + "-b" + hex6(vni);
    }

    /** The macvlan child holding the gateway address when pods are attached by macvlan ({@link PodAttachmentMode#MACVLAN}). */
    public String gateway(Vni vni) {
        return prefix + "-g" + hex6(vni);
    }

    public String vxlan(Vni vni) {
        return prefix + "-x" + hex6(vni);
    }

    /** The bridge end of a pod's veth: stable for a pod UID and network, so a restarted agent finds it again. */
    public String bridgePort(PodRef pod, NetworkKey network) {
        byte[] digest = sha256(pod.uid() + "\n" + pod + "\n" + network);
        long bits = 0;
        for (int i = 0; i < 4; i++) {
            bits = (bits << 8) | (digest[i] & 0xFF);
        }
        StringBuilder sb = new StringBuilder(prefix).append("-v");
        for (int i = 0; i < 6; i++) {
            sb.append(BASE32.charAt((int) (bits >>> (5 * i)) & 31));
        }
        return sb.toString();
    }

    /** True for a device name this prefix produced (bridge, VXLAN device, bridge-side veth or gateway child). */
    public boolean isOurDevice(String name) {
        return device.matcher(name).matches();
    }

    public boolean isOurVxlan(String name) {
        Matcher m = device.matcher(name);
        return m.matches() && m.group(1).equals("x");
    }

    public boolean isOurBridgePort(String name) {
        Matcher m = device.matcher(name);
        return m.matches() && m.group(1).equals("v");
    }

    /** The nftables table in each pod's namespace (nft identifiers cannot contain '-'). */
    public String vipTable() {
        return prefix + "_vip";
    }

    /** The per-VIP chain; named after the address so that a diff is keyed by the VIP itself. */
    public String vipChain(IpAddress vip) {
        return "v_" + vip.toString().replace('.', '_');
    }

    /** The per-VIP numgen → backend map. */
    public String backendMap(IpAddress vip) {
        return "b_" + vip.toString().replace('.', '_');
    }

    /** Alias written on a pod's interface: marks it as ours, since its name is the user's choice. */
    public String podInterfaceAlias(NetworkKey network) {
        return prefix + ":" + network;
    }

    public boolean isOurPodInterfaceAlias(String alias) {
        return alias != null && alias.startsWith(prefix + ":");
    }

    /** The network named in one of our pod interface aliases, or empty when the alias is not ours. */
    public Optional<NetworkKey> networkOfPodInterfaceAlias(String alias) {
        if (!isOurPodInterfaceAlias(alias)) {
            return Optional.empty();
        }
        String key = alias.substring(prefix.length() + 1);
        int slash = key.indexOf('/');
        return slash <= 0 ? Optional.empty() : Optional.of(new NetworkKey(key.substring(0, slash), key.substring(slash + 1)));
    }

    /** Alias written on a bridge port: which pod it belongs to, for people reading {@code ip link}. */
    public String bridgePortAlias(PodRef pod) {
        return prefix + ":" + pod + ":" + pod.uid();
    }

    private static String hex6(Vni vni) {
        return String.format(Locale.ROOT, "%06x", vni.value());
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides SHA-256", e);
        }
    }
}

package io.swarmnet.agent.datapath;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * Whether the frames a network namespace's bridge forwards are run through netfilter's IP, IPv6 and ARP hooks:
 * br_netfilter's {@code net.bridge.bridge-nf-call-iptables}, {@code -ip6tables} and {@code -arptables}, settings of each
 * network namespace, 1 in every namespace once the module is loaded (also in one made before it loaded). Nothing in our
 * network namespaces needs them — the VIP tables are in the pods' namespaces — and with them on every bridged frame runs
 * through the hooks, 5–6 % of one flow's throughput on our layout (docs/benchmarks.md, "Overlay throughput"). The
 * datapath switches them off in every network namespace it makes, and again wherever it reads them on.
 */
public enum BridgeNetfilter {

    /** No /proc/sys/net/bridge: br_netfilter is not loaded, bridged frames pass no IP hooks. */
    ABSENT,
    /** All three settings 0. */
    OFF,
    /** At least one of them 1: the module's default. */
    ON,
    /** Not read (the namespace could not be entered): nothing is planned for it until it is read. */
    UNKNOWN;

    /** The three settings, as sysctl names them. */
    public static final List<String> SETTINGS = List.of("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables",
            "net.bridge.bridge-nf-call-arptables");

    /** The directory br_netfilter's settings appear in, in every network namespace, while it is loaded. */
    static final Path DIRECTORY = Path.of("/proc/sys/net/bridge");

    /** Where {@code setting} is read inside a network namespace. */
    static Path file(String setting) {
        return Path.of("/proc/sys", setting.replace('.', '/'));
    }

    /** What the values read from the namespace's {@link #SETTINGS} files mean (br_netfilter being loaded). */
    static BridgeNetfilter of(Collection<String> values) {
        return values.stream().allMatch(v -> v.strip().equals("0")) ? OFF : ON;
    }
}

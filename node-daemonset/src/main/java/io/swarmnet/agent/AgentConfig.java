package io.swarmnet.agent;

import io.swarmnet.agent.desired.NodeFacts;
import io.swarmnet.agent.dns.DnsSettings;
import io.swarmnet.agent.encryption.EncryptionSettings;
import io.swarmnet.api.network.OverlayMtu;
import java.time.Duration;
import java.util.Optional;

/**
 * How one node agent runs. {@link #forNode} gives the defaults; the DaemonSet's values come from the
 * environment through {@link AgentEnvironment}.
 *
 * @param node         this node: name, underlay address (VXLAN source, pinned) and underlay MTU
 * @param debounce     the window after a round in which further cluster changes are collected for one recomputation
 *                     at its end (default 30 ms); a change arriving after the window starts a round at once
 * @param resync       the datapath is re-applied at least this often even without cluster changes, repairing
 *                     anything removed from the kernel behind the agent's back (default 60 s)
 * @param minBackoff   first retry delay after a failed apply or publish (default 200 ms), doubling ...
 * @param maxBackoff   ... up to this (default 30 s)
 * @param healthPort   port of the /healthz and /readyz endpoint; 0 picks a free one, -1 serves none (default -1:
 *                     a JVM running several simulated nodes must not fight over one port)
 * @param dns          the embedded resolver at 127.0.0.11 in attached pods (default off: tests of the loop alone
 *                     have no pod namespaces; the DaemonSet, the harness and the sandbox turn it on)
 * @param encryption   encryption of VXLAN between nodes (default off, for the same reason: it programs the host
 *                     namespace's firewall and xfrm policies)
 */
public record AgentConfig(NodeFacts node, Duration debounce, Duration resync, Duration minBackoff, Duration maxBackoff,
        int healthPort, Optional<DnsSettings> dns, Optional<EncryptionSettings> encryption) {

    public static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(30);
    public static final Duration DEFAULT_RESYNC = Duration.ofSeconds(60);
    public static final Duration DEFAULT_MIN_BACKOFF = Duration.ofMillis(200);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);

    public AgentConfig {
        if (node == null || node.nodeName() == null || node.nodeName().isBlank()) {
            throw new IllegalArgumentException("the node agent needs its node's name (NODE_NAME)");
        }
        if (node.underlayAddress() == null) {
            throw new IllegalArgumentException("node " + node.nodeName() + ": no underlay address");
        }
        if (node.underlayMtu() < OverlayMtu.MIN_UNDERLAY) {
            throw new IllegalArgumentException("node " + node.nodeName() + ": underlay MTU " + node.underlayMtu()
                    + " leaves no room for VXLAN's " + OverlayMtu.VXLAN_OVERHEAD + " bytes above IPv4's minimum " + OverlayMtu.MIN
                    + "; set the interface MTU or SWARMNET_UNDERLAY_MTU");
        }
        if (debounce.isNegative() || resync.isNegative() || resync.isZero() || minBackoff.isNegative()
                || minBackoff.isZero() || maxBackoff.compareTo(minBackoff) < 0) {
            throw new IllegalArgumentException("agent timings must be positive with maxBackoff >= minBackoff: debounce "
                    + debounce + ", resync " + resync + ", backoff " + minBackoff + ".." + maxBackoff);
        }
        if (healthPort < -1 || healthPort > 65535) {
            throw new IllegalArgumentException("health port " + healthPort + " is outside -1..65535");
        }
    }

    public static AgentConfig forNode(NodeFacts node) {
        return new AgentConfig(node, DEFAULT_DEBOUNCE, DEFAULT_RESYNC, DEFAULT_MIN_BACKOFF, DEFAULT_MAX_BACKOFF, -1,
                Optional.empty(), Optional.empty());
    }

    public AgentConfig withHealthPort(int port) {
        return new AgentConfig(node, debounce, resync, minBackoff, maxBackoff, port, dns, encryption);
    }

    public AgentConfig withDebounce(Duration value) {
        return new AgentConfig(node, value, resync, minBackoff, maxBackoff, healthPort, dns, encryption);
    }

    public AgentConfig withResync(Duration value) {
        return new AgentConfig(node, debounce, value, minBackoff, maxBackoff, healthPort, dns, encryption);
    }

    public AgentConfig withBackoff(Duration min, Duration max) {
        return new AgentConfig(node, debounce, resync, min, max, healthPort, dns, encryption);
    }

    public AgentConfig withDns(DnsSettings settings) {
        return new AgentConfig(node, debounce, resync, minBackoff, maxBackoff, healthPort, Optional.of(settings), encryption);
    }

    public AgentConfig withEncryption(EncryptionSettings settings) {
        return new AgentConfig(node, debounce, resync, minBackoff, maxBackoff, healthPort, dns, Optional.of(settings));
    }
}

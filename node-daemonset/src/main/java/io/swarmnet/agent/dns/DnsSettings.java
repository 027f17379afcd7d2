package io.swarmnet.agent.dns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * How the node's embedded resolver runs.
 *
 * @param upstream        where names that are not overlay names go (the cluster DNS service); empty answers them
 *                        SERVFAIL at once
 * @param upstreamTimeout after this a forwarded query is answered SERVFAIL rather than left hanging
 * @param resolverSocket  where the resolver process listens, when the resolver runs beside the agent rather than in it
 */
public record DnsSettings(Optional<InetSocketAddress> upstream, Duration upstreamTimeout, Optional<java.nio.file.Path> resolverSocket,
        boolean untrackedRedirect) {

    public static final Duration DEFAULT_UPSTREAM_TIMEOUT = Duration.ofSeconds(2);

    /** The resolver in the agent's own process. */
    public DnsSettings(Optional<InetSocketAddress> upstream, Duration upstreamTimeout) {
        this(upstream, upstreamTimeout, Optional.empty(), false);
    }

    /** The resolver as a process of its own, reached at {@code socket} (SWARMNET_DNS_SOCKET); the upstream is then its business. */
    public DnsSettings withResolverSocket(Optional<java.nio.file.Path> socket) {
        return new DnsSettings(upstream, upstreamTimeout, socket, untrackedRedirect);
    }

    /**
     * 127.0.0.11:53 redirected in each pod without NAT ({@link ResolverRedirect#untrackedTransaction}): with VIPs balanced at
     * the socket, so that nothing makes the pod's kernel track connections.
     */
    public DnsSettings withUntrackedRedirect(boolean untracked) {
        return new DnsSettings(upstream, upstreamTimeout, resolverSocket, untracked);
    }

    /** The resolver process's settings: the upstream of {@link #upstreamFrom}, else the first nameserver of /etc/resolv.conf. */
    public static DnsSettings fromEnvironment(java.util.Map<String, String> env) {
        String balancing = env.get("SWARMNET_VIP_BALANCING");
        boolean socket = balancing != null && !balancing.isBlank()
                && io.swarmnet.agent.datapath.VipBalancing.parse("SWARMNET_VIP_BALANCING", balancing)
                == io.swarmnet.agent.datapath.VipBalancing.SOCKET;
        return new DnsSettings(upstreamFrom(env).or(() -> firstNameserver(java.nio.file.Path.of("/etc/resolv.conf"))),
                DEFAULT_UPSTREAM_TIMEOUT).withUntrackedRedirect(socket);
    }

    /** SWARMNET_DNS_UPSTREAM, an IPv4 address with an optional :port (53 by default); empty when unset. */
    public static Optional<InetSocketAddress> upstreamFrom(java.util.Map<String, String> env) {
        String text = env.get("SWARMNET_DNS_UPSTREAM");
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        String[] hostPort = text.trim().split(":", 2);
        int port = -1;
        try {
            port = hostPort.length == 2 ? Integer.parseInt(hostPort[1]) : 53;
        } catch (NumberFormatException e) {
            // reported below
        }
        if (!io.swarmnet.api.net.IpAddress.isValid(hostPort[0]) || port < 1 || port > 65535) {
            throw new IllegalArgumentException("SWARMNET_DNS_UPSTREAM '" + text + "' is not an IPv4 address with an "
                    + "optional :port from 1 to 65535 (e.g. 10.96.0.10 or 10.96.0.10:53)");
        }
        return Optional.of(new InetSocketAddress(hostPort[0], port));
    }

    /** The first nameserver of a resolv.conf (the cluster DNS for a hostNetwork pod with ClusterFirstWithHostNet). */
    public static Optional<InetSocketAddress> firstNameserver(java.nio.file.Path resolvConf) {
        try {
            return java.nio.file.Files.readAllLines(resolvConf).stream().map(String::trim)
                    .filter(l -> l.startsWith("nameserver ")).map(l -> l.substring("nameserver ".length()).trim())
                    .filter(io.swarmnet.api.net.IpAddress::isValid)
                    .filter(a -> !a.equals(io.swarmnet.api.contract.SwarmnetKeys.EMBEDDED_DNS_ADDRESS))
                    .findFirst().map(a -> new InetSocketAddress(a, 53));
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }
}

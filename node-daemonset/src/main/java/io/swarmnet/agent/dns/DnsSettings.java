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
 */
public record DnsSettings(Optional<InetSocketAddress> upstream, Duration upstreamTimeout) {

    public static final Duration DEFAULT_UPSTREAM_TIMEOUT = Duration.ofSeconds(2);

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

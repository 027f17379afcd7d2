package io.swarmnet.agent.dns;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.datapath.NetNamespace;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Reads and writes the {@link ResolverRedirect} table inside a pod's network namespace with nft. */
final class RedirectTable {

    private final KernelTools tools;
    private final boolean untracked;

    /** {@code untracked}: the stateless table ({@link ResolverRedirect#untrackedTransaction}), for VIPs balanced at the socket. */
    RedirectTable(KernelTools tools, boolean untracked) {
        this.tools = tools;
        this.untracked = untracked;
    }

    boolean untracked() {
        return untracked;
    }

    /** The kind of redirect, as a log line says it. */
    String kind() {
        return untracked ? "without NAT" : "with NAT";
    }

    /** The redirect the namespace holds; empty when there is none or it is not exactly ours. */
    Optional<ResolverRedirect> read(Path namespace) {
        KernelTools.Result listed = tools.read(NetNamespace.of(namespace),
                List.of("nft", "-j", "list", "table", "ip", ResolverRedirect.TABLE));
        return listed.ok() ? ResolverRedirect.parse(listed.stdout(), untracked) : Optional.empty();
    }

    /** Puts {@code redirect} in place of whatever the table held, atomically; empty when done, else why not. */
    Optional<String> install(Path namespace, ResolverRedirect redirect) {
        KernelTools.Result result = tools.nft(NetNamespace.of(namespace), untracked ? redirect.untrackedTransaction() : redirect.transaction());
        return result.ok() ? Optional.empty() : Optional.of(result.describe());
    }
}

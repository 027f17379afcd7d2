package io.swarmnet.agent.dns;

import io.swarmnet.agent.desired.PodRef;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the resolver process ({@link ResolverProcess}): every round it sends all pods to serve and
 * reads back which could not be. When the resolver process does not answer (it is restarting), the pods it last
 * confirmed stay attached — it serves them again from its own state — and only new pods wait, with the reason.
 */
public final class ResolverClient implements PodResolvers {

    private static final Logger LOG = LoggerFactory.getLogger(ResolverClient.class);
    private final Path socket;
    private final Duration timeout;
    private final ExecutorService io = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "swarmnet-resolver-client");
        t.setDaemon(true);
        return t;
    });
    private SocketChannel channel;
    private DataInputStream in;
    private Set<PodRef> confirmed = Set.of();
    private boolean untrackedRedirect;

    public ResolverClient(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    /** Said to the resolver process in every frame: it writes the pods' redirects that way. */
    @Override
    public synchronized ResolverClient redirectUntracked(boolean untracked) {
        this.untrackedRedirect = untracked;
        return this;
    }

    @Override
    public synchronized Map<PodRef, String> sync(Map<PodRef, PodResolver> desired) {
        byte[] request = ResolverWire.pods(desired, java.util.Optional.of(untrackedRedirect));
        IOException last = null;
        for (int attempt = 1; attempt <= 2; attempt++) {
            try {
                Map<PodRef, String> failures = exchange(request);
                Set<PodRef> served = new HashSet<>();
                desired.forEach((pod, resolver) -> {
                    if (!failures.containsKey(pod) && (!resolver.keepOnly() || confirmed.contains(pod))) {
                        served.add(pod);
                    }
                });
                confirmed = Set.copyOf(served);
                return failures;
            } catch (IOException e) {
                last = e;
                disconnect(); // a resolver that restarted closed the old connection: one new try
            }
        }
        String why = "the resolver process (container swarmnet-dns) does not answer on " + socket + ": " + last.getMessage()
                + "; the pod's resolver is opened once it does";
        LOG.warn(why);
        Map<PodRef, String> failures = new HashMap<>();
        desired.forEach((pod, resolver) -> {
            if (!resolver.keepOnly() && !confirmed.contains(pod)) {
                failures.put(pod, "DNS resolver for pod " + pod + ": " + why);
            }
        });
        return failures;
    }

    private Map<PodRef, String> exchange(byte[] request) throws IOException {
        if (channel == null) {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                disconnect();
                throw e;
            }
            in = new DataInputStream(Channels.newInputStream(channel));
        }
        Future<byte[]> reply = io.submit(() -> {
            // straight to the channel: a stream from Channels.newOutputStream keeps the last array written (the
            // whole frame, megabytes on a busy node) until the next write
            ResolverWire.write(channel, request);
            return ResolverWire.read(in);
        });
        try {
            return ResolverWire.failures(reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            reply.cancel(true);
            throw new IOException("no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private void disconnect() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("closing the resolver connection: {}", e.toString());
            }
        }
        channel = null;
        in = null;
    }

    @Override
    public synchronized boolean serves(PodRef pod) {
        return confirmed.contains(pod);
    }

    /** Closes the connection only: the resolver process serves on. */
    @Override
    public synchronized void close() {
        disconnect();
        io.shutdownNow();
    }
}

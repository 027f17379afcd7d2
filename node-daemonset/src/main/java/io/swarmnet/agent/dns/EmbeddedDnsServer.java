package io.swarmnet.agent.dns;

import io.swarmnet.agent.netns.NetworkNamespace;

import io.swarmnet.agent.datapath.KernelTools;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.contract.SwarmnetKeys;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;

/**
 * The resolver at 127.0.0.11:53 (UDP and TCP) inside every attached pod of this node. Sockets are
 * opened inside each pod's namespace (see {@link NetworkNamespace}) on 127.0.0.11 at ports the kernel chooses, a
 * NAT rule there sends 127.0.0.11:53 to them ({@link ResolverRedirect}), so port 53 stays free for the pod's own
 * tasks. UDP queries, nearly all of them, are read and answered in batches by one or more {@link DatagramLoop}
 * threads, each with a socket of its own on every pod's port; TCP, forwarding and the rest are served by one event
 * loop. Nothing listens in the agent's own namespace: only the upstream
 * sockets live there — one connected UDP socket, which accepts replies from the upstream resolver alone, and a short connection per query forwarded
 * over TCP ({@link UpstreamTcp}): a query that came over TCP, or one whose UDP answer upstream truncated.
 */
public final class EmbeddedDnsServer implements PodResolvers {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDnsServer.class);
    private static final Duration TCP_IDLE = Duration.ofSeconds(10);
    private static final int MAX_TCP_CONNECTIONS_PER_POD = 64;
    private static final int MAX_UPSTREAM_TCP_CONNECTIONS = 128;
    /**
     * A query forwarded over UDP and not answered within this is sent upstream again, then after twice as long, and
     * so on until its deadline: a datagram lost on the way to or from upstream (a busy node, a cluster DNS pod
     * being replaced) then costs the client this long, not our whole upstream timeout and a SERVFAIL.
     */
    static final Duration UPSTREAM_RESEND = Duration.ofMillis(400);
    /**
     * Threads answering UDP, each with its own socket on every pod's port (the kernel spreads clients over them by
     * address and port): one below four cores, two from four. On 2 cores a second thread answered 7-10 % more queries
     * per second flat out but spent 10-15 % more CPU on each, taken from the node's workloads (docs/dns-performance.md).
     */
    static final int DEFAULT_UDP_THREADS = Runtime.getRuntime().availableProcessors() >= 4 ? 2 : 1;

    private final Duration upstreamTimeout;
    private final KernelTools tools;
    private volatile RedirectTable redirects;
    /** The redirect's kind changed since the pods served were opened: their redirects are rewritten at the next sync. */
    private boolean rewriteRedirects;
    private final Selector selector;
    private final Map<PodRef, PodEndpoint> pods = new ConcurrentHashMap<>();
    private final Queue<Runnable> loopTasks = new ConcurrentLinkedQueue<>();
    private final Map<Integer, UdpForward> pending = new HashMap<>();
    private final Thread loop;
    private final List<DatagramLoop> datagramLoops = new ArrayList<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(65_535 + 2);
    private DatagramChannel upstreamChannel;
    private UpstreamTcp upstreamTcp;
    private int nextUpstreamId = 1;
    private int rotation;
    private volatile boolean running = true;
    // guarded by this: set once by close; sync then does nothing
    private boolean closed;

    /**
     * @param upstream        where names that are not ours go (the cluster DNS service by default); null means
     *                        every such query gets SERVFAIL at once
     * @param upstreamTimeout after this a forwarded query gets SERVFAIL instead of hanging
     */
    public EmbeddedDnsServer(InetSocketAddress upstream, Duration upstreamTimeout) throws IOException {
        this(upstream, upstreamTimeout, KernelTools.forAgent(Duration.ofSeconds(10)));
    }

    /**
     * From now on each pod's redirect of 127.0.0.11:53 is written (and expected) without NAT, or with it again
     * ({@link ResolverRedirect#untrackedTransaction}); when that changes, the redirect of every pod served is rewritten
     * the new way at the next {@link #sync}, through the namespace paths it names (its ports stay). Returns this server.
     */
    @Override
    public synchronized EmbeddedDnsServer redirectUntracked(boolean untracked) {
        if (redirects.untracked() != untracked) {
            this.redirects = new RedirectTable(tools, untracked);
            // the pods already served get theirs rewritten at the next sync, through the paths it names (the ones
            // their sockets were opened through may lead elsewhere by then: a PID exits and is reused)
            rewriteRedirects = !pods.isEmpty();
        }
        return this;
    }

    /** @param tools runs nft in pods' namespaces for the redirect of port 53 */
    public EmbeddedDnsServer(InetSocketAddress upstream, Duration upstreamTimeout, KernelTools tools) throws IOException {
        this(upstream, upstreamTimeout, tools, DEFAULT_UDP_THREADS);
    }

    /** @param udpThreads how many threads answer UDP queries, each with a socket of its own on every pod's port */
    public EmbeddedDnsServer(InetSocketAddress upstream, Duration upstreamTimeout, KernelTools tools, int udpThreads) throws IOException {
        if (udpThreads < 1) {
            throw new IllegalArgumentException("the embedded DNS server needs at least one UDP thread, got " + udpThreads);
        }
        this.upstreamTimeout = upstreamTimeout;
        this.tools = tools;
        this.redirects = new RedirectTable(tools, false);
        try {
            for (int i = 0; i < udpThreads; i++) {
                datagramLoops.add(new DatagramLoop("swarmnet-dns-udp-" + i));
            }
        } catch (IOException e) {
            datagramLoops.forEach(DatagramLoop::close);
            throw e;
        }
        this.selector = Selector.open();
        if (upstream != null) {
            upstreamChannel = DatagramChannel.open(StandardProtocolFamily.INET);
            upstreamChannel.configureBlocking(false);
            upstreamChannel.connect(upstream);
            upstreamChannel.register(selector, SelectionKey.OP_READ, new UpstreamMarker());
            upstreamTcp = new UpstreamTcp(selector, upstream, MAX_UPSTREAM_TCP_CONNECTIONS);
        }
        loop = new Thread(this::run, "swarmnet-dns");
        loop.setDaemon(true);
        loop.start();
    }

    /**
     * Serves exactly {@code desired}: opens sockets in the namespaces of new pods, closes those of
     * pods that left, and swaps every pod's names. Returns, per pod that could not be served, why.
     */
    @Override
    public synchronized Map<PodRef, String> sync(Map<PodRef, PodResolver> desired) {
        Map<PodRef, String> failures = new HashMap<>();
        if (closed) {
            // the agent is stopping: open nothing (a socket would keep a pod's namespace alive) and close nothing twice
            desired.keySet().forEach(pod -> failures.put(pod, "DNS resolver for pod " + pod + ": the resolver is shutting down"));
            return failures;
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        List<String> stopped = new ArrayList<>();
        List<String> started = new ArrayList<>();
        for (PodRef gone : Map.copyOf(pods).keySet()) {
            PodEndpoint endpoint = pods.get(gone);
            PodResolver wanted = desired.get(gone);
            if (wanted == null || !sameNamespace(wanted.networkNamespace(), endpoint)) {
                stopped.add(gone + (wanted == null ? "" : " (its namespace is now " + wanted.networkNamespace() + ", was " + endpoint.namespace + ")"));
                // its redirect stays: a namespace that outlives the pod refuses queries as before, and a pod that
                // comes back gets the same ports again, so its clients' conntrack entries still lead somewhere
                pods.remove(gone);
                closing.addAll(endpoint.stopUdp());
                CompletableFuture<Void> closed = new CompletableFuture<>();
                loopTasks.add(() -> {
                    endpoint.closeTcp();
                    // a channel registered with a selector keeps its port until the next selection deregisters it
                    try {
                        selector.selectNow();
                    } catch (IOException e) {
                        LOG.debug("flushing closed DNS sockets: {}", e.toString());
                    }
                    closed.complete(null);
                });
                closing.add(closed);
            }
        }
        if (!closing.isEmpty()) {
            selector.wakeup();
            // the ports of a pod that left are free when sync returns, so a pod back in the same namespace can have them again
            try {
                CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("DNS sockets of departed pods not closed within 2 s: {}", e.toString());
            }
        }
        boolean rewrite = rewriteRedirects;
        rewriteRedirects = false;
        List<String> rewritten = new ArrayList<>();
        desired.forEach((pod, resolver) -> {
            PodEndpoint existing = pods.get(pod);
            if (existing != null) {
                existing.names = resolver.names();
                if (rewrite) {
                    Optional<String> failed = redirects.install(resolver.networkNamespace(), existing.redirect());
                    if (failed.isPresent()) {
                        // the redirect of the other kind still answers: tried again at the next sync
                        LOG.warn("DNS resolver for pod {}: could not rewrite its redirect {}: {}", pod,
                                redirects.kind(), failed.get());
                        rewriteRedirects = true;
                    } else {
                        rewritten.add(pod.toString());
                    }
                }
                return;
            }
            if (resolver.keepOnly()) {
                return; // not attached this round: keep what it has, open nothing
            }
            try {
                PodEndpoint endpoint = open(pod, resolver);
                started.add(pod + " " + endpoint.redirect());
                pods.put(pod, endpoint);
                endpoint.serveUdp();
                loopTasks.add(() -> endpoint.register(selector));
            } catch (IOException e) {
                failures.put(pod, "DNS resolver for pod " + pod + " in its network namespace " + resolver.networkNamespace()
                        + ": " + e.getMessage());
            }
        });
        selector.wakeup();
        if (!rewritten.isEmpty()) {
            LOG.info("rewrote the redirect of 127.0.0.11:53 {} in {} pods {}", redirects.kind(),
                    rewritten.size(), firstOf(rewritten));
        }
        if (!stopped.isEmpty() || !started.isEmpty()) {
            // which pods' sockets closed and opened, and on which ports: what tells a moment without a socket apart
            LOG.info("DNS sockets closed for {} pods {}, opened for {} pods {}; serving {}", stopped.size(), firstOf(stopped),
                    started.size(), firstOf(started), pods.size());
        }
        return failures;
    }

    /** At most ten of {@code items}, and how many more: a node's whole list at start would flood the log. */
    private static String firstOf(List<String> items) {
        return items.size() <= 10 ? items.toString() : items.subList(0, 10) + " and " + (items.size() - 10) + " more";
    }

    /**
     * Whether {@code wanted} names the namespace {@code endpoint}'s sockets are in. One namespace has many paths: a
     * restarted agent may find a pod through another of its processes ({@code /proc/PID/ns/net} of a different PID),
     * and the process whose path was sent before may have exited since, its path naming nothing. So under another path
     * the namespace itself is compared (its nsfs inode, remembered when the sockets were opened), not the old path; closing
     * and reopening the sockets of a pod that never moved would leave its port without a socket for a moment. The same
     * path is the same namespace: the agent sends a path only while its process is in the pod.
     */
    private static boolean sameNamespace(java.nio.file.Path wanted, PodEndpoint endpoint) {
        if (wanted.equals(endpoint.namespace)) {
            return true; // the usual case, every round for every pod: no stat(2) for it
        }
        Object key = namespaceKey(wanted);
        if (key != null && endpoint.namespaceKey != null) {
            return key.equals(endpoint.namespaceKey);
        }
        return false;
    }

    /** The identity of the namespace at {@code path} (device and inode, the link followed), or null when it is gone. */
    private static Object namespaceKey(java.nio.file.Path path) {
        try {
            return java.nio.file.Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    @Override
    public boolean serves(PodRef pod) {
        return pods.containsKey(pod);
    }

    /**
     * Sockets first, then the redirect to them: a query redirected before its socket exists would be refused. A
     * resolver that restarts, or the resolver of a pod that replaces this one (a rollout), finds the redirect its
     * predecessor left and binds the same ports, with SO_REUSEPORT even while the predecessor still listens there: the
     * kernel then hands each query to one of the two, and to the successor alone once the predecessor closes. So the
     * rule need not change, no query meets a closed port during the change-over, and the conntrack entries of clients
     * that keep their source port (nginx's resolver, say) still lead to a listening socket. Only when someone else
     * holds a port (a process of the pod) do the new sockets get new ports and a new rule.
     */
    private PodEndpoint open(PodRef pod, PodResolver resolver) throws IOException {
        Optional<ResolverRedirect> previous = redirects.read(resolver.networkNamespace());
        PodEndpoint endpoint = NetworkNamespace.callInside(resolver.networkNamespace(), "swarmnet-dns-open", () -> {
            // IPv4 sockets: a default (dual-stack) channel would bind ::ffff:127.0.0.11 instead
            ServerSocketChannel tcp = ServerSocketChannel.open(StandardProtocolFamily.INET);
            List<UdpSocket> udp = new ArrayList<>();
            try {
                // a port shared only with sockets of the same user that ask for it too: the resolver of the pod
                // being replaced (root, as this one), not a task's process unless it runs as root and asks alike;
                // and by this resolver's own UDP sockets, one per thread that answers UDP
                tcp.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                udp.add(bindUdp(previous.map(ResolverRedirect::udpPort)));
                while (udp.size() < datagramLoops.size()) {
                    udp.add(UdpSocket.bind(dnsAddress(), udp.get(0).port()));
                }
                // a predecessor's accepted connections may linger in TIME_WAIT on the port this one takes over
                tcp.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                bind(tcp, previous.map(ResolverRedirect::tcpPort));
                tcp.configureBlocking(false);
            } catch (IOException e) {
                udp.forEach(UdpSocket::close);
                tcp.close();
                throw new IOException("could not listen on " + SwarmnetKeys.EMBEDDED_DNS_ADDRESS + ": " + e.getMessage(), e);
            }
            return new PodEndpoint(pod, resolver.networkNamespace(), resolver.names(), udp, tcp);
        });
        ResolverRedirect redirect = endpoint.redirect();
        if (previous.equals(Optional.of(redirect))) {
            return endpoint;
        }
        Optional<String> failed = redirects.install(resolver.networkNamespace(), redirect);
        if (failed.isPresent()) {
            endpoint.close();
            throw new IOException("could not redirect " + SwarmnetKeys.EMBEDDED_DNS_ADDRESS + ":" + ResolverRedirect.DNS_PORT
                    + " to its sockets (" + redirect.udpPort() + "/udp, " + redirect.tcpPort() + "/tcp): " + failed.get());
        }
        return endpoint;
    }

    private static java.net.Inet4Address dnsAddress() throws IOException {
        return (java.net.Inet4Address) InetAddress.getByName(SwarmnetKeys.EMBEDDED_DNS_ADDRESS);
    }

    /** A UDP socket on 127.0.0.11 at {@code preferred} when it is free, else at a port the kernel chooses. */
    private static UdpSocket bindUdp(Optional<Integer> preferred) throws IOException {
        if (preferred.isPresent()) {
            try {
                return UdpSocket.bind(dnsAddress(), preferred.get());
            } catch (java.net.BindException e) {
                // taken meanwhile by someone in the pod: a new port, and a new rule for it
            }
        }
        return UdpSocket.bind(dnsAddress(), 0);
    }

    /** Binds 127.0.0.11 at {@code preferred} when it is free, else at a port the kernel chooses. */
    private static void bind(java.nio.channels.NetworkChannel channel, Optional<Integer> preferred) throws IOException {
        InetAddress address = dnsAddress();
        if (preferred.isPresent()) {
            try {
                bindTo(channel, new InetSocketAddress(address, preferred.get()));
                return;
            } catch (java.net.BindException e) {
                // taken meanwhile by someone in the pod: a new port, and a new rule for it
            }
        }
        bindTo(channel, new InetSocketAddress(address, 0));
    }

    private static void bindTo(java.nio.channels.NetworkChannel channel, InetSocketAddress address) throws IOException {
        if (channel instanceof ServerSocketChannel server) {
            server.bind(address, 64);
        } else {
            channel.bind(address);
        }
    }

    private void run() {
        while (running) {
            try {
                Runnable task;
                while ((task = loopTasks.poll()) != null) {
                    task.run();
                }
                selector.select(100);
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    handle(key);
                }
                expire();
            } catch (IOException | RuntimeException e) {
                // one bad packet or connection must never stop the resolver of every pod on the node
                LOG.warn("DNS event loop: {}", e.toString());
            }
        }
    }

    private void handle(SelectionKey key) throws IOException {
        if (!key.isValid()) {
            return;
        }
        Object attachment = key.attachment();
        if (attachment instanceof UpstreamMarker) {
            readUpstream();
        } else if (attachment instanceof UpstreamTcp.Exchange exchange) {
            exchange.ready();
        } else if (attachment instanceof PodEndpoint endpoint) {
            if (key.isAcceptable()) {
                accept(endpoint);
            }
        } else if (attachment instanceof TcpConnection connection) {
            try {
                if (key.isReadable()) {
                    connection.read();
                }
                if (key.isValid() && key.isWritable()) {
                    connection.flush();
                }
            } catch (IOException e) {
                connection.close();
            }
        }
    }

    private void accept(PodEndpoint endpoint) throws IOException {
        SocketChannel channel = endpoint.tcp.accept();
        if (channel == null) {
            return;
        }
        if (endpoint.connections >= MAX_TCP_CONNECTIONS_PER_POD) {
            channel.close();
            return;
        }
        channel.configureBlocking(false);
        TcpConnection connection = new TcpConnection(endpoint, channel);
        endpoint.connections++;
        connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
    }

    private void forwardOverUdp(DnsResponder.Forward forward, int queryLength, Client client) {
        Message query = forward.query();
        Pending waiting = new Pending(client, query, queryLength, query.getHeader().getID(), deadline(), forward.fallback());
        if (upstreamChannel == null || pending.size() >= 60_000) {
            waiting.failed();
            return;
        }
        int id = nextFreeId();
        query.getHeader().setID(id);
        byte[] wire = query.toWire();
        query.getHeader().setID(waiting.originalId());
        try {
            upstreamChannel.write(ByteBuffer.wrap(wire));
            pending.put(id, new UdpForward(waiting, wire, System.nanoTime()));
        } catch (IOException e) {
            waiting.failed();
        }
    }

    /** A query forwarded over UDP: what went upstream (with our id), and when it goes again if still unanswered. */
    private static final class UdpForward {
        final Pending waiting;
        final byte[] wire;
        long interval = UPSTREAM_RESEND.toNanos();
        long resendAt;

        UdpForward(Pending waiting, byte[] wire, long sentAt) {
            this.waiting = waiting;
            this.wire = wire;
            this.resendAt = sentAt + interval;
        }
    }

    /** A query that came over TCP goes on over TCP: its answer may be larger than any UDP answer. */
    private void forwardOverTcp(DnsResponder.Forward forward, int queryLength, Client client) {
        Message query = forward.query();
        Pending waiting = new Pending(client, query, queryLength, query.getHeader().getID(), deadline(), forward.fallback());
        if (upstreamTcp == null) {
            waiting.failed();
            return;
        }
        upstreamTcp.ask(query.toWire(), waiting.deadline(), waiting);
    }

    private long deadline() {
        return System.nanoTime() + upstreamTimeout.toNanos();
    }

    private int nextFreeId() {
        do {
            nextUpstreamId = (nextUpstreamId + 1) & 0xFFFF;
        } while (pending.containsKey(nextUpstreamId));
        return nextUpstreamId;
    }

    private void readUpstream() {
        for (int i = 0; i < 64; i++) {
            buffer.clear();
            int read;
            try {
                read = upstreamChannel.read(buffer);
            } catch (PortUnreachableException e) {
                // nothing listens upstream: every waiting query fails now rather than at its timeout
                failAllPending();
                return;
            } catch (IOException e) {
                failAllPending();
                return;
            }
            if (read <= 0) {
                return;
            }
            buffer.flip();
            byte[] reply = new byte[buffer.remaining()];
            buffer.get(reply);
            if (reply.length < 12) {
                continue;
            }
            int id = ((reply[0] & 0xFF) << 8) | (reply[1] & 0xFF);
            UdpForward forwarded = pending.remove(id);
            if (forwarded == null) {
                continue; // an answer to a copy we sent again, after the first answer
            }
            Pending waiting = forwarded.waiting;
            if (waiting.fallback.isPresent() && !found(reply)) {
                waiting.client.send(waiting.fallback.get());
                continue;
            }
            if (truncated(reply)) {
                // the whole answer is only to be had over TCP; fetched here, it reaches a client whose limit it
                // fits in one round trip, and one whose limit it exceeds still learns to ask over TCP
                upstreamTcp.ask(waiting.query.toWire(), waiting.deadline, waiting);
                continue;
            }
            reply[0] = (byte) (waiting.originalId >> 8);
            reply[1] = (byte) waiting.originalId;
            waiting.client.send(reply);
        }
    }

    /** Upstream has the name (NOERROR), as opposed to NXDOMAIN, SERVFAIL, REFUSED and the like. */
    private static boolean found(byte[] reply) {
        return (reply[3] & 0x0F) == org.xbill.DNS.Rcode.NOERROR;
    }

    private static boolean truncated(byte[] reply) {
        return (reply[2] & 0x02) != 0;
    }

    private void failAllPending() {
        pending.values().forEach(f -> f.waiting.failed());
        pending.clear();
    }

    private void expire() {
        long now = System.nanoTime();
        pending.values().removeIf(f -> {
            if (now - f.waiting.deadline() > 0) {
                f.waiting.failed();
                return true;
            }
            if (now - f.resendAt > 0) {
                try {
                    upstreamChannel.write(ByteBuffer.wrap(f.wire));
                } catch (IOException e) {
                    LOG.debug("sending a query upstream again: {}", e.toString());
                }
                f.interval *= 2;
                f.resendAt = now + f.interval;
            }
            return false;
        });
        if (upstreamTcp != null) {
            upstreamTcp.expire(now);
        }
        for (PodEndpoint endpoint : pods.values()) {
            endpoint.closeIdle(now);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return; // closing twice must not touch the closed selector again
            }
            closed = true;
        }
        running = false;
        selector.wakeup();
        try {
            loop.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        datagramLoops.forEach(DatagramLoop::close);
        pods.values().forEach(PodEndpoint::close);
        pods.clear();
        try {
            if (upstreamChannel != null) {
                upstreamTcp.close();
                upstreamChannel.close();
            }
            selector.close();
        } catch (IOException e) {
            LOG.debug("closing DNS selector: {}", e.toString());
        }
    }

    private static final class UpstreamMarker {
    }

    private interface Client {
        void send(byte[] reply);

        /** An upstream answer fetched over TCP, which may be larger than a UDP client can take. */
        default void sendFetchedOverTcp(Message query, byte[] answer) {
            send(answer);
        }
    }

    /** A UDP client whose query went upstream: answered from the event loop, through the socket it asked on. */
    private record UdpClient(UdpSocket socket, byte[] sockaddr) implements Client {
        @Override
        public void send(byte[] reply) {
            socket.sendTo(reply, sockaddr); // nothing if the pod went away while its query was upstream
        }

        @Override
        public void sendFetchedOverTcp(Message query, byte[] answer) {
            send(DnsResponder.forUdpClient(query, answer));
        }
    }

    /**
     * A forwarded query waiting for upstream; {@code fallback} is our answer should upstream not have the name. Over
     * TCP the query goes upstream with the client's own id, so the answer already carries {@code originalId}.
     */
    private record Pending(Client client, Message query, int queryLength, int originalId, long deadline, Optional<byte[]> fallback)
            implements UpstreamTcp.Answer {

        @Override
        public void received(byte[] reply) {
            if (fallback.isPresent() && !found(reply)) {
                client.send(fallback.get());
                return;
            }
            client.sendFetchedOverTcp(query, reply);
        }

        @Override
        public void failed() {
            client.send(fallback.orElseGet(() -> DnsResponder.serverFailure(query, queryLength)));
        }
    }

    private final class PodEndpoint {
        final PodRef pod;
        final java.nio.file.Path namespace;
        /** The namespace's identity when the sockets were opened, or null if it could not be read. */
        final Object namespaceKey;
        volatile NameTable names;
        /** One socket per {@link DatagramLoop}, all on one port, in the order of {@link #datagramLoops}. */
        final List<UdpSocket> udp;
        final ServerSocketChannel tcp;
        final java.util.Set<TcpConnection> open = new java.util.HashSet<>();
        int connections;

        PodEndpoint(PodRef pod, java.nio.file.Path namespace, NameTable names, List<UdpSocket> udp, ServerSocketChannel tcp) {
            this.pod = pod;
            this.namespace = namespace;
            this.namespaceKey = namespaceKey(namespace);
            this.names = names;
            this.udp = udp;
            this.tcp = tcp;
        }

        /** Where 127.0.0.11:53 of this pod must lead: the ports these sockets got. */
        ResolverRedirect redirect() {
            return new ResolverRedirect(udp.get(0).port(), tcp.socket().getLocalPort());
        }

        /** Each UDP socket to its thread. */
        void serveUdp() {
            for (int i = 0; i < udp.size(); i++) {
                datagramLoops.get(i).add(udp.get(i), new PodDatagrams(this, udp.get(i)));
            }
        }

        /** Each UDP socket closed by its thread; complete once all are. */
        List<CompletableFuture<Void>> stopUdp() {
            List<CompletableFuture<Void>> closed = new ArrayList<>();
            for (int i = 0; i < udp.size(); i++) {
                closed.add(datagramLoops.get(i).remove(udp.get(i)));
            }
            return closed;
        }

        void register(Selector selector) {
            try {
                tcp.register(selector, SelectionKey.OP_ACCEPT, this);
            } catch (ClosedChannelException e) {
                LOG.debug("pod {} left before its DNS sockets were registered", pod);
            }
        }

        void closeIdle(long now) {
            for (TcpConnection connection : java.util.List.copyOf(open)) {
                if (now - connection.lastActivity > TCP_IDLE.toNanos()) {
                    connection.close();
                }
            }
        }

        /**
         * Closes every socket: for a pod never served, or once the threads that served it have stopped (the UDP
         * sockets of a served pod are closed by their threads, {@link #stopUdp}).
         */
        void close() {
            udp.forEach(UdpSocket::close);
            closeTcp();
        }

        void closeTcp() {
            java.util.List.copyOf(open).forEach(TcpConnection::close);
            try {
                tcp.close();
            } catch (IOException e) {
                LOG.debug("closing DNS sockets of {}: {}", pod, e.toString());
            }
        }
    }

    /**
     * A pod's UDP socket as one {@link DatagramLoop} serves it: answers from the cached wire answers when it can, else
     * through {@link DnsResponder}; a query for upstream goes to the event loop, which owns the forwarding.
     */
    private final class PodDatagrams implements DatagramLoop.Answerer {
        final PodEndpoint endpoint;
        final UdpSocket socket;
        /** The cached answers of the pod's names, rebuilt (lazily, name by name) when sync swaps the table; this thread's. */
        private WireAnswers answers = new WireAnswers(NameTable.EMPTY);
        private int rotation;

        PodDatagrams(PodEndpoint endpoint, UdpSocket socket) {
            this.endpoint = endpoint;
            this.socket = socket;
        }

        @Override
        public void answer(DatagramBatch batch, int slot) {
            int length = batch.read(slot);
            NameTable names = endpoint.names;
            if (answers.table() != names) {
                answers = new WireAnswers(names);
            }
            int answered = answers.write(batch.query, length, false, rotation, batch.answer);
            if (answered != WireAnswers.NOT_ANSWERED) {
                rotation++;
                batch.reply(slot, batch.answer, answered);
                return;
            }
            DnsResponder.Outcome outcome = DnsResponder.respond(batch.query, length, names, false, rotation++);
            if (outcome instanceof DnsResponder.Reply reply) {
                batch.reply(slot, reply.bytes(), reply.bytes().length);
            } else if (outcome instanceof DnsResponder.Forward forward) {
                UdpClient client = new UdpClient(socket, batch.sender(slot));
                loopTasks.add(() -> forwardOverUdp(forward, length, client));
                selector.wakeup();
            }
        }
    }

    /** One DNS-over-TCP client: two-byte length, message, possibly several in a row (RFC 7766). */
    private final class TcpConnection implements Client {
        final PodEndpoint endpoint;
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(65_535 + 2);
        final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        SelectionKey key;
        long lastActivity = System.nanoTime();
        boolean closed;

        TcpConnection(PodEndpoint endpoint, SocketChannel channel) {
            this.endpoint = endpoint;
            this.channel = channel;
            endpoint.open.add(this);
        }

        void read() throws IOException {
            int read = channel.read(in);
            if (read < 0) {
                close();
                return;
            }
            lastActivity = System.nanoTime();
            in.flip();
            while (in.remaining() >= 2) {
                int length = ((in.get(in.position()) & 0xFF) << 8) | (in.get(in.position() + 1) & 0xFF);
                if (in.remaining() < 2 + length) {
                    break;
                }
                in.getShort();
                byte[] message = new byte[length];
                in.get(message);
                DnsResponder.Outcome outcome = DnsResponder.respond(message, length, endpoint.names, true, rotation++);
                if (outcome instanceof DnsResponder.Reply reply) {
                    send(reply.bytes());
                } else if (outcome instanceof DnsResponder.Forward forward) {
                    forwardOverTcp(forward, length, this);
                } else {
                    close();
                    return;
                }
            }
            in.compact();
        }

        @Override
        public void send(byte[] reply) {
            if (closed) {
                return;
            }
            ByteBuffer framed = ByteBuffer.allocate(2 + reply.length);
            framed.putShort((short) reply.length).put(reply).flip();
            out.add(framed);
            try {
                flush();
            } catch (IOException e) {
                close();
            }
        }

        void flush() throws IOException {
            while (!out.isEmpty()) {
                ByteBuffer head = out.peek();
                channel.write(head);
                if (head.hasRemaining()) {
                    key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    return;
                }
                out.poll();
            }
            if (key.isValid()) {
                key.interestOps(SelectionKey.OP_READ);
            }
        }

        void close() {
            if (closed) {
                return;
            }
            closed = true;
            endpoint.open.remove(this);
            endpoint.connections--;
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("closing DNS TCP connection: {}", e.toString());
            }
        }
    }
}

package io.swarmnet.agent.dns;

import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.netns.ProcPodNamespaceLocator;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's resolver as a process of its own ({@code swarmnet dns}, a second container of the agent's pod), so that
 * 127.0.0.11 keeps answering in every pod while the agent is killed, crashes or restarts: it holds the sockets in the
 * pods' namespaces and answers from the names the agent last sent. The agent sends every pod to serve over a Unix
 * socket in a volume the two containers share ({@link ResolverClient}); the resolver keeps what it serves in a file
 * beside the socket and serves it again at once when it restarts itself, before the agent speaks.
 *
 * <p>When its pod is replaced (a rollout: SIGTERM), it hands over instead of stopping: the replacement's resolver reads
 * the same state file (on the node), binds the same ports beside it and says so in a marker file next to the state
 * ({@code <state>.serving}, the instance that serves now); only then does this one close, or after
 * {@link #HANDOVER_BOUND} without a successor. There is no moment without a socket on the pods' ports.
 */
public final class ResolverProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ResolverProcess.class);
    /** How long a stopping resolver waits for its successor: inside the agent pod's 30 s termination grace period. */
    public static final Duration HANDOVER_BOUND = Duration.ofSeconds(20);
    private final String instance = UUID.randomUUID().toString();
    private final Path servingMarker;
    /** How many pods the last sync (or the restore) left served: a resolver serving none has nothing to hand over. */
    private volatile int served;
    private final PodResolvers server;
    private final Path socket;
    private final Path stateFile;
    private final ServerSocketChannel listener;
    private final Thread acceptor;
    private volatile boolean running = true;
    private volatile SocketChannel current;

    /**
     * @param server    the resolver that holds the pods' sockets
     * @param socket    where the agent connects (a stale file there is replaced)
     * @param stateFile what was served last, read at start and rewritten after every exchange
     */
    public ResolverProcess(PodResolvers server, Path socket, Path stateFile) throws IOException {
        this.server = server;
        this.socket = socket;
        this.stateFile = stateFile;
        this.servingMarker = stateFile.resolveSibling(stateFile.getFileName() + ".serving");
        restore();
        Files.createDirectories(socket.getParent());
        if (stateFile.getParent() != null) {
            Files.createDirectories(stateFile.getParent());
        }
        Files.deleteIfExists(socket);
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        acceptor = new Thread(this::accept, "swarmnet-resolver-socket");
        acceptor.setDaemon(true);
        acceptor.start();
        writeAtomically(servingMarker, instance.getBytes(StandardCharsets.US_ASCII), "a predecessor being replaced waits its full bound");
    }

    /** The pods of the state file whose namespaces still exist are served before anyone asks. */
    private void restore() {
        if (!Files.isRegularFile(stateFile)) {
            return;
        }
        try {
            Map<PodRef, PodResolver> saved = take(Files.readAllBytes(stateFile));
            Map<PodRef, PodResolver> pods = new HashMap<>();
            Map<Path, ProcPodNamespaceLocator> locators = new HashMap<>();
            int foundAnew = 0;
            for (Map.Entry<PodRef, PodResolver> e : saved.entrySet()) {
                PodResolver resolver = e.getValue();
                if (stillThePod(e.getKey(), resolver.networkNamespace())) {
                    pods.put(e.getKey(), resolver);
                    continue;
                }
                // the process the path went through exited (a pod is found through one of its processes), or the pod is
                // gone: look for the pod by its UID, as the agent does, rather than leave it without DNS until the agent speaks
                Optional<Path> found = procRoot(resolver.networkNamespace())
                        .flatMap(proc -> locators.computeIfAbsent(proc, ProcPodNamespaceLocator::scanningOnce).find(e.getKey()));
                if (found.isPresent()) {
                    pods.put(e.getKey(), new PodResolver(found.get(), resolver.names(), resolver.keepOnly()));
                    foundAnew++;
                }
            }
            Map<PodRef, String> failures = server.sync(pods);
            served = pods.size() - failures.size();
            LOG.info("serving again the {} pods of {} ({} found through another of their processes; {} could not be served, {} are gone)",
                    pods.size() - failures.size(), stateFile, foundAnew, failures.size(), saved.size() - pods.size());
        } catch (IOException e) {
            LOG.warn("ignoring the resolver state {}: {}; the agent sends the pods again", stateFile, e.getMessage());
        }
    }

    /**
     * Whether {@code namespace} is still that pod's: the file exists and, for a process's namespace
     * ({@code .../PID/ns/net}, as the agent finds pods), that process is still in the pod's cgroup. The state may be
     * older than a reboot or a pod's end, and a PID is then someone else's.
     */
    static boolean stillThePod(PodRef pod, Path namespace) {
        if (!Files.exists(namespace)) {
            return false;
        }
        if (procRoot(namespace).isEmpty()) {
            return true; // a namespace of its own name (/run/netns/...), which only its owner removes
        }
        return ProcPodNamespaceLocator.inPod(namespace.getParent().getParent(), pod);
    }

    /** The proc filesystem a {@code <proc>/PID/ns/net} path goes through, or empty for a namespace of its own name. */
    static Optional<Path> procRoot(Path namespace) {
        Path ns = namespace.getParent();
        if (ns == null || namespace.getFileName() == null || !namespace.getFileName().toString().equals("net")
                || ns.getFileName() == null || !ns.getFileName().toString().equals("ns") || ns.getParent() == null
                || ns.getParent().getParent() == null || !ns.getParent().getFileName().toString().chars().allMatch(Character::isDigit)) {
            return Optional.empty();
        }
        return Optional.of(ns.getParent().getParent());
    }

    /** An agent's frame (sent now, or saved before): its pods; the redirect it asked for, if it said, is taken on. */
    private Map<PodRef, PodResolver> take(byte[] frame) throws IOException {
        ResolverWire.Frame read = ResolverWire.frame(frame);
        read.untrackedRedirect().ifPresent(server::redirectUntracked);
        return read.pods();
    }

    private void accept() {
        while (running) {
            try (SocketChannel connection = listener.accept()) {
                current = connection;
                serve(connection);
            } catch (IOException e) {
                if (running) {
                    LOG.warn("resolver socket {}: {}", socket, e.toString());
                }
            }
        }
    }

    /** One agent at a time: each frame it sends is every pod to serve, answered with the failures. */
    private void serve(SocketChannel connection) throws IOException {
        DataInputStream in = new DataInputStream(Channels.newInputStream(connection));
        DataOutputStream out = new DataOutputStream(Channels.newOutputStream(connection));
        while (running) {
            byte[] frame;
            try {
                frame = ResolverWire.read(in);
            } catch (EOFException e) {
                return; // the agent went away; what it sent last is served on
            }
            Map<PodRef, PodResolver> pods = take(frame);
            Map<PodRef, String> failures = server.sync(pods);
            served = pods.size() - failures.size();
            save(frame);
            ResolverWire.write(out, ResolverWire.failures(failures));
        }
    }

    private void save(byte[] frame) {
        writeAtomically(stateFile, frame, "a restart of the resolver waits for the agent");
    }

    private static void writeAtomically(Path file, byte[] content, String otherwise) {
        try {
            Path next = file.resolveSibling(file.getFileName() + ".next");
            Files.write(next, content);
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("could not write {}: {}; {}", file, e.toString(), otherwise);
        }
    }

    /**
     * Stops the way a replaced pod's resolver should: keeps answering until a successor has opened the same pods (its
     * marker names another instance), at most {@code bound}, then closes. Returns whether a successor took over.
     */
    public boolean handOver(Duration bound) {
        long start = System.nanoTime();
        long deadline = start + bound.toNanos();
        boolean successor = false;
        if (served > 0) {
            while (!(successor = !instance.equals(readMarker())) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            long waited = (System.nanoTime() - start) / 1_000_000;
            if (successor) {
                LOG.info("handed the {} pods over to the resolver that replaces this one after {} ms", served, waited);
            } else {
                LOG.info("no resolver took the {} pods over within {} ms; stopping", served, waited);
            }
        }
        close();
        return successor;
    }

    private String readMarker() {
        try {
            return Files.readString(servingMarker, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return instance; // unreadable: no successor known
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            listener.close();
            SocketChannel connection = current;
            if (connection != null) {
                connection.close();
            }
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.debug("closing the resolver socket: {}", e.toString());
        }
        server.close();
    }

    /**
     * {@code swarmnet dns}: SWARMNET_DNS_SOCKET names the socket; SWARMNET_DNS_STATE the state file (default beside
     * the socket; on the node, so that the resolver of a replaced pod serves at once); the upstream as for the agent.
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        String socketText = env.get("SWARMNET_DNS_SOCKET");
        if (socketText == null || socketText.isBlank() || !Path.of(socketText).isAbsolute()) {
            System.err.println("swarmnet dns: SWARMNET_DNS_SOCKET must name the absolute path of the socket the agent connects to "
                    + "(a volume shared with the agent container), got '" + socketText + "'");
            System.exit(2);
        }
        Path socket = Path.of(socketText);
        DnsSettings settings = DnsSettings.fromEnvironment(env);
        EmbeddedDnsServer server = new EmbeddedDnsServer(settings.upstream().orElse(null), settings.upstreamTimeout())
                .redirectUntracked(settings.untrackedRedirect());
        Path state = Path.of(Optional.ofNullable(env.get("SWARMNET_DNS_STATE")).filter(v -> !v.isBlank())
                .orElse(socket.resolveSibling("resolvers.json").toString()));
        ResolverProcess process = new ResolverProcess(server, socket, state);
        // SIGTERM comes when the pod goes (a rollout, an uninstall): answer on until a successor serves the pods
        Runtime.getRuntime().addShutdownHook(new Thread(() -> process.handOver(HANDOVER_BOUND), "swarmnet-resolver-stop"));
        LOG.info("resolver serving on {}; upstream {}", socket, settings.upstream().map(Object::toString).orElse("none"));
        Thread.currentThread().join();
    }
}

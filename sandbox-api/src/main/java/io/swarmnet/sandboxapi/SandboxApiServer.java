package io.swarmnet.sandboxapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.sandboxapi.admission.Admission;
import io.swarmnet.sandboxapi.admission.NodePorts;
import io.swarmnet.sandboxapi.http.ApiRouter;
import io.swarmnet.sandboxapi.http.Discovery;
import io.swarmnet.sandboxapi.http.HttpFront;
import io.swarmnet.sandboxapi.http.OpenApiDocuments;
import io.swarmnet.sandboxapi.http.ResourceEndpoints;
import io.swarmnet.sandboxapi.http.TableConverter;
import io.swarmnet.sandboxapi.http.WatchStream;
import io.swarmnet.sandboxapi.resource.CrdRegistration;
import io.swarmnet.sandboxapi.resource.ResourceCatalog;
import io.swarmnet.sandboxapi.resource.ResourceType;
import io.swarmnet.sandboxapi.store.AdmissionControl;
import io.swarmnet.sandboxapi.store.GarbageCollector;
import io.swarmnet.sandboxapi.store.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An embedded Kubernetes API server for tests and the local sandbox: real API semantics (merge,
 * JSON and strategic merge patch, status and scale subresources, generation, resourceVersion
 * conflicts, finalizers, owner garbage collection, NodePort allocation for Services, watches over WebSocket and streaming HTTP,
 * CRD schema admission) and what real kubectl needs (discovery, OpenAPI v3, Tables), in memory,
 * over plain HTTP on 127.0.0.1.
 *
 * <pre>{@code
 * try (SandboxApiServer api = SandboxApiServer.start()) {
 *     KubernetesClient client = api.client();
 *     Path kubeconfig = api.writeKubeconfig(dir.resolve("kubeconfig"));   // for kubectl --kubeconfig
 * }
 * }</pre>
 */
public final class SandboxApiServer implements AutoCloseable {

    private static final List<String> INITIAL_NAMESPACES = List.of("default", "kube-system", "kube-public", "kube-node-lease");

    private final HttpFront front;
    private final GarbageCollector garbageCollector;
    private final List<KubernetesClient> clients = new CopyOnWriteArrayList<>();

    private SandboxApiServer(HttpFront front, GarbageCollector garbageCollector) {
        this.front = front;
        this.garbageCollector = garbageCollector;
    }

    /** On 127.0.0.1, a free port, with the repository's CRDs installed and validation on. */
    public static SandboxApiServer start() {
        return start(SandboxApiOptions.defaults());
    }

    public static SandboxApiServer start(SandboxApiOptions options) {
        Clock clock = Clock.systemUTC();
        ObjectStore store = new ObjectStore(clock);
        ResourceCatalog catalog = new ResourceCatalog();
        GarbageCollector garbageCollector = new GarbageCollector(store);
        store.addListener(new CrdRegistration(catalog, store));
        store.addListener(garbageCollector);
        Admission builtIn = new Admission(options.validation());
        NodePorts nodePorts = new NodePorts(type -> store.list(type, null, o -> true).items());
        AdmissionControl webhook = options.webhook();
        store.admission((type, object, old) -> {
            builtIn.admit(type, object, old);
            nodePorts.admit(type, object, old);
            webhook.admit(type, object, old);
        });

        ResourceType namespaces = catalog.find("", "v1", "namespaces").orElseThrow();
        for (String namespace : INITIAL_NAMESPACES) {
            ObjectNode object = Json.object();
            Json.metadata(object).put("name", namespace);
            store.create(namespaces, object);
        }
        ResourceType crds = catalog.find("apiextensions.k8s.io", "v1", "customresourcedefinitions").orElseThrow();
        Path crdDirectory = options.crdDirectory() != null ? options.crdDirectory() : CrdDirectory.find().orElse(null);
        if (crdDirectory != null) {
            for (ObjectNode crd : CrdDirectory.read(crdDirectory)) {
                store.create(crds, crd);
            }
        }

        TableConverter tables = new TableConverter(clock);
        ResourceEndpoints endpoints = new ResourceEndpoints(store, garbageCollector, tables);
        // Discovery advertises the address clients reach; the port is known once bound, so it is resolved lazily.
        PortHolder port = new PortHolder();
        ApiRouter router = new ApiRouter(catalog, new Discovery(catalog, port), new OpenApiDocuments(catalog), endpoints,
                options.access(), clock);
        HttpFront front;
        try {
            front = HttpFront.start("127.0.0.1", options.port(), router, new WatchStream(store, tables));
        } catch (RuntimeException e) {
            garbageCollector.close();
            throw e;
        }
        port.port = front.port();
        return new SandboxApiServer(front, garbageCollector);
    }

    /** The address discovery reports, once the server has bound its port. */
    private static final class PortHolder implements java.util.function.Supplier<String> {
        private volatile int port;

        @Override
        public String get() {
            return "127.0.0.1:" + port;
        }
    }

    /** {@code http://127.0.0.1:PORT} */
    public String url() {
        return "http://127.0.0.1:" + front.port();
    }

    public int port() {
        return front.port();
    }

    /** A fabric8 client for this server, namespace "default"; closed with the server. */
    public KubernetesClient client() {
        return client("default");
    }

    public KubernetesClient client(String namespace) {
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl(url())
                .withNamespace(namespace)
                .withTrustCerts(true)
                .withRequestRetryBackoffLimit(0)
                .build();
        // built as the operator's and the agent's clients are: on the JDK HTTP client (KubernetesClients says why)
        KubernetesClient client = KubernetesClients.builder().withConfig(config).build();
        clients.add(client);
        return client;
    }

    /** Writes a kubeconfig that real kubectl uses to reach this server (context {@code sandbox}, namespace default). */
    public Path writeKubeconfig(Path file) {
        String kubeconfig = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: sandbox
                  cluster:
                    server: %s
                users:
                - name: sandbox
                  user: {}
                contexts:
                - name: sandbox
                  context:
                    cluster: sandbox
                    user: sandbox
                    namespace: default
                current-context: sandbox
                preferences: {}
                """.formatted(url());
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            Files.writeString(file, kubeconfig);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the sandbox kubeconfig to " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    /** Waits until the garbage collector has handled every deletion so far (deletes of dependents included). */
    public void awaitGarbageCollection() {
        garbageCollector.settle();
    }

    @Override
    public void close() {
        clients.forEach(KubernetesClient::close);
        try {
            front.close();
        } finally {
            garbageCollector.close();
        }
    }
}

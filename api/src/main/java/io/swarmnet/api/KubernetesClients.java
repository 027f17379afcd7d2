package io.swarmnet.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * Where the operator and the node agent get their Kubernetes clients: fabric8 on the JDK's own HTTP client.
 *
 * <p>fabric8's Vert.x HTTP client (7.5) can lose a watch event that the API server sends right after the
 * WebSocket handshake — what a watch resumed from a resourceVersion receives first, and what an informer's
 * watch receives when objects changed between its list and its watch. Such an informer misses the change
 * until its next resync. Measured against the sandbox API server with two busy cores: 5 and 11 lost of
 * 150 and 300 resumed watches on Vert.x, none of 150 on the JDK client. The choice is made here rather than
 * left to fabric8, which takes whichever client factory its service loader lists first.
 */
public final class KubernetesClients {

    /**
     * Objects per list request of every informer of the operator and the agent, as client-go's informers ask: one answer
     * holding every pod of a large cluster would be read whole before it is parsed (38 MB of JSON for 10,000 task pods),
     * and the JDK HTTP client's connection kept the last one referenced.
     */
    public static final long LIST_PAGE = 500;

    /** The system property that sizes the JVM's common pool, read once, when the pool is first used. */
    static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    /** The common pool's size asked for when the JVM would make it smaller, as it does with at most 2 CPUs. */
    static final int COMMON_POOL_THREADS = 2;

    /** Whether the JVM was told that its common pool is too small (once). */
    private static final AtomicBoolean TOLD = new AtomicBoolean();

    static {
        widenCommonPool();
    }

    private KubernetesClients() {
    }

    /**
     * Asks for a common pool of at least {@link #COMMON_POOL_THREADS} threads, unless the JVM was told a size, and returns
     * the size it has. The JDK HTTP client hands each response on through {@code CompletableFuture}'s default executor, and
     * that executor is the common pool only when the pool has 2 threads or more; with fewer — what the JVM makes with at
     * most 2 CPUs, as in a pod limited to 1 or 2 — it starts a new thread for every task, one per API response: 16,512
     * threads in the benchmark's JVM while its operator created 10,000 task pods. This runs when the class is first used
     * (before the first client is built) and again, doing nothing more, when the operator's and the agent's {@code main}
     * call it first thing; a JVM whose common pool was made earlier keeps its size, and is told once how to start instead.
     * What runs on the common pool must block only through {@code get} or {@code join} (which the pool makes up for with
     * spare threads), not on a process, a lock or a queue: it would hold up the API clients' responses.
     */
    public static int widenCommonPool() {
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null
                && Runtime.getRuntime().availableProcessors() - 1 < COMMON_POOL_THREADS) {
            System.setProperty(COMMON_POOL_PARALLELISM, Integer.toString(COMMON_POOL_THREADS));
        }
        int threads = ForkJoinPool.getCommonPoolParallelism();
        if (threads < 2 && TOLD.compareAndSet(false, true)) {
            org.slf4j.LoggerFactory.getLogger(KubernetesClients.class).warn("the JVM's common pool has {} thread, so each response "
                    + "of the API server starts a thread; start the JVM with -D{}={}", threads, COMMON_POOL_PARALLELISM,
                    COMMON_POOL_THREADS);
        }
        return threads;
    }

    /**
     * Every object a list names, asked for in pages of {@link #LIST_PAGE} following the server's continue tokens:
     * {@code listInPages(client.pods().inAnyNamespace()::list)}.
     */
    public static <T extends HasMetadata, L extends KubernetesResourceList<T>> List<T> listInPages(Function<ListOptions, L> list) {
        List<T> items = new ArrayList<>();
        forEachInPages(list, items::add);
        return items;
    }

    /** As {@link #listInPages}, handing each object to {@code each} as its page arrives: one page held at a time, not the whole list. */
    public static <T extends HasMetadata, L extends KubernetesResourceList<T>> void forEachInPages(Function<ListOptions, L> list,
                                                                                                   java.util.function.Consumer<T> each) {
        String next = null;
        do {
            L page = list.apply(new ListOptionsBuilder().withLimit(LIST_PAGE).withContinue(next).build());
            page.getItems().forEach(each);
            next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
        } while (next != null && !next.isEmpty());
    }

    /**
     * A builder configured from the environment (in-cluster service account or kubeconfig), on the JDK HTTP client, reading
     * objects as {@link #serialization()} does.
     */
    public static KubernetesClientBuilder builder() {
        return builder(serialization());
    }

    private static KubernetesClientBuilder builder(KubernetesSerialization serialization) {
        return new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory()).withKubernetesSerialization(serialization);
    }

    /**
     * How swarmnet's clients read and write objects: as fabric8 does, except that {@code metadata.managedFields} is skipped
     * rather than read. A real API server sends it with every object (one entry per writer, each a tree of every field that
     * writer set: on a task pod about as much JSON as the pod's spec) and neither the operator nor the agent reads it; an
     * operator listing 100,000 pods would build and drop all those trees. Nothing is lost on writes: swarmnet patches, and an
     * object sent without {@code managedFields} leaves the server's record of them as it is.
     */
    public static KubernetesSerialization serialization() {
        return serialization(true);
    }

    /** @param everyKind whether fabric8 may register every resource class on the class path when it first reads an event */
    private static KubernetesSerialization serialization(boolean everyKind) {
        ObjectMapper mapper = new ObjectMapper();
        mapper.addMixIn(ObjectMeta.class, WithoutManagedFields.class);
        return new KubernetesSerialization(mapper, everyKind);
    }

    /** {@code metadata} as swarmnet reads it: {@code managedFields} skipped, unknown fields ignored as fabric8 does. */
    @JsonIgnoreProperties(value = "managedFields", ignoreUnknown = true)
    private abstract static class WithoutManagedFields {
    }

    /**
     * A builder as {@link #builder()} for a client that reads the object of a watch event only as one of {@code kinds} (any
     * other kind as a {@link io.fabric8.kubernetes.api.model.GenericKubernetesResource}); typed reads (lists, gets, patches)
     * are unaffected. Otherwise fabric8 registers every KubernetesResource class on the class path when the first watch event
     * arrives: it loads some 800 classes of every API group, megabytes of class metadata for a process that watches a
     * few kinds (the node agent).
     */
    public static KubernetesClientBuilder builder(List<Class<? extends KubernetesResource>> kinds) {
        KubernetesSerialization serialization = serialization(false);
        kinds.forEach(serialization::registerKubernetesResource);
        return builder(serialization);
    }
}

package io.swarmnet.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import java.util.ArrayList;
import java.util.List;
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

    private KubernetesClients() {
    }

    /**
     * Every object a list names, asked for in pages of {@link #LIST_PAGE} following the server's continue tokens:
     * {@code listInPages(client.pods().inAnyNamespace()::list)}.
     */
    public static <T extends HasMetadata, L extends KubernetesResourceList<T>> List<T> listInPages(Function<ListOptions, L> list) {
        List<T> items = new ArrayList<>();
        String next = null;
        do {
            L page = list.apply(new ListOptionsBuilder().withLimit(LIST_PAGE).withContinue(next).build());
            items.addAll(page.getItems());
            next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
        } while (next != null && !next.isEmpty());
        return items;
    }

    /** A builder configured from the environment (in-cluster service account or kubeconfig), on the JDK HTTP client. */
    public static KubernetesClientBuilder builder() {
        return new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory());
    }

    /**
     * A builder as {@link #builder()} for a client that reads the object of a watch event only as one of {@code kinds} (any
     * other kind as a {@link io.fabric8.kubernetes.api.model.GenericKubernetesResource}); typed reads (lists, gets, patches)
     * are unaffected. Otherwise fabric8 registers every KubernetesResource class on the class path when the first watch event
     * arrives: it loads some 800 classes of every API group, megabytes of class metadata for a process that watches a
     * few kinds (the node agent).
     */
    public static KubernetesClientBuilder builder(List<Class<? extends KubernetesResource>> kinds) {
        KubernetesSerialization serialization = new KubernetesSerialization(new ObjectMapper(), false);
        kinds.forEach(serialization::registerKubernetesResource);
        return builder().withKubernetesSerialization(serialization);
    }
}

package io.swarmnet.api;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;

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

    private KubernetesClients() {
    }

    /** A builder configured from the environment (in-cluster service account or kubeconfig), on the JDK HTTP client. */
    public static KubernetesClientBuilder builder() {
        return new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory());
    }
}

package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.swarmnet.api.contract.TaskAddresses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The init container that holds a task's own containers back until the node agent has attached
 * the pod ({@code swarmnet wait-attached}, from the swarmnet image). Docker attaches a task's
 * networks before its process starts; the kubelet starts containers as soon as the sandbox
 * exists, so without this a task that resolves or connects at start-up finds no overlay
 * interface and a resolver that refuses.
 *
 * @param image      the swarmnet image; null leaves task pods without the init container
 * @param pullPolicy its pull policy, null for the cluster's default
 * @param timeout    after this the init container fails, naming what is missing
 */
public record AttachWait(String image, String pullPolicy, Duration timeout) {

    public static final String CONTAINER_NAME = "swarmnet-wait-attached";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);
    /** Without an image: task containers start as soon as their pod does (the sandbox, tests). */
    public static final AttachWait OFF = new AttachWait(null, null, DEFAULT_TIMEOUT);

    /** The uid and gid the swarmnet image's own user has. */
    private static final long IMAGE_USER = 10001;

    public AttachWait {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the attach timeout must be positive, got " + timeout);
        }
    }

    public boolean enabled() {
        return image != null && !image.isBlank();
    }

    /**
     * The container for a task of {@code service} with these addresses. It complies with the
     * {@code restricted} Pod Security level, so it never makes a task pod less compliant than its
     * template, and asks for little: it runs for well under a second once the agent is there.
     */
    Container container(String service, TaskAddresses addresses) {
        List<String> args = new ArrayList<>(List.of("wait-attached", "--name", service, "--timeout", Long.toString(timeout.toSeconds())));
        addresses.byNetwork().forEach((network, address) -> {
            args.add("--address");
            args.add(network + "=" + address);
        });
        return new ContainerBuilder()
                .withName(CONTAINER_NAME)
                .withImage(image)
                .withImagePullPolicy(pullPolicy)
                .withArgs(args)
                // a short-lived JVM: start quickly rather than run fast
                .addNewEnv().withName("JAVA_OPTS").withValue("-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xmx32m").endEnv()
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .withNewResources()
                    .withRequests(Map.of("cpu", new Quantity("10m"), "memory", new Quantity("48Mi")))
                    .withLimits(Map.of("memory", new Quantity("128Mi")))
                .endResources()
                .withNewSecurityContext()
                    .withRunAsNonRoot(true)
                    .withRunAsUser(IMAGE_USER)
                    .withRunAsGroup(IMAGE_USER)
                    .withAllowPrivilegeEscalation(false)
                    .withReadOnlyRootFilesystem(true)
                    .withNewCapabilities().withDrop("ALL").endCapabilities()
                    .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .build();
    }
}

package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.network.OverlayNetworkSpec;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceSpec;
import io.swarmnet.operator.Conditions;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.SwarmnetOperator;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.SandboxApiOptions;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * An embedded API server with the whole operator running against it, and the few verbs the
 * SwarmService tests need: create networks and services the way kubectl apply would, read back
 * what a user would read, and wait for it.
 */
public final class ServiceFixture implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(30);

    final SandboxApiServer api;
    public final KubernetesClient client;
    /** The namespace the verbs work in; {@link #useNamespace} moves a shared fixture to a fresh one per test. */
    public String namespace;
    final OperatorConfig config = OperatorConfig.defaults().withHttpPort(0).withLeaderElection(false);
    public SwarmnetOperator operator;

    /**
     * A label that makes the API server refuse a pod, as PodSecurity or a validating webhook would;
     * task pods carry their template's labels, so a template with it gets refused tasks.
     */
    static final String DENIED_LABEL = "admission.test/deny";
    /** Pod creations the webhook refused so far. */
    final java.util.concurrent.atomic.AtomicInteger refusedPods = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Namespaces whose pods must meet Pod Security baseline, as the PodSecurity admission enforces it
     * for {@code pod-security.kubernetes.io/enforce: baseline}; see {@link #enforceBaseline}.
     */
    final java.util.Set<String> baselineNamespaces = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public ServiceFixture(String namespace) {
        this.api = SandboxApiServer.start(SandboxApiOptions.defaults().withWebhook((type, object, old) -> {
            if (type.kind().equals("Pod") && old == null && baselineNamespaces.contains(object.path("metadata").path("namespace").asText())) {
                List<String> violations = PodSecurityBaseline.violations(
                        io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().convertValue(object, Pod.class));
                if (!violations.isEmpty()) {
                    throw ApiError.forbidden("pods", object.path("metadata").path("name").asText(),
                            "violates PodSecurity \"baseline:latest\": " + String.join(", ", violations));
                }
            }
            var labels = object.path("metadata").path("labels");
            if (type.kind().equals("Pod") && old == null && labels.has(DENIED_LABEL)) {
                refusedPods.incrementAndGet();
                throw ApiError.forbidden("pods", object.path("metadata").path("name").asText(),
                        "violates PodSecurity \"restricted:latest\": runAsNonRoot != true (pod or container \"web\" must set"
                                + " securityContext.runAsNonRoot=true)");
            }
        }));
        this.client = api.client();
        useNamespace(namespace);
        this.operator = SwarmnetOperator.start(client, config);
    }

    /** Creates the namespace and works in it from now on. */
    public void useNamespace(String name) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        this.namespace = name;
    }

    /** Labels the current namespace to enforce Pod Security baseline, and refuses its pods that break it from now on. */
    void enforceBaseline() {
        client.namespaces().withName(namespace).edit(n -> {
            n.getMetadata().setLabels(java.util.Map.of("pod-security.kubernetes.io/enforce", "baseline"));
            return n;
        });
        baselineNamespaces.add(namespace);
    }

    /** Sets a label of a namespace, or removes it when {@code value} is null, as kubectl label does. */
    public void labelNamespace(String namespace, String key, String value) {
        client.namespaces().withName(namespace).edit(n -> {
            java.util.Map<String, String> labels = new java.util.HashMap<>(n.getMetadata().getLabels() == null ? java.util.Map.of()
                    : n.getMetadata().getLabels());
            if (value == null) {
                labels.remove(key);
            } else {
                labels.put(key, value);
            }
            n.getMetadata().setLabels(labels);
            return n;
        });
    }

    public void restartOperator() {
        operator.close();
        operator = SwarmnetOperator.start(client, config);
    }

    /** An OverlayNetwork; {@code subnet} may be null for an automatic one. Waits until it is Ready when {@code awaitReady}. */
    public OverlayNetwork network(String name, String subnet, boolean awaitReady) {
        return network(name, subnet, awaitReady, spec -> { });
    }

    /** As above; {@code customize} may change anything of the spec before it is created (e.g. make it attachable). */
    public OverlayNetwork network(String name, String subnet, boolean awaitReady, Consumer<OverlayNetworkSpec> customize) {
        OverlayNetwork network = new OverlayNetwork();
        network.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        network.getSpec().setSubnet(subnet);
        customize.accept(network.getSpec());
        client.resource(network).create();
        if (awaitReady) {
            eventually("network " + name + " is Ready", () -> Conditions.isTrue(conditionsOf(networkNamed(name)), "Ready"));
        }
        return networkNamed(name);
    }

    public OverlayNetwork networkNamed(String name) {
        return client.resources(OverlayNetwork.class).inNamespace(namespace).withName(name).get();
    }

    private static List<Condition> conditionsOf(OverlayNetwork network) {
        return network == null || network.getStatus() == null ? List.of() : network.getStatus().getConditions();
    }

    /** A replicated nginx service on the given networks; {@code customize} may change anything before it is created. */
    public SwarmService service(String name, int replicas, List<String> networks, Consumer<SwarmServiceSpec> customize) {
        SwarmService service = new SwarmService();
        service.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        SwarmServiceSpec spec = service.getSpec();
        spec.setReplicas(replicas);
        spec.setTemplate(new PodTemplateSpecBuilder()
                .withNewMetadata().addToLabels("app", name).endMetadata()
                .withNewSpec().addNewContainer().withName("web").withImage("nginx:1.27").endContainer().endSpec()
                .build());
        spec.setNetworks(networks.stream().map(NetworkAttachment::new).toList());
        customize.accept(spec);
        return client.resource(service).create();
    }

    public SwarmService get(String name) {
        return client.resources(SwarmService.class).inNamespace(namespace).withName(name).get();
    }

    /**
     * Changes the spec as kubectl edit would: read, change, write with the read resourceVersion,
     * and on a conflict (the operator wrote status meanwhile) read again and retry, as a user would.
     */
    void edit(String name, Consumer<SwarmServiceSpec> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                client.resources(SwarmService.class).inNamespace(namespace).withName(name).edit(s -> {
                    change.accept(s.getSpec());
                    return s;
                });
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    Condition condition(String service, String type) {
        SwarmService s = get(service);
        return s == null || s.getStatus() == null ? null : Conditions.find(s.getStatus().getConditions(), type);
    }

    boolean hasCondition(String service, String type, String status, String reason) {
        Condition c = condition(service, type);
        return c != null && status.equals(c.getStatus()) && (reason == null || reason.equals(c.getReason()));
    }

    /** The service's task pods that are not being deleted, in slot order. */
    public List<Pod> pods(String service) {
        return client.pods().inNamespace(namespace).withLabel(SwarmnetKeys.LABEL_SERVICE, service).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .sorted(Comparator.comparing((Pod p) -> slotOf(p)).thenComparing(p -> p.getMetadata().getName()))
                .toList();
    }

    static TaskSlot slotOf(Pod pod) {
        return TaskSlot.fromLabel(pod.getMetadata().getLabels().get(SwarmnetKeys.LABEL_SLOT));
    }

    public static IpAddress addressOf(Pod pod, String network) {
        return TaskAddresses.parse(pod.getMetadata().getAnnotations().get(SwarmnetKeys.ANNOTATION_ADDRESSES)).byNetwork().get(network);
    }

    public Cidr subnetOf(String network) {
        return Cidr.parse(networkNamed(network).getStatus().getSubnet());
    }

    public IpAddress gatewayOf(String network) {
        return IpAddress.parse(networkNamed(network).getStatus().getGateway());
    }

    public void eventually(String description, BooleanSupplier condition) {
        eventually(WAIT, description, condition);
    }

    static void eventually(Duration timeout, String description, BooleanSupplier condition) {
        eventually(timeout, Duration.ofMillis(25), description, condition);
    }

    static void eventually(Duration timeout, Duration poll, String description, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // objects appear and change while we look
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + description);
            }
            try {
                Thread.sleep(poll.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void close() {
        try {
            if (operator != null) {
                operator.close();
            }
        } finally {
            api.close();
        }
    }
}

package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.api.service.EndpointPort;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.operator.ClusterEvents;
import io.swarmnet.operator.Conditions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Keeps a SwarmService's ingress Service as {@link IngressPorts} decides it: creates, updates or
 * removes it, and turns what the API server answers into the Published condition. A refusal (a
 * nodePort another Service holds, one outside the NodePort range, a Service of that name that is
 * not the SwarmService's) leaves the tasks alone and the Service as it was, and is tried again now
 * and then: the port or the name may be freed.
 */
final class IngressPublisher {

    static final String PUBLISHED = "Published";
    static final String REASON_PUBLISHED = "PortsPublished";
    static final String REASON_PORT_IN_USE = "PortInUse";
    static final String REASON_REFUSED = "PublishRefused";
    static final String REASON_NAME_TAKEN = "ServiceNameTaken";
    /** How soon a refused publication is tried again. */
    static final Duration RETRY = Duration.ofSeconds(30);

    /**
     * @param ingress   the ingress ports in effect, allocated nodePorts included
     * @param condition the Published condition, or empty when the service publishes nothing
     * @param retry     when to try again after a refusal
     */
    record Outcome(List<EndpointPort> ingress, Optional<Conditions.Desired> condition, Optional<Duration> retry) {
    }

    private final Function<SwarmService, Optional<Service>> cached;

    /** @param cached the SwarmService's Service as the operator's cache has it (only Services carrying the service label) */
    IngressPublisher(Function<SwarmService, Optional<Service>> cached) {
        this.cached = cached;
    }

    Outcome publish(KubernetesClient client, SwarmService service, ClusterEvents events) {
        Optional<Service> desired = IngressPorts.desired(service);
        Optional<Service> existing = cached.apply(service);
        List<EndpointPort> hostPorts = PublishedPorts.endpoints(service.getSpec(), List.of());
        if (existing.isPresent() && !IngressPorts.ownedBy(existing.get(), service)) {
            return desired.isEmpty() ? published(hostPorts, List.of()) : nameTaken(service, events, hostPorts);
        }
        if (desired.isEmpty()) {
            existing.ifPresent(s -> {
                delete(client, s);
                events.normal(service, "IngressServiceRemoved", "removed Service " + s.getMetadata().getName()
                        + ": spec.publish has no ingress port any more");
            });
            return published(hostPorts, List.of());
        }
        try {
            Service actual;
            if (existing.isEmpty()) {
                actual = client.services().inNamespace(service.getMetadata().getNamespace()).resource(desired.get()).create();
                events.normal(service, "IngressServiceCreated", "created Service " + actual.getMetadata().getName()
                        + " of type NodePort: " + describe(IngressPorts.inEffect(actual)));
            } else {
                Optional<Service> changed = IngressPorts.update(existing.get(), desired.get());
                actual = changed.isEmpty() ? existing.get()
                        : client.services().inNamespace(service.getMetadata().getNamespace()).resource(changed.get()).update();
            }
            return published(hostPorts, IngressPorts.inEffect(actual));
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409 && existing.isEmpty()) {
                Service other = client.services().inNamespace(service.getMetadata().getNamespace())
                        .withName(service.getMetadata().getName()).get();
                if (other != null && !IngressPorts.ownedBy(other, service)) {
                    return nameTaken(service, events, hostPorts);
                }
            }
            if (e.getCode() < 400 || e.getCode() == 409) {
                throw e;   // no answer, or a stale cache: the generic retry handles it
            }
            return refused(service, events, e, existing);
        }
    }

    /** On deletion of the SwarmService: its Service goes with it (the garbage collector would take it too, later). */
    void remove(KubernetesClient client, SwarmService service) {
        cached.apply(service).filter(s -> IngressPorts.ownedBy(s, service)).ifPresent(s -> delete(client, s));
    }

    private static void delete(KubernetesClient client, Service existing) {
        try {
            client.services().inNamespace(existing.getMetadata().getNamespace()).withName(existing.getMetadata().getName()).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private static Outcome published(List<EndpointPort> hostPorts, List<EndpointPort> ingress) {
        List<EndpointPort> all = new java.util.ArrayList<>(hostPorts);
        all.addAll(ingress);
        if (all.isEmpty()) {
            return new Outcome(ingress, Optional.empty(), Optional.empty());
        }
        String message = (ingress.isEmpty() ? "" : "ingress (every node): " + describe(ingress))
                + (ingress.isEmpty() || hostPorts.isEmpty() ? "" : "; ")
                + (hostPorts.isEmpty() ? "" : "host (each task's node): " + describe(hostPorts));
        return new Outcome(ingress, Optional.of(new Conditions.Desired(PUBLISHED, Conditions.TRUE, REASON_PUBLISHED, message)),
                Optional.empty());
    }

    private static Outcome nameTaken(SwarmService service, ClusterEvents events, List<EndpointPort> hostPorts) {
        String name = service.getMetadata().getName();
        String message = "the ingress ports of spec.publish need a Service named " + name + " in namespace "
                + service.getMetadata().getNamespace() + ", and a Service of that name exists that this SwarmService does not"
                + " own; it is left as it is. Rename or delete that Service, or publish in mode host";
        events.warning(service, REASON_NAME_TAKEN, message);
        return new Outcome(List.of(), Optional.of(new Conditions.Desired(PUBLISHED, Conditions.FALSE, REASON_NAME_TAKEN, message)),
                Optional.of(RETRY));
    }

    private static Outcome refused(SwarmService service, ClusterEvents events, KubernetesClientException e,
                                   Optional<Service> existing) {
        String server = TaskRefusal.serverMessage(e);
        boolean inUse = server.contains("provided port is already allocated");
        String reason = inUse ? REASON_PORT_IN_USE : REASON_REFUSED;
        String message = "the API server refused the ingress Service " + service.getMetadata().getName() + " (HTTP " + e.getCode()
                + "): " + server + (inUse
                ? ". Another Service holds that NodePort: choose another spec.publish publishedPort, or leave it out to have one allocated"
                : ". Change spec.publish (an ingress publishedPort must lie in the cluster's NodePort range, by default 30000-32767)")
                + (existing.isPresent() ? "; the Service keeps its previous ports" : "") + "; the tasks are not affected";
        events.warning(service, reason, message);
        List<EndpointPort> ingress = existing.map(IngressPorts::inEffect).orElse(List.of());
        return new Outcome(ingress, Optional.of(new Conditions.Desired(PUBLISHED, Conditions.FALSE, reason, message)),
                Optional.of(RETRY));
    }

    private static String describe(List<EndpointPort> ports) {
        return ports.stream().map(PublishedPorts::describe).collect(Collectors.joining(", "));
    }
}

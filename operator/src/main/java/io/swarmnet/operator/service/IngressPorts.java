package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.service.EndpointPort;
import io.swarmnet.api.service.PortProtocol;
import io.swarmnet.api.service.PublishMode;
import io.swarmnet.api.service.PublishedPort;
import io.swarmnet.api.service.SwarmService;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code --publish mode=ingress}: Docker's routing mesh answers the published port on every node
 * and forwards to any task. Kubernetes has that already: a Service of type NodePort, which
 * kube-proxy serves on every node. This decides that Service (named after the SwarmService, owned
 * by it, selecting its task pods, one port per ingress entry) and reads back what it has in
 * effect. Pure; {@link IngressPublisher} acts.
 */
final class IngressPorts {

    private IngressPorts() {
    }

    /**
     * The Service's own port for an entry: the published port when given, else the target port.
     * It is what pods of the cluster reach on the Service's cluster IP; from outside, the nodePort counts.
     */
    static int servicePort(PublishedPort port) {
        return port.getPublishedPort() != null ? port.getPublishedPort() : port.getTargetPort();
    }

    /** The Service the SwarmService's ingress entries need, or empty when it has none. */
    static Optional<Service> desired(SwarmService service) {
        List<PublishedPort> ingress = PublishedPorts.inMode(service.getSpec(), PublishMode.INGRESS);
        if (ingress.isEmpty()) {
            return Optional.empty();
        }
        String name = service.getMetadata().getName();
        List<ServicePort> ports = new ArrayList<>();
        for (PublishedPort port : ingress) {
            ports.add(new ServicePortBuilder()
                    .withName(port.effectiveProtocol().dockerName() + "-" + servicePort(port))
                    .withProtocol(port.effectiveProtocol().kubernetesName())
                    .withPort(servicePort(port))
                    .withTargetPort(new IntOrString(port.getTargetPort()))
                    // null: Kubernetes allocates one from its NodePort range, as Docker does from 30000 up
                    .withNodePort(port.getPublishedPort())
                    .build());
        }
        return Optional.of(new ServiceBuilder()
                .withNewMetadata()
                    .withName(name)
                    .withNamespace(service.getMetadata().getNamespace())
                    .withLabels(Map.of(SwarmnetKeys.LABEL_SERVICE, name))
                    .withOwnerReferences(new OwnerReferenceBuilder()
                            .withApiVersion(service.getApiVersion())
                            .withKind(service.getKind())
                            .withName(name)
                            .withUid(service.getMetadata().getUid())
                            .withController(true)
                            .withBlockOwnerDeletion(true)
                            .build())
                .endMetadata()
                .withNewSpec()
                    .withType("NodePort")
                    // the label every task pod of the service carries, and only they
                    .withSelector(Map.of(SwarmnetKeys.LABEL_SERVICE, name))
                    .withPorts(ports)
                .endSpec()
                .build());
    }

    /** Whether the Service is the SwarmService's own (its controller owner reference). */
    static boolean ownedBy(Service existing, SwarmService service) {
        return existing.getMetadata().getOwnerReferences() != null && existing.getMetadata().getOwnerReferences().stream()
                .anyMatch(o -> Boolean.TRUE.equals(o.getController()) && Objects.equals(o.getUid(), service.getMetadata().getUid()));
    }

    /**
     * {@code existing} changed to what {@code desired} asks, or empty when it asks nothing new. A
     * port that asks for no nodePort keeps the one it was allocated, so an edit of another port does
     * not move it.
     */
    static Optional<Service> update(Service existing, Service desired) {
        List<ServicePort> ports = new ArrayList<>();
        for (ServicePort wanted : desired.getSpec().getPorts()) {
            ServicePort port = new ServicePortBuilder(wanted).build();
            if (port.getNodePort() == null) {
                samePort(existing, port).map(ServicePort::getNodePort).ifPresent(port::setNodePort);
            }
            ports.add(port);
        }
        boolean same = Objects.equals(existing.getSpec().getType(), desired.getSpec().getType())
                && Objects.equals(existing.getSpec().getSelector(), desired.getSpec().getSelector())
                && existing.getSpec().getPorts() != null && existing.getSpec().getPorts().size() == ports.size()
                && ports.stream().allMatch(p -> samePort(existing, p).filter(e -> Objects.equals(e.getNodePort(), p.getNodePort())
                        && Objects.equals(e.getTargetPort(), p.getTargetPort()) && Objects.equals(e.getName(), p.getName())).isPresent());
        if (same) {
            return Optional.empty();
        }
        Service changed = new ServiceBuilder(existing).build();
        changed.getSpec().setType(desired.getSpec().getType());
        changed.getSpec().setSelector(desired.getSpec().getSelector());
        changed.getSpec().setPorts(ports);
        return Optional.of(changed);
    }

    private static Optional<ServicePort> samePort(Service existing, ServicePort port) {
        if (existing.getSpec().getPorts() == null) {
            return Optional.empty();
        }
        return existing.getSpec().getPorts().stream()
                .filter(e -> Objects.equals(e.getPort(), port.getPort()) && Objects.equals(protocol(e), protocol(port)))
                .findFirst();
    }

    private static String protocol(ServicePort port) {
        return port.getProtocol() == null ? "TCP" : port.getProtocol();
    }

    /** The ingress ports the Service has in effect, with the nodePort each was given. */
    static List<EndpointPort> inEffect(Service actual) {
        List<EndpointPort> ports = new ArrayList<>();
        if (actual == null || actual.getSpec() == null || actual.getSpec().getPorts() == null) {
            return ports;
        }
        for (ServicePort port : actual.getSpec().getPorts()) {
            IntOrString target = port.getTargetPort();
            Integer targetPort = target == null ? port.getPort() : target.getIntVal();
            ports.add(new EndpointPort(PublishMode.INGRESS, PortProtocol.valueOf(protocol(port).toUpperCase(Locale.ROOT)),
                    targetPort, port.getNodePort()));
        }
        return ports;
    }
}

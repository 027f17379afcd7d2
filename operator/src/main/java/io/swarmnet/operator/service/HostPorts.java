package io.swarmnet.operator.service;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.swarmnet.api.service.PublishMode;
import io.swarmnet.api.service.PublishedPort;
import io.swarmnet.api.service.SwarmServiceSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code --publish mode=host}: the task binds the published port on its own node, as Docker binds
 * it on the node that runs the task. In Kubernetes that is a {@code hostPort} on the container
 * port, on the container that declares the target port (or the first container). The template
 * with its host ports is what the tasks run, so it is also what the template hash covers: changing
 * a host port rolls the tasks, as in Docker. Pure.
 */
final class HostPorts {

    private HostPorts() {
    }

    /** The template the tasks run: spec.template itself when nothing is published in mode host, else a copy with hostPorts. */
    static PodTemplateSpec template(SwarmServiceSpec spec) {
        List<PublishedPort> host = PublishedPorts.inMode(spec, PublishMode.HOST);
        if (host.isEmpty() || spec.getTemplate().getSpec() == null || spec.getTemplate().getSpec().getContainers() == null
                || spec.getTemplate().getSpec().getContainers().isEmpty()) {
            return spec.getTemplate();
        }
        PodTemplateSpec template = new PodTemplateSpecBuilder(spec.getTemplate()).build();
        List<Container> containers = template.getSpec().getContainers();
        for (PublishedPort port : host) {
            Container container = containers.stream().filter(c -> declares(c, port)).findFirst().orElse(containers.get(0));
            bind(container, port);
        }
        return template;
    }

    private static boolean declares(Container container, PublishedPort port) {
        return container.getPorts() != null && container.getPorts().stream()
                .anyMatch(p -> Objects.equals(p.getContainerPort(), port.getTargetPort()));
    }

    /** Sets hostPort on the container's entry for the target port and protocol, adding the entry when there is none. */
    private static void bind(Container container, PublishedPort port) {
        String protocol = port.effectiveProtocol().kubernetesName();
        List<ContainerPort> ports = container.getPorts() == null ? new ArrayList<>() : new ArrayList<>(container.getPorts());
        for (ContainerPort existing : ports) {
            // an entry already bound (a second host port for one target port) keeps its port; the new one gets its own entry
            if (Objects.equals(existing.getContainerPort(), port.getTargetPort())
                    && protocol.equals(Objects.requireNonNullElse(existing.getProtocol(), "TCP"))
                    && (existing.getHostPort() == null || existing.getHostPort() == 0)) {
                existing.setHostPort(port.getPublishedPort());
                container.setPorts(ports);
                return;
            }
        }
        ports.add(new ContainerPortBuilder().withContainerPort(port.getTargetPort()).withHostPort(port.getPublishedPort())
                .withProtocol(protocol).build());
        container.setPorts(ports);
    }
}

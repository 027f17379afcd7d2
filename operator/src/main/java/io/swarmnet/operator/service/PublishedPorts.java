package io.swarmnet.operator.service;

import io.swarmnet.api.service.EndpointPort;
import io.swarmnet.api.service.PortProtocol;
import io.swarmnet.api.service.PublishMode;
import io.swarmnet.api.service.PublishedPort;
import io.swarmnet.api.service.SwarmServiceSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks of spec.publish the CRD schema makes, for objects that reached the operator without
 * them (a CRD applied without its schema), plus the one a schema cannot say: two ingress entries
 * that would need the same port of the ingress Service. Pure.
 */
final class PublishedPorts {

    private PublishedPorts() {
    }

    static List<PublishedPort> of(SwarmServiceSpec spec) {
        return spec == null || spec.getPublish() == null ? List.of() : spec.getPublish();
    }

    static List<PublishedPort> inMode(SwarmServiceSpec spec, PublishMode mode) {
        return of(spec).stream().filter(p -> p.effectiveMode() == mode).toList();
    }

    /** What is wrong with spec.publish, naming the entry and what to write instead; null when nothing is. */
    static String problem(SwarmServiceSpec spec) {
        List<PublishedPort> ports = of(spec);
        if (ports.size() > SwarmServiceSpec.PUBLISH_MAX) {
            return "spec.publish has " + ports.size() + " entries; publish at most " + SwarmServiceSpec.PUBLISH_MAX + " ports";
        }
        Map<String, Integer> published = new HashMap<>();
        Map<String, Integer> servicePorts = new HashMap<>();
        for (int i = 0; i < ports.size(); i++) {
            PublishedPort port = ports.get(i);
            String field = "spec.publish[" + i + "]";
            if (port.getTargetPort() == null) {
                return field + ".targetPort is missing; give the port the task's container listens on (1 to 65535)";
            }
            if (outOfRange(port.getTargetPort())) {
                return field + ".targetPort " + port.getTargetPort() + " is not a port; use 1 to 65535";
            }
            if (port.getPublishedPort() != null && outOfRange(port.getPublishedPort())) {
                return field + ".publishedPort " + port.getPublishedPort() + " is not a port; use 1 to 65535, or leave it out"
                        + " in mode ingress to have one allocated";
            }
            if (port.effectiveMode() == PublishMode.HOST && port.getPublishedPort() == null) {
                return field + ".publishedPort is required in mode host: it is the port bound on each task's node; give one,"
                        + " or use mode ingress to have one allocated";
            }
            String protocol = port.effectiveProtocol().dockerName();
            if (port.getPublishedPort() != null) {
                Integer before = published.putIfAbsent(port.getPublishedPort() + "/" + protocol, i);
                if (before != null) {
                    return field + " publishes " + port.getPublishedPort() + "/" + protocol + " again (spec.publish[" + before
                            + "] does already); a port can be published once per protocol: remove the duplicate or give it"
                            + " another publishedPort";
                }
            }
            if (port.effectiveMode() == PublishMode.INGRESS) {
                Integer before = servicePorts.putIfAbsent(IngressPorts.servicePort(port) + "/" + protocol, i);
                if (before != null) {
                    return field + " and spec.publish[" + before + "] both need port " + IngressPorts.servicePort(port) + "/"
                            + protocol + " of the ingress Service (an entry without publishedPort uses its targetPort there);"
                            + " give " + field + " a publishedPort";
                }
            }
        }
        return null;
    }

    private static boolean outOfRange(int port) {
        return port < PublishedPort.MIN_PORT || port > PublishedPort.MAX_PORT;
    }

    /** status.endpoints: the host ports as spec asks for them, then the ingress ports in effect. */
    static List<EndpointPort> endpoints(SwarmServiceSpec spec, List<EndpointPort> ingressInEffect) {
        List<EndpointPort> endpoints = new ArrayList<>();
        for (PublishedPort port : inMode(spec, PublishMode.HOST)) {
            endpoints.add(new EndpointPort(PublishMode.HOST, port.effectiveProtocol(), port.getTargetPort(), port.getPublishedPort()));
        }
        endpoints.addAll(ingressInEffect);
        return endpoints;
    }

    /** {@code 8080->80/tcp}, as docker service ls shows a port. */
    static String describe(EndpointPort port) {
        return (port.getPublishedPort() == null ? "*" : port.getPublishedPort()) + "->" + port.getTargetPort() + "/"
                + (port.getProtocol() == null ? PortProtocol.TCP : port.getProtocol()).dockerName();
    }
}

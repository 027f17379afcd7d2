package io.swarmnet.operator.service.template;

import io.fabric8.kubernetes.api.model.Node;
import java.util.Map;
import java.util.Objects;

/**
 * What a task template may say about the node a task runs on. {@code hostname} is the Node's name
 * (the kubelet names its Node after the machine's hostname unless told otherwise); architecture
 * and OS are the kubelet's own report, in Kubernetes' spelling ({@code amd64}, {@code arm64},
 * {@code linux}), falling back to the well-known labels the kubelet also sets.
 */
public record NodeFacts(String id, String hostname, String architecture, String os) {

    public NodeFacts {
        id = Objects.requireNonNullElse(id, "");
        hostname = Objects.requireNonNull(hostname, "hostname");
        architecture = Objects.requireNonNullElse(architecture, "");
        os = Objects.requireNonNullElse(os, "");
    }

    public static NodeFacts of(Node node) {
        var info = node.getStatus() == null ? null : node.getStatus().getNodeInfo();
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        String architecture = info != null && info.getArchitecture() != null && !info.getArchitecture().isEmpty()
                ? info.getArchitecture() : labels.get("kubernetes.io/arch");
        String os = info != null && info.getOperatingSystem() != null && !info.getOperatingSystem().isEmpty()
                ? info.getOperatingSystem() : labels.get("kubernetes.io/os");
        return new NodeFacts(node.getMetadata().getUid(), node.getMetadata().getName(), architecture, os);
    }
}

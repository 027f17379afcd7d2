package io.swarmnet.sandbox.daemon;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.agent.simulation.SimulatedNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Registers a simulated node as a Node object, as a kubelet does when it joins: hostname and OS labels, its
 * underlay address as InternalIP (the agents' VTEP addresses), and Ready. The status goes through the status
 * subresource, since the API server ignores status on create.
 */
final class NodeRegistration {

    static final String SANDBOX_LABEL = "swarmnet.io/sandbox-node";

    private NodeRegistration() {
    }

    static Node register(KubernetesClient client, SimulatedNode node) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        Node desired = new NodeBuilder()
                .withNewMetadata().withName(node.name())
                .addToLabels("kubernetes.io/hostname", node.name())
                .addToLabels("kubernetes.io/os", "linux")
                .addToLabels("kubernetes.io/arch", System.getProperty("os.arch").equals("amd64") ? "amd64" : System.getProperty("os.arch"))
                .addToLabels(SANDBOX_LABEL, "true")
                .endMetadata()
                .withNewSpec().endSpec()
                .build();
        Node created = client.nodes().resource(desired).createOr(existing -> existing.update());
        created.setStatus(new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
                .addNewAddress().withType("InternalIP").withAddress(node.underlayAddress().toString()).endAddress()
                .addNewAddress().withType("Hostname").withAddress(node.name()).endAddress()
                .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady")
                .withMessage("swarmnet sandbox node (network namespace " + node.namespace() + ")")
                .withLastHeartbeatTime(now).withLastTransitionTime(now).endCondition()
                .withNewNodeInfo().withOperatingSystem("linux").withArchitecture(System.getProperty("os.arch"))
                .withKubeletVersion("swarmnet-sandbox").withContainerRuntimeVersion("host-process://")
                .withKernelVersion(System.getProperty("os.version")).withOsImage("swarmnet sandbox")
                .withMachineID("").withSystemUUID("").withBootID("").withKubeProxyVersion("").endNodeInfo()
                .build());
        return client.nodes().resource(created).updateStatus();
    }
}

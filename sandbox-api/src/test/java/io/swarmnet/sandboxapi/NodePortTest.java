package io.swarmnet.sandboxapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.sandboxapi.admission.NodePorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Services of type NodePort get their nodePorts as from a real API server: allocated, checked, freed. */
class NodePortTest {

    private static SandboxApiServer api;
    private static KubernetesClient client;

    @BeforeAll
    static void start() {
        api = SandboxApiServer.start();
        client = api.client();
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    private static Service nodePortService(String name, ServicePort... ports) {
        return new ServiceBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withType("NodePort").addToSelector("app", name).withPorts(ports).endSpec().build();
    }

    private static ServicePort port(String protocol, int port, Integer nodePort) {
        return new ServicePortBuilder().withName(protocol.toLowerCase() + "-" + port).withProtocol(protocol).withPort(port)
                .withNewTargetPort(port).withNodePort(nodePort).build();
    }

    @Test
    void aPortWithoutNodePortGetsAFreeOneFromTheRangeAndTcpAndUdpOfOnePortShareIt() {
        Service created = client.services().resource(nodePortService("dns", port("TCP", 53, null), port("UDP", 53, null),
                port("TCP", 80, null))).create();

        var ports = created.getSpec().getPorts();
        assertThat(ports).allSatisfy(p -> assertThat(p.getNodePort()).isBetween(NodePorts.FIRST, NodePorts.LAST));
        assertThat(ports.get(0).getNodePort()).isEqualTo(ports.get(1).getNodePort());
        assertThat(ports.get(2).getNodePort()).isNotEqualTo(ports.get(0).getNodePort());
    }

    @Test
    void aNodePortHeldByAnotherServiceIsRefusedUntilThatServiceIsGone() {
        client.services().resource(nodePortService("first", port("TCP", 80, 30080))).create();

        assertThatThrownBy(() -> client.services().resource(nodePortService("second", port("TCP", 8080, 30080))).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getStatus().getMessage()).isEqualTo("Service \"second\" is invalid: spec.ports[0].nodePort:"
                            + " Invalid value: 30080: provided port is already allocated");
                });
        // the holder itself may keep it through an update
        client.services().withName("first").edit(s -> {
            s.getMetadata().setLabels(java.util.Map.of("edited", "yes"));
            return s;
        });

        client.services().withName("first").delete();
        assertThat(client.services().resource(nodePortService("second", port("TCP", 8080, 30080))).create()
                .getSpec().getPorts().get(0).getNodePort()).isEqualTo(30080);
    }

    @Test
    void aNodePortOutsideTheRangeIsRefused() {
        assertThatThrownBy(() -> client.services().resource(nodePortService("low", port("UDP", 53, 53))).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getStatus().getMessage())
                        .isEqualTo("Service \"low\" is invalid: spec.ports[0].nodePort: Invalid value: 53: provided port is not in"
                                + " the valid range. The range of valid ports is 30000-32767"));
    }
}

package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.service.PortProtocol;
import io.swarmnet.api.service.PublishMode;
import io.swarmnet.api.service.PublishedPort;
import io.swarmnet.api.service.SwarmServiceSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.swarmnet.operator.service.template.TemplateException;
import org.junit.jupiter.api.Test;

/** spec.publish as the operator checks it (for objects that bypassed the schema) and turns it into host ports. */
class PublishedPortsTest {

    private static SwarmServiceSpec spec(PublishedPort... ports) {
        SwarmServiceSpec spec = new SwarmServiceSpec();
        spec.setTemplate(new PodTemplateSpecBuilder().withNewSpec()
                .addNewContainer().withName("sidecar").withImage("envoy").endContainer()
                .addNewContainer().withName("web").withImage("nginx").addNewPort().withName("http").withContainerPort(80).endPort()
                .endContainer().endSpec().build());
        spec.setPublish(new ArrayList<>(List.of(ports)));
        return spec;
    }

    private static PublishedPort port(Integer target, Integer published, PortProtocol protocol, PublishMode mode) {
        return new PublishedPort(target, published, protocol, mode);
    }

    @Test
    void acceptsWhatDockerAccepts() {
        assertThat(PublishedPorts.problem(spec())).isNull();
        assertThat(PublishedPorts.problem(spec(port(80, 30080, null, null), port(53, 30053, PortProtocol.TCP, null),
                port(53, 30053, PortProtocol.UDP, null), port(9100, 9100, null, PublishMode.HOST), port(81, null, null, null)))).isNull();
    }

    @Test
    void refusesEachBadEntryNamingItAndWhatToDo() {
        assertThat(PublishedPorts.problem(spec(port(80, 30080, null, null), port(0, null, null, null))))
                .isEqualTo("spec.publish[1].targetPort 0 is not a port; use 1 to 65535");
        assertThat(PublishedPorts.problem(spec(port(null, 30080, null, null))))
                .startsWith("spec.publish[0].targetPort is missing; give the port the task's container listens on");
        assertThat(PublishedPorts.problem(spec(port(80, 70000, null, null))))
                .startsWith("spec.publish[0].publishedPort 70000 is not a port; use 1 to 65535");
        assertThat(PublishedPorts.problem(spec(port(80, null, null, PublishMode.HOST))))
                .startsWith("spec.publish[0].publishedPort is required in mode host");
        assertThat(PublishedPorts.problem(spec(port(80, 30080, PortProtocol.TCP, null), port(81, 30080, null, PublishMode.HOST))))
                .startsWith("spec.publish[1] publishes 30080/tcp again (spec.publish[0] does already)");
        assertThat(PublishedPorts.problem(spec(port(80, null, null, null), port(80, null, PortProtocol.TCP, PublishMode.INGRESS))))
                .isEqualTo("spec.publish[1] and spec.publish[0] both need port 80/tcp of the ingress Service (an entry without"
                        + " publishedPort uses its targetPort there); give spec.publish[1] a publishedPort");
    }

    @Test
    void hostPortGoesOnTheContainerDeclaringTheTargetPortAndTheSpecStaysAsItWas() {
        SwarmServiceSpec spec = spec(port(80, 8080, null, PublishMode.HOST), port(80, 30080, null, null));

        PodTemplateSpec template = HostPorts.template(spec);

        assertThat(template.getSpec().getContainers().get(1).getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getHostPort()).isEqualTo(8080);
        });
        assertThat(template.getSpec().getContainers().get(0).getPorts()).isNullOrEmpty();
        assertThat(spec.getTemplate().getSpec().getContainers().get(1).getPorts().get(0).getHostPort()).isNull();
    }

    @Test
    void aTargetPortNoContainerDeclaresIsAddedToTheFirstContainerWithItsProtocol() {
        PodTemplateSpec template = HostPorts.template(spec(port(53, 53, PortProtocol.UDP, PublishMode.HOST)));

        assertThat(template.getSpec().getContainers().get(0).getPorts()).singleElement()
                .isEqualTo(new ContainerPortBuilder().withContainerPort(53).withHostPort(53).withProtocol("UDP").build());
    }

    @Test
    void onlyHostPortsChangeWhatTheTasksRun() {
        SwarmServiceSpec none = spec();
        SwarmServiceSpec ingress = spec(port(80, 30080, null, null));
        SwarmServiceSpec host = spec(port(80, 8080, null, PublishMode.HOST));
        SwarmServiceSpec otherHost = spec(port(80, 8081, null, PublishMode.HOST));

        assertThat(HostPorts.template(ingress)).as("no host port: the template itself").isSameAs(ingress.getTemplate());
        String base = TemplateHash.of(HostPorts.template(none), List.of("n"));
        assertThat(TemplateHash.of(HostPorts.template(ingress), List.of("n"))).isEqualTo(base);
        assertThat(TemplateHash.of(HostPorts.template(host), List.of("n"))).isNotEqualTo(base)
                .isNotEqualTo(TemplateHash.of(HostPorts.template(otherHost), List.of("n")));
    }

    @Test
    void aTaskWithAHostPortBreaksPodSecurityBaselineOnThatRuleAlone() throws TemplateException {
        io.swarmnet.api.service.SwarmService service = new io.swarmnet.api.service.SwarmService();
        service.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("my-web").withNamespace("shop")
                .withUid("u").build());
        service.setSpec(spec(port(80, 8080, null, PublishMode.HOST)));
        service.getSpec().setTemplate(HostPorts.template(service.getSpec()));

        var pod = TaskPod.desired(service, TaskSlot.replicated(1), null, "my-web-1-abcde", "h", new TaskAddresses(Map.of()),
                "cluster.local");

        assertThat(PodSecurityBaseline.violations(pod)).containsExactly("Host Ports: spec.containers[web] uses hostPort 8080");
    }
}

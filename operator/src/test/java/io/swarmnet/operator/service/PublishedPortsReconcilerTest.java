package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.service.EndpointPort;
import io.swarmnet.api.service.PortProtocol;
import io.swarmnet.api.service.PublishMode;
import io.swarmnet.api.service.PublishedPort;
import io.swarmnet.api.service.SwarmService;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** spec.publish inside the whole operator, against the embedded API server (which allocates NodePorts as Kubernetes does). */
class PublishedPortsReconcilerTest {

    private static ServiceFixture cluster;
    private static int tests;

    private String ns;
    private FakeKubelet kubelet;

    @BeforeAll
    static void startCluster() {
        cluster = new ServiceFixture("publish");
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @BeforeEach
    void start() {
        ns = "publish-" + ++tests;
        cluster.useNamespace(ns);
        kubelet = new FakeKubelet(cluster.client, ns);
        cluster.network("my-network", null, true);
    }

    @AfterEach
    void stop() {
        kubelet.close();
    }

    private static PublishedPort ingress(int target, Integer published, PortProtocol protocol) {
        return new PublishedPort(target, published, protocol, PublishMode.INGRESS);
    }

    private static PublishedPort host(int target, int published) {
        return new PublishedPort(target, published, PortProtocol.TCP, PublishMode.HOST);
    }

    private Service ingressService(String name) {
        return cluster.client.services().inNamespace(ns).withName(name).get();
    }

    private List<EndpointPort> endpoints(String service) {
        SwarmService s = cluster.get(service);
        return s == null || s.getStatus() == null ? List.of() : s.getStatus().getEndpoints();
    }

    private boolean warned(String reason, String text) {
        return cluster.client.v1().events().inNamespace(ns).list().getItems().stream().anyMatch(e -> reason.equals(e.getReason())
                && "Warning".equals(e.getType()) && e.getInvolvedObject().getName().equals("my-web") && e.getMessage().contains(text));
    }

    private static Service foreignService(String name, String type, Integer nodePort) {
        return new ServiceBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withType(type).addToSelector("app", "other")
                .addNewPort().withName("http").withPort(80).withNewTargetPort(80).withNodePort(nodePort).endPort()
                .endSpec().build();
    }

    @Test
    void ingressPortsGetAnOwnedNodePortServiceOverTheTasksThatGoesWithTheLastIngressPort() {
        cluster.service("my-web", 2, List.of("my-network"), spec -> spec.setPublish(List.of(
                ingress(80, 30080, PortProtocol.TCP), ingress(53, null, PortProtocol.UDP))));

        cluster.eventually("the ingress Service exists", () -> ingressService("my-web") != null);
        Service service = ingressService("my-web");
        SwarmService owner = cluster.get("my-web");
        assertThat(service.getSpec().getType()).isEqualTo("NodePort");
        assertThat(service.getSpec().getSelector()).containsExactlyEntriesOf(Map.of(SwarmnetKeys.LABEL_SERVICE, "my-web"));
        assertThat(service.getMetadata().getLabels()).containsEntry(SwarmnetKeys.LABEL_SERVICE, "my-web");
        assertThat(service.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getUid()).isEqualTo(owner.getMetadata().getUid());
            assertThat(o.getController()).isTrue();
        });
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getProtocol() + " " + p.getPort() + "->" + p.getTargetPort().getIntVal())
                .containsExactly("TCP 30080->80", "UDP 53->53");
        assertThat(service.getSpec().getPorts().get(0).getNodePort()).isEqualTo(30080);
        int allocated = service.getSpec().getPorts().get(1).getNodePort();
        assertThat(allocated).isBetween(30000, 32767);

        // the selector picks exactly the service's task pods
        cluster.eventually("2 task pods exist", () -> cluster.pods("my-web").size() == 2);
        List<Pod> selected = cluster.client.pods().inNamespace(ns).withLabels(service.getSpec().getSelector()).list().getItems();
        assertThat(selected).extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrderElementsOf(cluster.pods("my-web").stream().map(p -> p.getMetadata().getName()).toList());

        cluster.eventually("status shows both ports in effect", () -> endpoints("my-web").size() == 2);
        assertThat(endpoints("my-web")).extracting(e -> e.getMode() + " " + PublishedPorts.describe(e))
                .containsExactly("INGRESS 30080->80/tcp", "INGRESS " + allocated + "->53/udp");
        assertThat(cluster.hasCondition("my-web", "Published", "True", "PortsPublished")).isTrue();
        assertThat(cluster.condition("my-web", "Published").getMessage()).contains("30080->80/tcp", allocated + "->53/udp");

        // deleted behind the operator's back: put back, with the port it asks for
        cluster.client.services().inNamespace(ns).withName("my-web").delete();
        cluster.eventually("the ingress Service is put back", () -> ingressService("my-web") != null
                && ingressService("my-web").getMetadata().getDeletionTimestamp() == null
                && !ingressService("my-web").getMetadata().getUid().equals(service.getMetadata().getUid()));
        assertThat(ingressService("my-web").getSpec().getPorts().get(0).getNodePort()).isEqualTo(30080);

        cluster.edit("my-web", spec -> spec.setPublish(List.of(ingress(80, 30080, PortProtocol.TCP))));
        cluster.eventually("the udp port is gone from the Service", () -> ingressService("my-web").getSpec().getPorts().size() == 1);
        cluster.eventually("and from status", () -> endpoints("my-web").size() == 1);

        cluster.edit("my-web", spec -> spec.setPublish(List.of()));
        cluster.eventually("the ingress Service is removed", () -> ingressService("my-web") == null);
        cluster.eventually("status shows no port and no Published condition", () -> endpoints("my-web").isEmpty()
                && cluster.condition("my-web", "Published") == null);
    }

    @Test
    void deletingTheSwarmServiceRemovesItsIngressService() {
        cluster.service("my-web", 1, List.of("my-network"), spec -> spec.setPublish(List.of(ingress(80, null, PortProtocol.TCP))));
        cluster.eventually("the ingress Service exists", () -> ingressService("my-web") != null);

        cluster.client.resources(SwarmService.class).inNamespace(ns).withName("my-web").delete();
        cluster.eventually("the ingress Service is gone", () -> ingressService("my-web") == null);
    }

    @Test
    void aNodePortInUseIsReportedWithTheServersMessageAndTheTasksRunOn() {
        cluster.client.services().inNamespace(ns).resource(foreignService("holder", "NodePort", 30081)).create();
        cluster.service("my-web", 2, List.of("my-network"), spec -> spec.setPublish(List.of(ingress(80, 30081, PortProtocol.TCP))));

        cluster.eventually("Published is False with reason PortInUse", () -> cluster.hasCondition("my-web", "Published", "False",
                "PortInUse"));
        assertThat(cluster.condition("my-web", "Published").getMessage()).contains("spec.ports[0].nodePort: Invalid value: 30081:"
                + " provided port is already allocated", "spec.publish", "the tasks are not affected");
        cluster.eventually("a PortInUse warning event", () -> warned("PortInUse", "provided port is already allocated"));
        assertThat(ingressService("my-web")).isNull();
        assertThat(endpoints("my-web")).isEmpty();

        cluster.eventually("both tasks are created all the same", () -> cluster.pods("my-web").size() == 2);
        kubelet.startAll();
        cluster.eventually("the service is Ready", () -> cluster.hasCondition("my-web", "Ready", "True", null));
        Set<String> tasks = cluster.pods("my-web").stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());

        cluster.edit("my-web", spec -> spec.setPublish(List.of(ingress(80, 30082, PortProtocol.TCP))));
        cluster.eventually("published on the free port", () -> cluster.hasCondition("my-web", "Published", "True", "PortsPublished"));
        assertThat(ingressService("my-web").getSpec().getPorts()).singleElement().satisfies(p -> assertThat(p.getNodePort()).isEqualTo(30082));
        cluster.eventually("status shows it", () -> endpoints("my-web").size() == 1);
        assertThat(endpoints("my-web").get(0).getPublishedPort()).isEqualTo(30082);
        // an ingress port is not part of what the tasks run: no task was replaced
        assertThat(cluster.pods("my-web").stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet())).isEqualTo(tasks);
        assertThat(cluster.client.services().inNamespace(ns).withName("holder").get().getSpec().getPorts().get(0).getNodePort())
                .isEqualTo(30081);
    }

    @Test
    void aServiceOfTheSameNameTheOperatorDoesNotOwnIsLeftAsItIs() {
        cluster.client.services().inNamespace(ns).resource(foreignService("my-web", "ClusterIP", null)).create();
        cluster.service("my-web", 1, List.of("my-network"), spec -> spec.setPublish(List.of(ingress(80, null, PortProtocol.TCP))));

        cluster.eventually("Published is False with reason ServiceNameTaken", () -> cluster.hasCondition("my-web", "Published",
                "False", "ServiceNameTaken"));
        assertThat(cluster.condition("my-web", "Published").getMessage()).contains("Service named my-web", "does not own",
                "Rename or delete that Service");
        cluster.eventually("a ServiceNameTaken warning event", () -> warned("ServiceNameTaken", "does not own"));
        Service untouched = ingressService("my-web");
        assertThat(untouched.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(untouched.getSpec().getSelector()).containsExactlyEntriesOf(Map.of("app", "other"));
        assertThat(untouched.getMetadata().getOwnerReferences()).isNullOrEmpty();
        cluster.eventually("the task runs all the same", () -> cluster.pods("my-web").size() == 1);
    }

    @Test
    void hostModeBindsThePublishedPortOnTheTaskContainerAndRollsTheTasksWhenItChanges() {
        cluster.service("my-web", 2, List.of("my-network"), spec -> {
            spec.getTemplate().getSpec().getContainers().get(0).setPorts(List.of(
                    new io.fabric8.kubernetes.api.model.ContainerPortBuilder().withName("http").withContainerPort(80).build()));
            spec.setPublish(List.of(host(80, 8080)));
        });

        cluster.eventually("2 task pods exist", () -> cluster.pods("my-web").size() == 2);
        assertThat(cluster.pods("my-web")).allSatisfy(pod -> assertThat(pod.getSpec().getContainers().get(0).getPorts())
                .singleElement().satisfies(p -> {
                    assertThat(p.getName()).isEqualTo("http");
                    assertThat(p.getContainerPort()).isEqualTo(80);
                    assertThat(p.getHostPort()).isEqualTo(8080);
                }));
        assertThat(cluster.get("my-web").getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().get(0).getHostPort())
                .as("the spec is not rewritten").isNull();
        cluster.eventually("status shows the host port", () -> endpoints("my-web").size() == 1);
        assertThat(endpoints("my-web")).extracting(e -> e.getMode() + " " + PublishedPorts.describe(e)).containsExactly("HOST 8080->80/tcp");
        assertThat(cluster.hasCondition("my-web", "Published", "True", "PortsPublished")).isTrue();
        assertThat(ingressService("my-web")).as("no Service for host ports").isNull();

        kubelet.startAutomatically();
        cluster.eventually("the service is Ready", () -> cluster.hasCondition("my-web", "Ready", "True", null));
        cluster.edit("my-web", spec -> spec.setPublish(List.of(host(80, 8081))));
        cluster.eventually("every task is replaced by one binding 8081", () -> cluster.pods("my-web").size() == 2
                && cluster.pods("my-web").stream().allMatch(p -> p.getSpec().getContainers().get(0).getPorts().get(0).getHostPort() == 8081));
    }

    @Test
    void hostModeInANamespaceEnforcingBaselineShowsTheRefusalAndHowToAllowIt() {
        cluster.enforceBaseline();
        cluster.service("my-web", 1, List.of("my-network"), spec -> spec.setPublish(List.of(host(80, 8080))));

        cluster.eventually("Ready is False with reason TaskRefused", () -> cluster.hasCondition("my-web", "Ready", "False", "TaskRefused"));
        assertThat(cluster.condition("my-web", "Ready").getMessage()).contains("HTTP 403",
                "violates PodSecurity \"baseline:latest\": Host Ports: spec.containers[web] uses hostPort 8080",
                "spec.publish's mode host ports become hostPorts", "pod-security.kubernetes.io/enforce: privileged");
        assertThat(cluster.pods("my-web")).isEmpty();

        cluster.edit("my-web", spec -> spec.setPublish(List.of(ingress(80, null, PortProtocol.TCP))));
        cluster.eventually("the task is created once the port is published in mode ingress", () -> cluster.pods("my-web").size() == 1);
        assertThat(cluster.pods("my-web").get(0).getSpec().getContainers().get(0).getPorts()).isNullOrEmpty();
    }
}

package io.swarmnet.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodDNSConfigOption;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.contract.TaskAddresses;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.api.service.SwarmService;
import java.util.List;
import java.util.Map;
import java.util.Random;
import io.swarmnet.operator.service.template.NodeFacts;
import io.swarmnet.operator.service.template.TemplateException;
import org.junit.jupiter.api.Test;

class TaskPodTest {

    private static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

    static SwarmService service(String name) {
        SwarmService service = new SwarmService();
        service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("shop").withUid("uid-1").withGeneration(1L).build());
        service.getSpec().setTemplate(new PodTemplateSpecBuilder()
                .withNewMetadata().withLabels(Map.of("app", "web")).withAnnotations(Map.of("note", "kept")).endMetadata()
                .withNewSpec().addNewContainer().withName("nginx").withImage("nginx").endContainer().endSpec()
                .build());
        service.getSpec().setNetworks(List.of(new NetworkAttachment("my-network")));
        return service;
    }

    /** A node as the template sees it. */
    static NodeFacts node(String name) {
        return new NodeFacts("uid-" + name, name, "amd64", "linux");
    }

    @Test
    void namesFollowServiceSlotAndSuffix() {
        assertThat(TaskPod.name("my-web", TaskSlot.replicated(3), "x7k2p")).isEqualTo("my-web-3-x7k2p");
        assertThat(TaskPod.name("my-web", TaskSlot.global("worker-1.example.com"), "x7k2p"))
                .isEqualTo("my-web-worker-1-example-com-x7k2p");
    }

    @Test
    void longNamesAreShortenedToAValidDnsLabelKeepingTheSlot() {
        String service = "s".repeat(60) + "-end";
        String name = TaskPod.name(service, TaskSlot.replicated(12345), "abcde");

        assertThat(name).hasSizeLessThanOrEqualTo(63).matches(DNS_LABEL).endsWith("-12345-abcde");

        String global = TaskPod.name(service, TaskSlot.global("node-" + "n".repeat(80)), "abcde");
        assertThat(global).hasSizeLessThanOrEqualTo(63).matches(DNS_LABEL).endsWith("-abcde");
    }

    @Test
    void suffixesUseTheKubernetesAlphabet() {
        Random random = new Random(7);
        for (int i = 0; i < 100; i++) {
            assertThat(TaskPod.randomSuffix(random)).matches("[bcdfghjklmnpqrstvwxz2456789]{5}");
        }
    }

    @Test
    void podCarriesLabelsAddressesOwnerReadinessGateAndEmbeddedDns() throws TemplateException {
        SwarmService service = service("my-web");
        TaskAddresses addresses = new TaskAddresses(Map.of("my-network", IpAddress.parse("10.0.9.3")));

        Pod pod = TaskPod.desired(service, TaskSlot.replicated(2), null, "my-web-2-abcde", "hash1", addresses, "cluster.local");

        assertThat(pod.getMetadata().getName()).isEqualTo("my-web-2-abcde");
        assertThat(pod.getMetadata().getNamespace()).isEqualTo("shop");
        assertThat(pod.getMetadata().getLabels()).containsEntry("app", "web")
                .containsEntry(SwarmnetKeys.LABEL_SERVICE, "my-web")
                .containsEntry(SwarmnetKeys.LABEL_SLOT, "2")
                .containsEntry(SwarmnetKeys.LABEL_TEMPLATE_HASH, "hash1");
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("note", "kept")
                .containsEntry(SwarmnetKeys.ANNOTATION_ADDRESSES, "{\"my-network\":\"10.0.9.3\"}");
        assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getKind()).isEqualTo("SwarmService");
            assertThat(owner.getApiVersion()).isEqualTo("swarmnet.io/v1alpha1");
            assertThat(owner.getUid()).isEqualTo("uid-1");
            assertThat(owner.getController()).isTrue();
        });
        assertThat(pod.getSpec().getReadinessGates()).extracting(g -> g.getConditionType())
                .containsExactly(SwarmnetKeys.CONDITION_ATTACHED);
        assertThat(pod.getSpec().getDnsPolicy()).isEqualTo("None");
        assertThat(pod.getSpec().getDnsConfig().getNameservers()).containsExactly("127.0.0.11");
        assertThat(pod.getSpec().getDnsConfig().getSearches())
                .containsExactly("shop.svc.cluster.local", "svc.cluster.local", "cluster.local");
        assertThat(pod.getSpec().getDnsConfig().getOptions()).containsExactly(new PodDNSConfigOption("ndots", "5"));
        assertThat(pod.getSpec().getContainers()).extracting(c -> c.getImage()).containsExactly("nginx");
        assertThat(pod.getSpec().getAffinity()).isNull();
    }

    @Test
    void podDoesNotChangeTheServiceTemplate() throws TemplateException {
        SwarmService service = service("my-web");
        TaskPod.desired(service, TaskSlot.replicated(1), null, "p", "h", new TaskAddresses(Map.of()), "cluster.local");

        assertThat(service.getSpec().getTemplate().getSpec().getReadinessGates()).isEmpty();
        assertThat(service.getSpec().getTemplate().getSpec().getDnsPolicy()).isNull();
    }

    @Test
    void globalTaskIsPinnedToItsNodeByAffinity() throws TemplateException {
        Pod pod = TaskPod.desired(service("agent"), TaskSlot.global("worker-2"), node("worker-2"), "agent-worker-2-abcde", "h",
                new TaskAddresses(Map.of()), "cluster.local");

        assertThat(pod.getMetadata().getLabels()).containsEntry(SwarmnetKeys.LABEL_SLOT, "worker-2");
        var terms = pod.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms();
        assertThat(terms).singleElement().satisfies(term -> {
            assertThat(term.getMatchFields()).singleElement().satisfies(r -> {
                assertThat(r.getKey()).isEqualTo("metadata.name");
                assertThat(r.getValues()).containsExactly("worker-2");
            });
        });
    }

    @Test
    void replicatedTasksPreferToSpreadOverNodesUnlessTheTemplateSaysHow() throws TemplateException {
        Pod pod = TaskPod.desired(service("my-web"), TaskSlot.replicated(1), null, "p", "h", new TaskAddresses(Map.of()), "cluster.local");
        assertThat(pod.getSpec().getTopologySpreadConstraints()).singleElement().satisfies(c -> {
            assertThat(c.getTopologyKey()).isEqualTo("kubernetes.io/hostname");
            assertThat(c.getMaxSkew()).isEqualTo(1);
            assertThat(c.getWhenUnsatisfiable()).isEqualTo("ScheduleAnyway");
            assertThat(c.getLabelSelector().getMatchLabels()).containsExactly(Map.entry(SwarmnetKeys.LABEL_SERVICE, "my-web"));
        });

        SwarmService own = service("my-web");
        own.getSpec().getTemplate().getSpec().setTopologySpreadConstraints(List.of(new io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder()
                .withMaxSkew(2).withTopologyKey("topology.kubernetes.io/zone").withWhenUnsatisfiable("DoNotSchedule").build()));
        Pod ownPod = TaskPod.desired(own, TaskSlot.replicated(1), null, "p", "h", new TaskAddresses(Map.of()), "cluster.local");
        assertThat(ownPod.getSpec().getTopologySpreadConstraints()).singleElement()
                .satisfies(c -> assertThat(c.getTopologyKey()).isEqualTo("topology.kubernetes.io/zone"));

        Pod global = TaskPod.desired(service("agent"), TaskSlot.global("worker-2"), node("worker-2"), "p", "h", new TaskAddresses(Map.of()), "cluster.local");
        assertThat(global.getSpec().getTopologySpreadConstraints()).isNullOrEmpty();
    }

    @Test
    void templateSearchesAndOptionsComeAfterTheClusterOnes() throws TemplateException {
        SwarmService service = service("my-web");
        service.getSpec().getTemplate().getSpec().setDnsConfig(new io.fabric8.kubernetes.api.model.PodDNSConfigBuilder()
                .withNameservers("8.8.8.8").withSearches("corp.example").withOptions(new PodDNSConfigOption("edns0", null),
                        new PodDNSConfigOption("ndots", "2")).build());

        Pod pod = TaskPod.desired(service, TaskSlot.replicated(1), null, "p", "h", new TaskAddresses(Map.of()), "k8s.test");

        assertThat(pod.getSpec().getDnsConfig().getNameservers()).containsExactly("127.0.0.11");
        assertThat(pod.getSpec().getDnsConfig().getSearches()).containsExactly("shop.svc.k8s.test", "svc.k8s.test", "k8s.test",
                "corp.example");
        assertThat(pod.getSpec().getDnsConfig().getOptions()).containsExactly(new PodDNSConfigOption("ndots", "2"),
                new PodDNSConfigOption("edns0", null));
    }

    @Test
    void tasksGoOnlyToLinuxNodesWhereAnAgentRunsKeepingTheTemplatesNodeSelector() throws TemplateException {
        SwarmService service = service("my-web");
        service.getSpec().getTemplate().getSpec().setNodeSelector(Map.of("disk", "ssd"));

        Pod pod = TaskPod.desired(service, TaskSlot.replicated(1), null, "my-web-1-abcde", "h", new TaskAddresses(Map.of()), "cluster.local");

        assertThat(pod.getSpec().getNodeSelector()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "disk", "ssd", SwarmnetKeys.LABEL_NODE_AGENT, "true", "kubernetes.io/os", "linux"));
        assertThat(service.getSpec().getTemplate().getSpec().getNodeSelector()).as("the service's own template is left alone")
                .containsOnlyKeys("disk");
    }

    @Test
    void tasksStartWithAnInitContainerThatWaitsUntilEveryAddressIsAttached() throws TemplateException {
        SwarmService service = service("my-web");
        service.getSpec().getTemplate().getSpec().setInitContainers(List.of(new io.fabric8.kubernetes.api.model.ContainerBuilder()
                .withName("migrate").withImage("busybox").build()));
        TaskAddresses addresses = new TaskAddresses(Map.of("my-network", IpAddress.parse("10.0.9.3"), "back", IpAddress.parse("10.0.10.4")));
        AttachWait wait = new AttachWait("swarmnet/swarmnet:dev", "IfNotPresent", java.time.Duration.ofSeconds(90));

        Pod pod = TaskPod.desired(service, TaskSlot.replicated(1), null, "my-web-1-abcde", "h", addresses, "cluster.local", wait);

        assertThat(pod.getSpec().getInitContainers()).extracting(c -> c.getName())
                .as("ours first: the template's own init containers may resolve too").containsExactly("swarmnet-wait-attached", "migrate");
        var init = pod.getSpec().getInitContainers().get(0);
        assertThat(init.getImage()).isEqualTo("swarmnet/swarmnet:dev");
        assertThat(init.getArgs()).containsExactly("wait-attached", "--name", "my-web", "--timeout", "90",
                "--address", "back=10.0.10.4", "--address", "my-network=10.0.9.3");
        // restricted Pod Security: the init container never makes the task less compliant than its template
        var security = init.getSecurityContext();
        assertThat(security.getRunAsNonRoot()).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(security.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(init.getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");

        Pod unattached = TaskPod.desired(service, TaskSlot.replicated(1), null, "p", "h", new TaskAddresses(Map.of()), "cluster.local", wait);
        assertThat(unattached.getSpec().getInitContainers()).extracting(c -> c.getName()).as("nothing to wait for").containsExactly("migrate");
        Pod off = TaskPod.desired(service, TaskSlot.replicated(1), null, "p", "h", addresses, "cluster.local", AttachWait.OFF);
        assertThat(off.getSpec().getInitContainers()).extracting(c -> c.getName()).containsExactly("migrate");
    }

    @Test
    void aTaskFromAPlainTemplateMeetsPodSecurityBaseline() throws TemplateException {
        SwarmService service = service("my-web");
        TaskAddresses addresses = new TaskAddresses(Map.of("my-network", IpAddress.parse("10.0.9.3")));
        AttachWait wait = new AttachWait("swarmnet/swarmnet:dev", "IfNotPresent", java.time.Duration.ofSeconds(90));

        Pod replicated = TaskPod.desired(service, TaskSlot.replicated(1), null, "my-web-1-abcde", "h", addresses, "cluster.local", wait);
        Pod global = TaskPod.desired(service, TaskSlot.global("node-1"), node("node-1"), "my-web-node-1-abcde", "h", addresses,
                "cluster.local", wait);

        // what the operator adds (readiness gate, DNS, node selection, the wait-attached init container) asks for nothing
        assertThat(replicated.getSpec().getInitContainers()).extracting(c -> c.getName()).containsExactly(AttachWait.CONTAINER_NAME);
        assertThat(PodSecurityBaseline.violations(replicated)).isEmpty();
        assertThat(PodSecurityBaseline.violations(global)).isEmpty();
    }

    @Test
    void whatATemplateAsksBeyondBaselineIsKeptAndNamedRuleByRule() throws TemplateException {
        SwarmService service = service("node-tool");
        service.getSpec().getTemplate().getMetadata().setAnnotations(Map.of(
                "container.apparmor.security.beta.kubernetes.io/tool", "unconfined"));
        service.getSpec().getTemplate().setSpec(new io.fabric8.kubernetes.api.model.PodSpecBuilder()
                .withHostNetwork(true).withHostPID(true).withHostIPC(true)
                .withNewSecurityContext()
                    .addNewSysctl().withName("net.core.somaxconn").withValue("1024").endSysctl()
                    .withNewSeccompProfile().withType("Unconfined").endSeccompProfile()
                    .withNewSeLinuxOptions().withUser("system_u").withType("spc_t").endSeLinuxOptions()
                    .withNewWindowsOptions().withHostProcess(true).endWindowsOptions()
                .endSecurityContext()
                .addNewVolume().withName("host-root").withNewHostPath().withPath("/").endHostPath().endVolume()
                .addNewContainer().withName("tool").withImage("busybox")
                    .addNewPort().withContainerPort(80).withHostPort(8080).endPort()
                    .withNewReadinessProbe().withNewHttpGet().withHost("10.0.0.1").withNewPort(80).endHttpGet().endReadinessProbe()
                    .withNewSecurityContext()
                        .withPrivileged(true)
                        .withProcMount("Unmasked")
                        .withNewCapabilities().withAdd("NET_ADMIN", "CHOWN").endCapabilities()
                        .withNewAppArmorProfile().withType("Unconfined").endAppArmorProfile()
                    .endSecurityContext()
                .endContainer()
                .build());

        Pod pod = TaskPod.desired(service, TaskSlot.replicated(1), null, "node-tool-1-abcde", "h",
                new TaskAddresses(Map.of("my-network", IpAddress.parse("10.0.9.3"))), "cluster.local");

        assertThat(PodSecurityBaseline.violations(pod)).containsExactlyInAnyOrder(
                "HostProcess: spec.securityContext.windowsOptions.hostProcess is true",
                "Host Namespaces: spec.hostNetwork is true",
                "Host Namespaces: spec.hostPID is true",
                "Host Namespaces: spec.hostIPC is true",
                "Privileged Containers: spec.containers[tool].securityContext.privileged is true",
                "Capabilities: spec.containers[tool] adds NET_ADMIN",
                "HostPath Volumes: volume host-root is a hostPath",
                "Host Ports: spec.containers[tool] uses hostPort 8080",
                "Host Probes / Lifecycle Hooks: spec.containers[tool] probes another host",
                "AppArmor: annotation container.apparmor.security.beta.kubernetes.io/tool is unconfined",
                "AppArmor: spec.containers[tool].securityContext.appArmorProfile.type is Unconfined",
                "SELinux: spec.securityContext.seLinuxOptions.type is spc_t",
                "SELinux: spec.securityContext.seLinuxOptions.user is set",
                "/proc Mount Type: spec.containers[tool].securityContext.procMount is Unmasked",
                "Seccomp: spec.securityContext.seccompProfile.type is Unconfined",
                "Sysctls: spec.securityContext.sysctls sets net.core.somaxconn");
    }
}

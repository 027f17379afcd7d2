package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What `helm template` with the default values gives: the workloads, their security and their wiring. */
class ChartDefaultsTest {

    private static RenderedChart chart;

    @BeforeAll
    static void render() {
        Helm helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        chart = RenderedChart.render(helm, RepositoryLayout.find());
    }

    private static Deployment operator() {
        return chart.one(Deployment.class, "swarmnet-operator");
    }

    private static DaemonSet agentSet() {
        return chart.one(DaemonSet.class, "swarmnet-agent");
    }

    /** The agent pod's containers: the agent, and the resolver beside it; no init container. */
    private static Container container(PodSpec spec, String name) {
        assertThat(spec.getContainers()).extracting(Container::getName).containsExactly("agent", "dns");
        assertThat(spec.getInitContainers()).isEmpty();
        return spec.getContainers().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
    }

    private static Container only(PodSpec spec) {
        assertThat(spec.getContainers()).hasSize(1);
        assertThat(spec.getInitContainers()).isEmpty();
        return spec.getContainers().get(0);
    }

    @Test
    void rendersEveryObjectIntoTheReleaseNamespace() {
        assertThat(chart.objects()).extracting(o -> o.getKind() + "/" + o.getMetadata().getName()).containsExactlyInAnyOrder(
                "ServiceAccount/swarmnet-operator", "ServiceAccount/swarmnet-agent",
                "ClusterRole/swarmnet-operator", "ClusterRoleBinding/swarmnet-operator",
                "Role/swarmnet-operator", "RoleBinding/swarmnet-operator",
                "ClusterRole/swarmnet-agent", "ClusterRoleBinding/swarmnet-agent",
                "Role/swarmnet-agent", "RoleBinding/swarmnet-agent",
                "Service/swarmnet-operator-metrics",
                "Deployment/swarmnet-operator", "DaemonSet/swarmnet-agent",
                "ValidatingAdmissionPolicy/swarmnet-agent-node-scope", "ValidatingAdmissionPolicyBinding/swarmnet-agent-node-scope");
        chart.objects().stream()
                .filter(o -> !o.getKind().startsWith("Cluster") && !o.getKind().startsWith("ValidatingAdmissionPolicy"))
                .forEach(o -> assertThat(o.getMetadata().getNamespace()).as(o.getKind()).isEqualTo(RenderedChart.NAMESPACE));
    }

    @Test
    void operatorRunsTwoLeaderElectedReplicasWithProbesAndMetrics() {
        Deployment deployment = operator();
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("swarmnet-operator");
        Container c = only(pod);
        assertThat(c.getArgs()).containsExactly("operator");
        assertThat(Containers.literalEnv(c)).containsEntry("SWARMNET_LEADER_ELECTION", "true")
                .containsEntry("SWARMNET_LEASE_NAME", "swarmnet-operator")
                .containsEntry("SWARMNET_OPERATOR_NAMESPACE", RenderedChart.NAMESPACE)
                .containsEntry("SWARMNET_HTTP_PORT", "8080");
        assertThat(Containers.fieldRef(c, "POD_NAME")).isEqualTo("metadata.name");
        assertThat(Containers.fieldRef(c, "POD_NAMESPACE")).isEqualTo("metadata.namespace");
        assertThat(c.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getContainerPort()).isEqualTo(8080);
        });
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).containsKey("memory");
        // replicas spread over nodes where possible, so losing a node leaves a standby
        assertThat(pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution())
                .singleElement().satisfies(t -> assertThat(t.getPodAffinityTerm().getTopologyKey()).isEqualTo("kubernetes.io/hostname"));
    }

    @Test
    void operatorRunsAsNonRootWithAReadOnlyRootAndNoCapabilities() {
        PodSpec pod = operator().getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isNotZero();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getHostPID()).isNotEqualTo(Boolean.TRUE);
        SecurityContext sc = only(pod).getSecurityContext();
        assertThat(sc.getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
        assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
        assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(sc.getCapabilities().getAdd()).isEmpty();
        // the one writable path is a size-limited emptyDir for the JVM's and JNA's temporary files
        assertThat(only(pod).getVolumeMounts()).extracting(VolumeMount::getMountPath).containsExactly("/tmp");
        assertThat(pod.getVolumes()).singleElement().satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
        // a Linux image
        assertThat(pod.getNodeSelector()).containsExactly(Map.entry("kubernetes.io/os", "linux"));
    }

    @Test
    void agentRunsOnEveryNodeInTheHostNetworkAndPidNamespaces() {
        DaemonSet daemonSet = agentSet();
        PodSpec pod = daemonSet.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("swarmnet-agent");
        assertThat(pod.getHostNetwork()).isTrue();
        assertThat(pod.getHostPID()).isTrue();
        assertThat(pod.getHostIPC()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getDnsPolicy()).isEqualTo("ClusterFirstWithHostNet");
        assertThat(pod.getPriorityClassName()).isEqualTo("system-node-critical");
        // one toleration with operator Exists and no key tolerates every taint
        assertThat(pod.getTolerations()).singleElement().satisfies((Toleration t) -> {
            assertThat(t.getOperator()).isEqualTo("Exists");
            assertThat(t.getKey()).isNull();
            assertThat(t.getEffect()).isNull();
        });
        // every Linux node: the image is Linux only
        assertThat(pod.getNodeSelector()).containsExactly(Map.entry("kubernetes.io/os", "linux"));
        Container c = container(pod, "agent");
        assertThat(c.getArgs()).containsExactly("agent");
        assertThat(Containers.fieldRef(c, "NODE_NAME")).isEqualTo("spec.nodeName");
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(c.getLivenessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(9642);
        assertThat(c.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(9642);
        // no declared port: on the host network it would be a host port, and a rollout's new pod could not start
        // beside the old one
        assertThat(c.getPorts()).as("ports the agent container declares").isEmpty();
        assertThat(daemonSet.getSpec().getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(daemonSet.getSpec().getUpdateStrategy().getRollingUpdate().getMaxSurge().getIntVal()).as("maxSurge").isEqualTo(1);
        assertThat(daemonSet.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).as("maxUnavailable")
                .isZero();
    }

    @Test
    void agentHasNetAdminAndSysAdminAndPrivilegeOnlyForBidirectionalNetnsMounts() {
        PodSpec pod = agentSet().getSpec().getTemplate().getSpec();
        Container c = container(pod, "agent");
        SecurityContext sc = c.getSecurityContext();
        assertThat(sc.getCapabilities().getAdd()).containsExactlyInAnyOrder("NET_ADMIN", "SYS_ADMIN");
        assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(sc.getRunAsUser()).isZero();
        assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
        assertThat(pod.getSecurityContext() == null || pod.getSecurityContext().getSysctls() == null
                || pod.getSecurityContext().getSysctls().isEmpty()).isTrue();

        Map<String, VolumeMount> mounts = c.getVolumeMounts().stream()
                .collect(Collectors.toMap(VolumeMount::getMountPath, Function.identity()));
        Map<String, Volume> volumes = pod.getVolumes().stream().collect(Collectors.toMap(Volume::getName, Function.identity()));
        // no /dev/net/tun: a node without it must still run the agent (the privileged container has the
        // host's devices; the userspace ESP datapath fails closed and says so where it is missing)
        // and, with VIPs balanced at the socket where the node allows it (agent.vipBalancing: auto), the node's cgroup2
        // root and its BPF file system (ChartConfigurationTest)
        assertThat(mounts).containsOnlyKeys("/run/netns", "/host/proc", "/tmp", "/var/lib/swarmnet", "/run/swarmnet-dns", "/host/cgroup2",
                "/host/bpf");

        // the documented need: the overlay namespaces the agent mounts under /run/netns must outlive
        // the agent's container, which takes Bidirectional propagation, which takes privileged
        VolumeMount netns = mounts.get("/run/netns");
        assertThat(netns.getMountPropagation()).isEqualTo("Bidirectional");
        assertThat(sc.getPrivileged()).isTrue();
        assertThat(volumes.get(netns.getName()).getHostPath().getPath()).isEqualTo("/run/netns");

        VolumeMount proc = mounts.get("/host/proc");
        assertThat(proc.getReadOnly()).isTrue();
        assertThat(proc.getMountPropagation()).isEqualTo("HostToContainer");
        assertThat(volumes.get(proc.getName()).getHostPath().getPath()).isEqualTo("/proc");
        assertThat(volumes.get(mounts.get("/tmp").getName()).getEmptyDir()).isNotNull();
        // where the userspace ESP datapath reserves sequence numbers
        assertThat(volumes.get(mounts.get("/var/lib/swarmnet").getName()).getHostPath().getPath()).isEqualTo("/var/lib/swarmnet");
        assertThat(Containers.literalEnv(c)).containsEntry("SWARMNET_ENCRYPTION_MODE", "auto")
                .containsEntry("SWARMNET_STATE_DIR", "/var/lib/swarmnet");
        // nothing else of the host: no /, /var/run/docker.sock, /dev, /sys — of /sys only the cgroup2 root and the BPF
        // file system, for the VIP balancer at the socket
        assertThat(volumes.values()).filteredOn(v -> v.getHostPath() != null)
                .extracting(v -> v.getHostPath().getPath()).containsExactlyInAnyOrder("/run/netns", "/proc", "/var/lib/swarmnet",
                        "/sys/fs/cgroup", "/sys/fs/bpf");
    }

    @Test
    void bothComponentsUseTheOneImageAtTheChartsAppVersion() {
        Container op = only(operator().getSpec().getTemplate().getSpec());
        for (Container agent : agentSet().getSpec().getTemplate().getSpec().getContainers()) {
            assertThat(op.getImage()).isEqualTo("swarmnet/swarmnet:0.1.0").isEqualTo(agent.getImage());
            assertThat(op.getImagePullPolicy()).isEqualTo("IfNotPresent").isEqualTo(agent.getImagePullPolicy());
        }
    }

    @Test
    void theResolverRunsBesideTheAgentAndTheyShareOnlyItsSocketVolume() {
        PodSpec pod = agentSet().getSpec().getTemplate().getSpec();
        Container agent = container(pod, "agent");
        Container dns = container(pod, "dns");
        assertThat(dns.getArgs()).containsExactly("dns");
        // both name the same socket, in the one volume both mount there
        assertThat(Containers.literalEnv(agent)).containsEntry("SWARMNET_DNS_SOCKET", "/run/swarmnet-dns/dns.sock");
        assertThat(Containers.literalEnv(dns)).containsEntry("SWARMNET_DNS_SOCKET", "/run/swarmnet-dns/dns.sock");
        Map<String, Volume> volumes = pod.getVolumes().stream().collect(Collectors.toMap(Volume::getName, Function.identity()));
        for (Container c : List.of(agent, dns)) {
            VolumeMount socket = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/run/swarmnet-dns")).findFirst().orElseThrow();
            assertThat(socket.getName()).isEqualTo("resolver");
            assertThat(volumes.get(socket.getName()).getEmptyDir()).as("lives as long as the pod, not the container").isNotNull();
        }
        // the resolver enters pods' namespaces (their paths under the host's /proc) and writes their nft table
        assertThat(dns.getVolumeMounts()).extracting(VolumeMount::getMountPath)
                .containsExactlyInAnyOrder("/host/proc", "/run/swarmnet-dns", "/var/lib/swarmnet", "/tmp");
        // what it serves is kept on the node, so the resolver of a replacing pod (a rollout) serves before its agent speaks
        assertThat(Containers.literalEnv(dns)).containsEntry("SWARMNET_DNS_STATE", "/var/lib/swarmnet/resolvers.json");
        assertThat(dns.getSecurityContext().getCapabilities().getAdd()).containsExactlyInAnyOrder("NET_ADMIN", "SYS_ADMIN");
        assertThat(dns.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(dns.getResources().getLimits()).containsKey("memory");
    }

    @Test
    void serviceAccountsAreOnePerComponent() {
        assertThat(chart.all(ServiceAccount.class)).extracting(sa -> sa.getMetadata().getName())
                .containsExactlyInAnyOrder("swarmnet-operator", "swarmnet-agent");
    }

    @Test
    void metricsServiceSelectsTheOperatorAndNoServiceMonitorByDefault() {
        Service op = chart.one(Service.class, "swarmnet-operator-metrics");
        assertThat(op.getSpec().getSelector()).containsEntry("app.kubernetes.io/component", "operator");
        assertThat(op.getSpec().getPorts()).singleElement().satisfies(p -> assertThat(p.getTargetPort().getStrVal()).isEqualTo("http"));
        assertThat(operator().getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(op.getSpec().getSelector());
        // the agent's pods are not behind it
        assertThat(agentSet().getSpec().getTemplate().getMetadata().getLabels()).doesNotContainEntry("app.kubernetes.io/component", "operator");
        assertThat(chart.ofKind("ServiceMonitor")).isEmpty();
    }
}
